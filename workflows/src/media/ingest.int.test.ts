import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestS3, startTestS3 } from '../../../test/support/s3.ts';
import { MediaError } from './errors.ts';
import {
  assetKey,
  completeUpload,
  derivedKey,
  findDuplicate,
  partRanges,
  partSizeFor,
  planMultipartUpload,
  promoteAsset,
  quarantineKey,
  sha256File,
  uploadFileResumable,
  uploadPartWithUrl,
  verifyObjectSha256,
} from './ingest.ts';
import { tempDir } from './test-support.ts';

const dir = tempDir();
const MiB = 2 ** 20;
let s3: TestS3;
const file = join(dir, 'asset.bin');
const content = randomBytes(23 * MiB + 12345);
const sha = createHash('sha256').update(content).digest('hex');

beforeAll(async () => {
  s3 = await startTestS3();
  writeFileSync(file, content);
});
afterAll(async () => {
  await s3?.stop();
});

describe('ingest helpers against s3rver', () => {
  it('lays out keys with a quarantine prefix and rejects unsafe ids', () => {
    expect(quarantineKey('c1', 'a-9')).toBe('quarantine/c1/a-9/original');
    expect(derivedKey('c1', 'a-9', 'proxy.mp4')).toBe('campaigns/c1/assets/a-9/derived/proxy.mp4');
    expect(assetKey('c1', 'a-9', 'frames', 'index.json')).toBe('campaigns/c1/assets/a-9/frames/index.json');
    expect(() => quarantineKey('../x', 'a')).toThrow(MediaError);
    expect(() => derivedKey('c', 'a', '../../etc')).toThrow(MediaError);
    expect(partSizeFor(2 * 2 ** 40)).toBeGreaterThanOrEqual(Math.ceil((2 * 2 ** 40) / 10_000));
    expect(partRanges(11, 5).map((p) => [p.start, p.end])).toEqual([
      [0, 5],
      [5, 10],
      [10, 11],
    ]);
  });

  it('uploads in streamed parts, resumes after an interruption, hashes while uploading and verifies on the server', async () => {
    const key = quarantineKey('camp', 'asset1');
    const checkpointPath = join(dir, 'upload.json');
    const first = await uploadFileResumable(s3.client, {
      bucket: s3.bucket,
      key,
      path: file,
      partSize: 5 * MiB,
      checkpointPath,
      stopAfterParts: 2,
      concurrency: 1,
      serverSideEncryption: undefined,
    });
    expect(first.completed).toBe(false);
    // A new process picks the upload up from the checkpoint (s3rver has no ListParts).
    let progress = 0;
    const second = await uploadFileResumable(s3.client, { bucket: s3.bucket, key, path: file, checkpointPath, onProgress: (n) => (progress = n) });
    expect(second.completed).toBe(true);
    expect(second.uploadId).toBe(first.uploadId);
    expect(second.resumedParts).toBe(2);
    expect(second.parts).toBe(5);
    expect(progress).toBe(content.length);
    expect(second.sha256).toBe(sha);
    expect(await sha256File(file)).toBe(sha);
    await expect(verifyObjectSha256(s3.client, s3.bucket, key, sha)).resolves.toMatchObject({ size: content.length });
    await expect(verifyObjectSha256(s3.client, s3.bucket, key, '0'.repeat(64))).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    expect(await findDuplicate(sha, new Set([sha]))).toBe(sha);
    expect(await findDuplicate(sha, async (h) => (h === sha ? 'asset0' : undefined))).toBe('asset0');
    expect(await findDuplicate('f'.repeat(64), new Set([sha]))).toBeUndefined();
  });

  it('plans a presigned multipart upload that a plain HTTP client can fill', async () => {
    const key = quarantineKey('camp', 'asset2');
    const plan = await planMultipartUpload(s3.client, { bucket: s3.bucket, key, size: content.length, partSize: 8 * MiB, expiresIn: 300 });
    expect(plan.parts).toHaveLength(3);
    expect(plan.parts[0]!.url).toContain('X-Amz-Expires=300');
    const etags = await Promise.all(plan.parts.map(async (p) => ({ partNumber: p.partNumber, etag: await uploadPartWithUrl(p.url, file, p) })));
    await completeUpload(s3.client, plan, etags);
    await expect(verifyObjectSha256(s3.client, s3.bucket, key, sha)).resolves.toBeDefined();
    // Re-presign only what is missing, for the same upload id.
    const again = await planMultipartUpload(s3.client, { bucket: s3.bucket, key, size: content.length, partSize: 8 * MiB, uploadId: plan.uploadId, partNumbers: [3] });
    expect(again.parts.map((p) => p.partNumber)).toEqual([3]);
  });

  it('promotes de-identified derivatives and deletes the quarantined original', async () => {
    const original = quarantineKey('camp', 'asset3');
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: original, Body: 'phi' }));
    const derived = join(dir, 'proxy.mp4');
    writeFileSync(derived, 'derived-bytes');
    // s3rver ignores SSE; the option is passed through to S3 as ServerSideEncryption.
    const result = await promoteAsset(s3.client, {
      bucket: s3.bucket,
      campaignId: 'camp',
      assetId: 'asset3',
      derivatives: [{ name: 'proxy.mp4', path: derived, contentType: 'video/mp4' }],
    });
    expect(result.keys).toEqual(['campaigns/camp/assets/asset3/derived/proxy.mp4']);
    const body = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: result.keys[0]! }));
    expect(await body.Body!.transformToString()).toBe('derived-bytes');
    await expect(s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: original }))).rejects.toBeDefined();
    const kept = await promoteAsset(s3.client, { bucket: s3.bucket, campaignId: 'camp', assetId: 'asset2', derivatives: [], keepOriginal: true });
    expect(kept.originalDeleted).toBe(false);
    await expect(s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: quarantineKey('camp', 'asset2') }))).resolves.toBeDefined();
  });
});
