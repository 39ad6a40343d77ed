// Envelope encryption of retained originals, streamed (files may be many GB; never whole in memory).
//
// Each file gets a fresh random 256-bit data key and a random 96-bit IV; the bytes are encrypted with
// AES-256-GCM as they stream through. The data key is wrapped (AES-256-GCM, its own random IV) with the
// deployment's master key (SUTURE_ORIGINALS_KEY), and the record that goes beside the object (IVs, auth
// tags, the wrapped key, the plaintext's SHA-256 and size) holds no secret in the clear and no PHI.
// Decryption writes to `<out>.partial` and renames only after the GCM tag verified and the SHA-256
// matched: unauthenticated plaintext never appears under the requested name.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const ENVELOPE_ALGORITHM = 'AES-256-GCM';

export type EnvelopeErrorCode = 'INVALID_KEY' | 'INVALID_RECORD' | 'WRONG_KEY' | 'TAMPERED' | 'CHECKSUM_MISMATCH';

/** An expected failure of envelope encryption, with a stable code and a message without secrets or PHI. */
export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EnvelopeError';
  }
}

/** Everything needed (with the master key) to decrypt and verify one encrypted file. No secret in the clear. */
export interface EnvelopeRecord {
  version: 1;
  algorithm: typeof ENVELOPE_ALGORITHM;
  /** base64, 12 bytes */
  iv: string;
  /** base64, 16 bytes: the GCM tag over the whole ciphertext */
  authTag: string;
  /** the data key wrapped with the master key (AES-256-GCM) */
  wrappedKey: { algorithm: typeof ENVELOPE_ALGORITHM; iv: string; authTag: string; ciphertext: string };
  /** identifies the master key (a hash of it), so a wrong key is named as such */
  masterKeyId: string;
  /** bound into both GCM computations as additional authenticated data (e.g. the asset id) */
  context: string;
  /** hex SHA-256 of the plaintext */
  plaintextSha256: string;
  plaintextBytes: number;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A master key from configuration: 32 bytes written as hex (64 characters) or base64/base64url
 * (43-44 characters). Throws INVALID_KEY with what to do otherwise.
 */
export function parseMasterKey(text: string): Buffer {
  const value = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new EnvelopeError(
      'INVALID_KEY',
      'the originals master key must be 32 random bytes written as base64 (44 characters) or hex (64 characters); create one with `openssl rand -base64 32`',
    );
  }
  return key;
}

/** A short, non-reversible identifier of a master key. */
export function masterKeyId(masterKey: Buffer): string {
  return createHash('sha256').update('suture-originals-master-key\n').update(masterKey).digest('hex').slice(0, 16);
}

function checkKey(masterKey: Buffer): void {
  if (masterKey.length !== KEY_BYTES) throw new EnvelopeError('INVALID_KEY', 'the originals master key must be exactly 32 bytes');
}

const dataAad = (context: string) => Buffer.from(`suture-original:v1:${context}`, 'utf8');
const wrapAad = (context: string) => Buffer.from(`suture-original-key:v1:${context}`, 'utf8');

/** Hashes and counts the bytes that pass through. */
function tap(): Transform & { digest(): { sha256: string; bytes: number } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { digest(): { sha256: string; bytes: number } };
  t.digest = () => ({ sha256: hash.digest('hex'), bytes });
  return t;
}

const asReadable = (source: string | Readable): Readable => (typeof source === 'string' ? createReadStream(source) : source);

/**
 * Encrypts `source` (a path or a stream) into `sink` with a fresh data key; resolves with the record once
 * the sink has taken every byte. The ciphertext is exactly as long as the plaintext.
 */
export async function encryptFileStream(source: string | Readable, sink: Writable, masterKey: Buffer, options: { context?: string } = {}): Promise<EnvelopeRecord> {
  checkKey(masterKey);
  const context = options.context ?? '';
  const dataKey = randomBytes(KEY_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(dataAad(context));
  const plain = tap();
  await pipeline(asReadable(source), plain, cipher, sink);
  const authTag = cipher.getAuthTag();

  const wrapIv = randomBytes(IV_BYTES);
  const wrap = createCipheriv('aes-256-gcm', masterKey, wrapIv, { authTagLength: TAG_BYTES });
  wrap.setAAD(wrapAad(context));
  const wrapped = Buffer.concat([wrap.update(dataKey), wrap.final()]);
  dataKey.fill(0);
  const { sha256, bytes } = plain.digest();
  return {
    version: 1,
    algorithm: ENVELOPE_ALGORITHM,
    iv: iv.toString('base64'),
    authTag: authTag.toString('base64'),
    wrappedKey: { algorithm: ENVELOPE_ALGORITHM, iv: wrapIv.toString('base64'), authTag: wrap.getAuthTag().toString('base64'), ciphertext: wrapped.toString('base64') },
    masterKeyId: masterKeyId(masterKey),
    context,
    plaintextSha256: sha256,
    plaintextBytes: bytes,
  };
}

function b64(value: unknown, bytes: number, what: string): Buffer {
  const buf = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (buf.length !== bytes) throw new EnvelopeError('INVALID_RECORD', `the encryption record's ${what} is missing or malformed`);
  return buf;
}

/** Checks the shape of a stored record (e.g. from Asset.metadata.original). */
export function parseEnvelopeRecord(value: unknown): EnvelopeRecord {
  const r = value as Partial<EnvelopeRecord> | null;
  if (!r || typeof r !== 'object' || r.version !== 1 || r.algorithm !== ENVELOPE_ALGORITHM || !r.wrappedKey || r.wrappedKey.algorithm !== ENVELOPE_ALGORITHM) {
    throw new EnvelopeError('INVALID_RECORD', `the encryption record is missing or not a version 1 ${ENVELOPE_ALGORITHM} record`);
  }
  b64(r.iv, IV_BYTES, 'IV');
  b64(r.authTag, TAG_BYTES, 'auth tag');
  b64(r.wrappedKey.iv, IV_BYTES, 'key-wrap IV');
  b64(r.wrappedKey.authTag, TAG_BYTES, 'key-wrap auth tag');
  b64(r.wrappedKey.ciphertext, KEY_BYTES, 'wrapped key');
  if (typeof r.plaintextSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.plaintextSha256)) throw new EnvelopeError('INVALID_RECORD', "the encryption record's SHA-256 is malformed");
  if (typeof r.context !== 'string' || typeof r.masterKeyId !== 'string' || !Number.isSafeInteger(r.plaintextBytes)) {
    throw new EnvelopeError('INVALID_RECORD', 'the encryption record is incomplete');
  }
  return r as EnvelopeRecord;
}

/** Unwraps the data key; WRONG_KEY when the master key is not the one it was wrapped with. */
function unwrapKey(record: EnvelopeRecord, masterKey: Buffer): Buffer {
  checkKey(masterKey);
  if (record.masterKeyId !== masterKeyId(masterKey)) {
    throw new EnvelopeError('WRONG_KEY', `this file was encrypted under another master key (key id ${record.masterKeyId}); configure that SUTURE_ORIGINALS_KEY`);
  }
  try {
    const unwrap = createDecipheriv('aes-256-gcm', masterKey, b64(record.wrappedKey.iv, IV_BYTES, 'key-wrap IV'), { authTagLength: TAG_BYTES });
    unwrap.setAAD(wrapAad(record.context));
    unwrap.setAuthTag(b64(record.wrappedKey.authTag, TAG_BYTES, 'key-wrap auth tag'));
    return Buffer.concat([unwrap.update(b64(record.wrappedKey.ciphertext, KEY_BYTES, 'wrapped key')), unwrap.final()]);
  } catch (error) {
    if (error instanceof EnvelopeError) throw error;
    throw new EnvelopeError('WRONG_KEY', 'the master key does not unwrap this file’s data key (wrong key, or the record was altered)', { cause: error });
  }
}

/**
 * Decrypts `source` (a path or a stream of the ciphertext) to `outPath`, verifying the GCM tag and the
 * plaintext's SHA-256. On any failure nothing is left at `outPath` (nor at `<outPath>.partial`).
 */
export async function decryptToFile(source: string | Readable, outPath: string, record: EnvelopeRecord, masterKey: Buffer): Promise<{ sha256: string; bytes: number }> {
  const checked = parseEnvelopeRecord(record);
  const dataKey = unwrapKey(checked, masterKey);
  const decipher = createDecipheriv('aes-256-gcm', dataKey, b64(checked.iv, IV_BYTES, 'IV'), { authTagLength: TAG_BYTES });
  dataKey.fill(0);
  decipher.setAAD(dataAad(checked.context));
  decipher.setAuthTag(b64(checked.authTag, TAG_BYTES, 'auth tag'));
  const plain = tap();
  const partial = `${outPath}.partial`;
  try {
    try {
      await pipeline(asReadable(source), decipher, plain, createWriteStream(partial, { mode: 0o600 }));
    } catch (error) {
      if (/unable to authenticate/i.test((error as Error).message ?? '')) {
        throw new EnvelopeError('TAMPERED', 'the encrypted file failed authentication: it was altered, truncated or does not belong to this record', { cause: error });
      }
      throw error;
    }
    const { sha256, bytes } = plain.digest();
    if (bytes !== checked.plaintextBytes || !timingSafeEqual(Buffer.from(sha256, 'hex'), Buffer.from(checked.plaintextSha256, 'hex'))) {
      throw new EnvelopeError('CHECKSUM_MISMATCH', `the decrypted file's SHA-256 or size differs from the recorded one (${bytes} of ${checked.plaintextBytes} bytes)`);
    }
    await rename(partial, outPath);
    return { sha256, bytes };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * Key rotation: the record with its data key unwrapped by `oldKey` and wrapped again by `newKey`. The
 * ciphertext in storage does not change (its data key is the same), so rotating needs no re-encryption.
 */
export function rewrapRecord(record: EnvelopeRecord, oldKey: Buffer, newKey: Buffer): EnvelopeRecord {
  const checked = parseEnvelopeRecord(record);
  checkKey(newKey);
  const dataKey = unwrapKey(checked, oldKey);
  try {
    const wrapIv = randomBytes(IV_BYTES);
    const wrap = createCipheriv('aes-256-gcm', newKey, wrapIv, { authTagLength: TAG_BYTES });
    wrap.setAAD(wrapAad(checked.context));
    const wrapped = Buffer.concat([wrap.update(dataKey), wrap.final()]);
    return {
      ...checked,
      wrappedKey: { algorithm: ENVELOPE_ALGORITHM, iv: wrapIv.toString('base64'), authTag: wrap.getAuthTag().toString('base64'), ciphertext: wrapped.toString('base64') },
      masterKeyId: masterKeyId(newKey),
    };
  } finally {
    dataKey.fill(0);
  }
}
