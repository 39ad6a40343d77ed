import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeError, decryptToFile, encryptFileStream, masterKeyId, parseEnvelopeRecord, parseMasterKey, rewrapRecord, type EnvelopeRecord } from './envelope.ts';
import { tempDir } from './test-support.ts';

const dir = tempDir('suture-envelope-');
const plain = join(dir, 'plain.bin');
const SIZE = 9 * 2 ** 20 + 12_345; // several MB, not a multiple of any block or chunk size
const masterKey = randomBytes(32);
let plainSha = '';

async function encryptToFile(source: string, target: string, key: Buffer, context = 'asset-1'): Promise<EnvelopeRecord> {
  return encryptFileStream(source, createWriteStream(target), key, { context });
}

async function expectEnvelopeError(promise: Promise<unknown>, code: string): Promise<EnvelopeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
  return error as EnvelopeError;
}

beforeAll(() => {
  // Written in chunks: a recognisable header, then random bytes.
  const chunks = [Buffer.from('PLAINTEXT-MARKER patient 4711 '), randomBytes(SIZE - 30)];
  writeFileSync(plain, Buffer.concat(chunks));
  plainSha = createHash('sha256').update(readFileSync(plain)).digest('hex');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('envelope encryption of originals', () => {
  it('round-trips a multi-MB file, and the ciphertext reveals nothing of the plaintext', async () => {
    const enc = join(dir, 'roundtrip.enc');
    const record = await encryptToFile(plain, enc, masterKey);
    expect(record).toMatchObject({
      version: 1,
      algorithm: 'AES-256-GCM',
      context: 'asset-1',
      plaintextSha256: plainSha,
      plaintextBytes: SIZE,
      masterKeyId: masterKeyId(masterKey),
    });
    expect(Buffer.from(record.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(record.authTag, 'base64')).toHaveLength(16);
    expect(Buffer.from(record.wrappedKey.ciphertext, 'base64')).toHaveLength(32);
    // GCM is a stream mode: the ciphertext has the plaintext's length, and none of its content.
    expect(statSync(enc).size).toBe(SIZE);
    const ciphertext = readFileSync(enc);
    expect(ciphertext.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
    expect(ciphertext.subarray(0, 4096).equals(readFileSync(plain).subarray(0, 4096))).toBe(false);
    // The record holds no key material in the clear and no plaintext.
    expect(JSON.stringify(record)).not.toContain(masterKey.toString('base64'));
    expect(JSON.stringify(record)).not.toContain('4711');

    const out = join(dir, 'roundtrip.out');
    const result = await decryptToFile(enc, out, record, masterKey);
    expect(result).toEqual({ sha256: plainSha, bytes: SIZE });
    expect(readFileSync(out).equals(readFileSync(plain))).toBe(true);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('encrypts from a stream and decrypts from a stream; every file gets its own data key and IV', async () => {
    const a = join(dir, 'a.enc');
    const b = join(dir, 'b.enc');
    const ra = await encryptFileStream(Readable.from([Buffer.from('hello '), Buffer.from('world')]), createWriteStream(a), masterKey, { context: 'x' });
    const rb = await encryptFileStream(Readable.from([Buffer.from('hello '), Buffer.from('world')]), createWriteStream(b), masterKey, { context: 'x' });
    expect(ra.iv).not.toBe(rb.iv);
    expect(ra.wrappedKey.ciphertext).not.toBe(rb.wrappedKey.ciphertext);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(false);
    const out = join(dir, 'stream.out');
    await decryptToFile(Readable.from([readFileSync(a)]), out, ra, masterKey);
    expect(readFileSync(out, 'utf8')).toBe('hello world');
  });

  it('detects a flipped ciphertext byte, a truncated file and an altered tag (TAMPERED), leaving no output', async () => {
    const enc = join(dir, 'tamper.enc');
    const record = await encryptToFile(plain, enc, masterKey);
    const handle = await open(enc, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 5 * 2 ** 20);
    byte[0] = byte[0]! ^ 0x01;
    await handle.write(byte, 0, 1, 5 * 2 ** 20);
    await handle.close();
    const out = join(dir, 'tamper.out');
    const error = await expectEnvelopeError(decryptToFile(enc, out, record, masterKey), 'TAMPERED');
    expect(error.message).toMatch(/failed authentication/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);

    const good = join(dir, 'good.enc');
    const goodRecord = await encryptToFile(plain, good, masterKey);
    const truncated = join(dir, 'truncated.enc');
    writeFileSync(truncated, readFileSync(good).subarray(0, SIZE - 1));
    await expectEnvelopeError(decryptToFile(truncated, out, goodRecord, masterKey), 'TAMPERED');
    const tag = Buffer.from(goodRecord.authTag, 'base64');
    tag[0] = tag[0]! ^ 0x80;
    await expectEnvelopeError(decryptToFile(good, out, { ...goodRecord, authTag: tag.toString('base64') }, masterKey), 'TAMPERED');
    // The ciphertext is bound to its context (the asset): moved to another record's context it fails.
    await expectEnvelopeError(decryptToFile(good, out, { ...goodRecord, context: 'asset-2' }, masterKey), 'WRONG_KEY');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a wrong master key (WRONG_KEY), also when the key id was forged to match', async () => {
    const enc = join(dir, 'key.enc');
    const record = await encryptToFile(plain, enc, masterKey);
    const other = randomBytes(32);
    const out = join(dir, 'key.out');
    const error = await expectEnvelopeError(decryptToFile(enc, out, record, other), 'WRONG_KEY');
    expect(error.message).toContain(record.masterKeyId);
    await expectEnvelopeError(decryptToFile(enc, out, { ...record, masterKeyId: masterKeyId(other) }, other), 'WRONG_KEY');
    expect(existsSync(out)).toBe(false);
  });

  it('rotates the master key by re-wrapping the data key: the same ciphertext opens with the new key only', async () => {
    const enc = join(dir, 'rotate.enc');
    const record = await encryptToFile(plain, enc, masterKey);
    const cipherBefore = createHash('sha256').update(readFileSync(enc)).digest('hex');
    const next = randomBytes(32);
    const rotated = rewrapRecord(record, masterKey, next);
    expect(rotated.masterKeyId).toBe(masterKeyId(next));
    expect(rotated.iv).toBe(record.iv);
    expect(rotated.wrappedKey.ciphertext).not.toBe(record.wrappedKey.ciphertext);
    const out = join(dir, 'rotate.out');
    expect((await decryptToFile(enc, out, rotated, next)).sha256).toBe(plainSha);
    expect(createHash('sha256').update(readFileSync(enc)).digest('hex')).toBe(cipherBefore);
    rmSync(out);
    await expectEnvelopeError(decryptToFile(enc, out, rotated, masterKey), 'WRONG_KEY');
    expect(() => rewrapRecord(record, randomBytes(32), next)).toThrow(EnvelopeError);
  });

  it('rejects a record whose checksum does not match the decrypted bytes (CHECKSUM_MISMATCH)', async () => {
    const enc = join(dir, 'sum.enc');
    const record = await encryptToFile(plain, enc, masterKey);
    const out = join(dir, 'sum.out');
    await expectEnvelopeError(decryptToFile(enc, out, { ...record, plaintextSha256: '0'.repeat(64) }, masterKey), 'CHECKSUM_MISMATCH');
    expect(existsSync(out)).toBe(false);
  });

  it('parses master keys as hex or base64 of 32 bytes, with a clear message otherwise', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('hex')).equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseMasterKey(` ${key.toString('base64url')}\n`).equals(key)).toBe(true);
    for (const bad of ['', 'secret', randomBytes(16).toString('base64'), randomBytes(31).toString('hex'), 'z'.repeat(64)]) {
      expect(() => parseMasterKey(bad)).toThrow(/32 random bytes written as base64 \(44 characters\) or hex \(64 characters\)/);
    }
  });

  it('validates stored records before use', () => {
    expect(() => parseEnvelopeRecord(null)).toThrow(EnvelopeError);
    expect(() => parseEnvelopeRecord({ version: 1, algorithm: 'AES-256-GCM' })).toThrow(/not a version 1/);
  });
});
