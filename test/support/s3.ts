// Starts a real S3 protocol server (s3rver) on an ephemeral port for a test file, and stops it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3 } from '@suture/workflows/services/s3';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  client: S3Client;
  stop(): Promise<void>;
}

export async function startTestS3(bucket = 'suture-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'suture-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  // The same client construction the worker and API use (checksums only when S3 requires them).
  const client = createS3({ endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    client,
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
