import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { listUploadedParts, partRanges, partSizeFor } from './ingest.ts';

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
