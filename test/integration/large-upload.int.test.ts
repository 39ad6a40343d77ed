// A recording past 2 GiB through the path a user takes: `suture upload` (requestAssetUpload with the size
// past 32 bits, presigned parts streamed from disk, completeAssetUpload), then the batch's ingest, which
// streams the original from S3 to disk and hashes it on the way: the asset ends READY with its exact size,
// and no process held the file in memory.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ffmpeg } from '@suture/workflows/media/test-support';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, startBatch, type Person } from '../support/scenario.ts';
import { repoRoot } from '../support/paths.ts';

const GiB = 2 ** 30;
/** Past 2 GiB and not a whole number of parts: the last part is short. */
const SIZE = 2 * GiB + 5 * 2 ** 20 + 7;

/**
 * A valid MP4 of SIZE bytes without writing SIZE bytes: a 2 s clip followed by one top-level `free` box
 * (players and ffprobe skip it) whose body is a hole in a sparse file.
 */
function paddedRecording(path: string): void {
  const clip = `${path}.clip.mp4`;
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15:duration=2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', clip]);
  const head = readFileSync(clip);
  rmSync(clip);
  const box = Buffer.alloc(8);
  box.writeUInt32BE(SIZE - head.length, 0);
  box.write('free', 4, 'latin1');
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  writeSync(fd, box);
  closeSync(fd);
  truncateSync(path, SIZE);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 2 ** 20 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

describe('uploads past 2 GiB', () => {
  let stack: Stack;
  let ops: Person;
  let dir: string;
  let configDir: string;

  /** The CLI as a user runs it, in its own process: the API it talks to runs in this one. */
  function suture(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'api', 'bin', 'suture.mjs'), ...args], { env: { ...process.env, SUTURE_CONFIG_DIR: configDir, ...env } });
      child.stdin.end();
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    dir = mkdtempSync(join(tmpdir(), 'suture-large-'));
    configDir = mkdtempSync(join(tmpdir(), 'suture-config-'));
  }, 300_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
    await stack?.stop();
  });

  it('refuses a size that is not a whole number of bytes, by name', async () => {
    const res = await gql<{ requestAssetUpload: { code?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!) { requestAssetUpload(campaignId: $c, contentType: "video/mp4", sizeBytes: 2147483648.5) { ... on DomainError { code message } } }`,
      { c: (await campaign()).id },
    );
    expect(res.requestAssetUpload).toEqual({ code: 'INVALID_INPUT', message: 'sizeBytes must be a positive whole number of bytes (got 2147483648.5)' });
  });

  it('uploads a recording past 2 GiB with `suture upload` and ingests it to READY with its exact size', async () => {
    const { id: campaignId } = await campaign();
    const file = join(dir, 'or-recording.mp4');
    paddedRecording(file);
    expect(statSync(file).size).toBe(SIZE);
    const expectedSha = await sha256File(file);

    // Memory of this process (the API, s3rver and the worker all run in it) while 2 GiB go through.
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    try {
      const upload = await suture(['upload', '--api', stack.apiUrl, '--campaign', campaignId, file], { SUTURE_TOKEN: ops.token });
      expect(upload.stderr).toBe('');
      expect(upload.status).toBe(0);
      const [result] = JSON.parse(upload.stdout.trim().split('\n').pop()!) as Array<{ assetId: string }>;
      const assetId = result!.assetId;
      const uploaded = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
      expect({ status: uploaded.status, sizeBytes: uploaded.sizeBytes }).toEqual({ status: 'QUARANTINED', sizeBytes: BigInt(SIZE) });
      const stored = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: uploaded.key }));
      expect(stored.ContentLength).toBe(SIZE);

      const batch = await gql<{ createBatch: { id: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "long case", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
        { c: campaignId, a: [assetId] },
      );
      await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
      await startBatch(stack, ops, batch.createBatch.id);
      const asset = await waitFor(
        'the recording ingested',
        async () => {
          const a = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
          if (a.status === 'FAILED') throw new Error(`ingest failed: ${a.errorCode} ${a.errorMessage}`);
          return a.status !== 'QUARANTINED' && a;
        },
        400_000,
        500,
      );
      expect(asset.status).toBe('READY');
      expect(asset.sizeBytes).toBe(BigInt(SIZE));
      // The hash the ingest computed while it streamed the original to disk.
      expect(asset.sha256).toBe(expectedSha);
      expect(asset.metadata).toMatchObject({ probe: { kind: 'video', size: SIZE }, proxy: { width: 320, height: 240 } });
      await expect(stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: uploaded.key }))).rejects.toMatchObject({ name: 'NotFound' });
      const proxy = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: asset.derivativeKey! }));
      expect(proxy.ContentLength).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
      rmSync(file, { force: true });
    }
    // Streams all the way: holding the file anywhere in this process would add 2 GiB.
    expect(peak - baseline).toBeLessThan(GiB);
  }, 900_000);

  let made: { id: string } | undefined;
  async function campaign(): Promise<{ id: string }> {
    if (made) return made;
    const created = await gql<{ createCampaign: { id: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      { i: { name: 'Hour-long recordings', labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'A' }] }, overlap: 2, agreementThreshold: 1 } },
    );
    made = created.createCampaign;
    return made;
  }
});
