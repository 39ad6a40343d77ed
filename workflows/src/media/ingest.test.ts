import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listUploadedParts, partRanges, partSizeFor, promoteAsset, uploadFileResumable } from './ingest.ts';
import { tempDir } from './test-support.ts';

function fakeS3(handler: (input: Record<string, unknown>) => unknown): S3Client {
  return { send: async (command: { input: Record<string, unknown> }) => handler(command.input) } as unknown as S3Client;
}

describe('multipart resume', () => {
  it('reads uploaded parts from ListParts across pages', async () => {
    const s3 = fakeS3((input) =>
      input.PartNumberMarker === undefined
        ? { Parts: [{ PartNumber: 1, ETag: '"a"', Size: 5 }], IsTruncated: true, NextPartNumberMarker: '1' }
        : { Parts: [{ PartNumber: 2, ETag: '"b"', Size: 5 }], IsTruncated: false },
    );
    expect(await listUploadedParts(s3, 'b', 'k', 'u')).toEqual([
      { partNumber: 1, etag: '"a"', size: 5 },
      { partNumber: 2, etag: '"b"', size: 5 },
    ]);
  });

  it('falls back to the checkpoint where the server has no ListParts, and fails without one', async () => {
    const s3 = fakeS3(() => {
      throw Object.assign(new Error('not implemented'), { name: 'NotImplemented' });
    });
    const checkpoint = [{ partNumber: 1, etag: '"a"', size: 5 }];
    expect(await listUploadedParts(s3, 'b', 'k', 'u', checkpoint)).toBe(checkpoint);
    await expect(listUploadedParts(s3, 'b', 'k', 'u')).rejects.toThrow('not implemented');
  });

  it('sizes parts within the 10,000-part limit', () => {
    expect(partSizeFor(100)).toBe(16 * 2 ** 20);
    const huge = 3 * 2 ** 40;
    expect(partRanges(huge, partSizeFor(huge)).length).toBeLessThanOrEqual(10_000);
  });
});

describe('server-side encryption', () => {
  it('passes ServerSideEncryption and the KMS key id to every write', async () => {
    const seen: Array<{ name: string; input: Record<string, unknown> }> = [];
    const s3 = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        seen.push({ name: command.constructor.name, input: command.input });
        (command.input.Body as { destroy?: () => void } | undefined)?.destroy?.();
        return { UploadId: 'u1', ETag: '"e"' };
      },
    } as unknown as S3Client;
    const file = join(tempDir(), 'd.bin');
    writeFileSync(file, 'x'.repeat(100));
    await promoteAsset(s3, { bucket: 'b', campaignId: 'c', assetId: 'a', derivatives: [{ name: 'd.bin', path: file }], serverSideEncryption: 'aws:kms', sseKmsKeyId: 'key-1' });
    await uploadFileResumable(s3, { bucket: 'b', key: 'quarantine/c/a/original', path: file, serverSideEncryption: 'AES256' });
    const put = seen.find((c) => c.name === 'PutObjectCommand')!;
    expect(put.input).toMatchObject({ Key: 'campaigns/c/assets/a/derived/d.bin', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1' });
    expect(seen.find((c) => c.name === 'DeleteObjectCommand')?.input).toMatchObject({ Key: 'quarantine/c/a/original' });
    expect(seen.find((c) => c.name === 'CreateMultipartUploadCommand')?.input).toMatchObject({ ServerSideEncryption: 'AES256' });
  });
});
