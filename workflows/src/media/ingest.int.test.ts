// Ingest's S3 layer against s3rver: a download that hashes while it streams and continues a partial file
// with a ranged GET, uploads that go multipart above the single-PUT limit, and the workspace whose
// checkpoint survives the process (on disk) and the machine (in S3).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type TestS3, startTestS3 } from '../../../test/support/s3.ts';
import { IngestWorkspace, downloadObject, quarantineKey, singlePutLimit, uploadFile, workKey } from './ingest.ts';
import { tempDir } from './test-support.ts';

const MiB = 2 ** 20;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
let s3: TestS3;
const dir = tempDir();

beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.stop();
});

describe('download', () => {
  const content = randomBytes(9 * MiB + 777);
  const key = quarantineKey('camp', 'download1');

  beforeAll(async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: content }));
  });

  it('streams an object to disk and hashes it on the way', async () => {
    const path = join(dir, 'whole');
    const seen: number[] = [];
    const result = await downloadObject(s3.client, { bucket: s3.bucket, key, path, onProgress: (bytes) => seen.push(bytes) });
    expect(result).toMatchObject({ size: content.length, sha256: sha256(content), resumedFrom: 0 });
    expect(result.etag).toMatch(/^".+"$/);
    expect(seen.at(-1)).toBe(content.length);
    expect(readFileSync(path).equals(content)).toBe(true);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it('continues what a killed process left in the partial file, and hashes the whole', async () => {
    const path = join(dir, 'resumed');
    const { ETag } = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    // What a process killed mid-download leaves: a prefix of the object, and the version it was reading.
    const cut = 4 * MiB + 3;
    writeFileSync(`${path}.part`, content.subarray(0, cut));
    writeFileSync(`${path}.part.json`, JSON.stringify({ etag: ETag }));
    let first: number | undefined;
    const result = await downloadObject(s3.client, { bucket: s3.bucket, key, path, onProgress: (bytes) => (first ??= bytes) });
    expect(result).toMatchObject({ size: content.length, sha256: sha256(content), resumedFrom: cut });
    expect(first).toBeGreaterThan(cut);
    expect(readFileSync(path).equals(content)).toBe(true);
  });

  it('starts over when the partial file is of another version of the object', async () => {
    const path = join(dir, 'stale');
    writeFileSync(`${path}.part`, randomBytes(MiB));
    writeFileSync(`${path}.part.json`, JSON.stringify({ etag: '"not-this-one"' }));
    const result = await downloadObject(s3.client, { bucket: s3.bucket, key, path });
    expect(result).toMatchObject({ size: content.length, sha256: sha256(content), resumedFrom: 0 });
    expect(readFileSync(path).equals(content)).toBe(true);
  });
});

describe('upload', () => {
  it('puts small files in one request and larger ones in parts, byte for byte', async () => {
    // The commands the client sends, seen through the SDK's own middleware stack.
    const sent: string[] = [];
    s3.client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'observeCommands' },
    );
    onTestFinished(() => void s3.client.middlewareStack.remove('observeCommands'));
    for (const size of [1000, singlePutLimit + 5 * MiB + 1]) {
      sent.length = 0;
      const path = join(dir, `up-${size}`);
      const body = randomBytes(size);
      writeFileSync(path, body);
      const key = `derived/camp/up/${size}.bin`;
      await uploadFile(s3.client, { bucket: s3.bucket, key, path, contentType: 'application/octet-stream' });
      const stored = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(stored.ContentLength).toBe(size);
      expect(sha256(Buffer.from(await stored.Body!.transformToByteArray()))).toBe(sha256(body));
      expect(sent.filter((c) => c !== 'GetObjectCommand')).toEqual(
        // 69 MiB in 16 MiB parts: five of them.
        size > singlePutLimit ? ['CreateMultipartUploadCommand', ...Array<string>(5).fill('UploadPartCommand'), 'CompleteMultipartUploadCommand'] : ['PutObjectCommand'],
      );
    }
  });
});

describe('workspace', () => {
  interface State {
    steps: string[];
  }
  const options = (assetId: string, root = join(dir, 'work')) => ({ s3: s3.client, bucket: s3.bucket, campaignId: 'camp', assetId, root });

  it('keeps its checkpoint on disk and in S3, so a retry elsewhere finds it', async () => {
    const here = await IngestWorkspace.open<State>(options('ws1'));
    expect(await here.load()).toBeNull();
    await here.save({ steps: ['download'] });
    writeFileSync(here.path('original'), 'bytes');
    here.release();
    // The same machine again: the files and the checkpoint are there.
    const again = await IngestWorkspace.open<State>(options('ws1'));
    expect(again.dir).toBe(here.dir);
    expect(await again.has('original')).toBe(true);
    expect(await again.load()).toEqual({ steps: ['download'] });
    await again.save({ steps: ['download', 'probe'] });
    again.release();
    // Another machine (another root): no files, the checkpoint from S3.
    const elsewhere = await IngestWorkspace.open<State>(options('ws1', join(dir, 'other-machine')));
    expect(await elsewhere.has('original')).toBe(false);
    expect(await elsewhere.load()).toEqual({ steps: ['download', 'probe'] });
    await elsewhere.discard();
    await expect(s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: workKey('camp', 'ws1', 'state.json') }))).rejects.toMatchObject({ name: 'NotFound' });
    expect(existsSync(elsewhere.dir)).toBe(false);
    await again.discard();
  });

  it('is held by one process at a time; a dead holder is taken over', async () => {
    const first = await IngestWorkspace.open<State>(options('ws2'));
    await expect(IngestWorkspace.open<State>(options('ws2'))).rejects.toThrow('already running in this worker');
    first.release();
    // Another live process holds it.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(first.dir, 'lock'), String(other.pid));
      await expect(IngestWorkspace.open<State>(options('ws2'))).rejects.toThrow(`running in process ${other.pid}`);
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    const takenOver = await IngestWorkspace.open<State>(options('ws2'));
    expect(readFileSync(join(takenOver.dir, 'lock'), 'utf8')).toBe(String(process.pid));
    await takenOver.discard();
  });
});
