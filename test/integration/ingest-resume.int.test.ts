// Kill the worker process while it ingests a video and start another: the ingest resumes after its last
// finished step instead of starting again from the download. The worker reaches S3 through a proxy that
// counts GETs per key. On the same machine the original is never downloaded again; on another machine
// (the workspace gone) the checkpoint in S3 sends the new worker to the de-identified file instead.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ffmpeg } from '@suture/workflows/media/test-support';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, startBatch, uploadAsset, type Person } from '../support/scenario.ts';

/** An HTTP proxy in front of s3rver that counts GET requests by path (headers, and so signatures, pass unchanged). */
async function countingProxy(target: string): Promise<{ url: string; gets: (path: string) => number; close(): Promise<void> }> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, target).pathname);
    if (req.method === 'GET') counts.set(path, (counts.get(path) ?? 0) + 1);
    const upstream = request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    gets: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('ingest resumes after the worker is killed', () => {
  let stack: Stack;
  let ops: Person;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let campaignId: string;
  let video: Buffer;

  beforeAll(async () => {
    // A minute and a half of 360p: its proxy takes seconds, long enough to be caught in the middle. Made
    // before the stack starts: ffmpeg runs synchronously and would stall the API's open connections.
    const dir = mkdtempSync(join(tmpdir(), 'suture-resume-'));
    const path = join(dir, 'case.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=90', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28', path]);
    video = readFileSync(path);
    rmSync(dir, { recursive: true, force: true });
    stack = await startStack({ inProcessWorker: false });
    proxy = await countingProxy(stack.s3.endpoint);
    // Worker processes started from now on reach S3 through the counting proxy.
    stack.workerEnv.S3_ENDPOINT = proxy.url;
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    const created = await gql<{ createCampaign: { id: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      { i: { name: 'Long cases', labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'A' }] }, overlap: 2, agreementThreshold: 1 } },
    );
    campaignId = created.createCampaign.id;
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
  });

  const workspace = (assetId: string): string => join(tmpdir(), 'suture-ingest', assetId);

  /** Uploads the video as a new asset, starts its batch on a new worker, and kills that worker during the proxy step. */
  async function killDuringProxy(label: string): Promise<{ assetId: string; originalPath: string; derivedPath: (name: string) => string }> {
    // A trailing MP4 `free` box naming the case: a distinct file each time, or the second would be a duplicate.
    const free = Buffer.concat([Buffer.alloc(8), Buffer.from(label)]);
    free.writeUInt32BE(free.length, 0);
    free.write('free', 4, 'latin1');
    const assetId = await uploadAsset(stack, ops, campaignId, Buffer.concat([video, free]), 'video/mp4');
    const batch = await gql<{ createBatch: { id: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "case", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
      { c: campaignId, a: [assetId] },
    );
    const worker = stack.startWorkerProcess();
    await startBatch(stack, ops, batch.createBatch.id);
    // Past the download, the probe and the de-identification: the proxy is being made.
    await waitFor(
      'the proxy step',
      async () => {
        const a = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
        if (a.status !== 'QUARANTINED') throw new Error(`the ingest ended (${a.status}) before the worker could be killed`);
        return a.ingestStep === 'proxy';
      },
      240_000,
      100,
    );
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    expect((await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } })).status).toBe('QUARANTINED');
    return {
      assetId,
      originalPath: `/${stack.s3.bucket}/quarantine/${campaignId}/${assetId}/original`,
      derivedPath: (name) => `/${stack.s3.bucket}/derived/${campaignId}/${assetId}/${name}`,
    };
  }

  /**
   * A new worker process; waits until the asset leaves quarantine (the activity is retried once Temporal
   * sees the old worker's heartbeats stop) and the ingest has removed its workspace, then stops that
   * worker so the next case starts from none.
   */
  async function finishOnNewWorker(assetId: string) {
    const worker = stack.startWorkerProcess();
    const finished = await waitFor(
      'the ingest finished by the new worker',
      async () => {
        const a = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
        if (a.status === 'FAILED') throw new Error(`ingest failed: ${a.errorCode} ${a.errorMessage}`);
        return a.status !== 'QUARANTINED' && !existsSync(workspace(assetId)) && a;
      },
      300_000,
      250,
    );
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    return finished;
  }

  it('on the same machine: skips the finished steps and never downloads the original again', async () => {
    const { assetId, originalPath } = await killDuringProxy('same machine');
    expect(proxy.gets(originalPath)).toBe(1);
    expect(existsSync(workspace(assetId))).toBe(true);

    const asset = await finishOnNewWorker(assetId);
    expect(asset.status).toBe('READY');
    expect(proxy.gets(originalPath)).toBe(1);
    expect(asset.metadata).toMatchObject({ ingest: { attempts: 2, resumedSteps: ['download', 'probe', 'deidentify'] }, proxy: { frameCount: 2700 } });
    // Over: the workspace (waited for above), its checkpoint and the quarantined original are gone.
    await expect(stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: `work/${campaignId}/${assetId}/state.json` }))).rejects.toMatchObject({
      name: 'NotFound',
    });
    await expect(stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: asset.key }))).rejects.toMatchObject({ name: 'NotFound' });
  }, 600_000);

  it('on another machine: starts from the de-identified file stored by the killed worker, not from the original', async () => {
    const { assetId, originalPath, derivedPath } = await killDuringProxy('another machine');
    expect(proxy.gets(originalPath)).toBe(1);
    // The new worker runs where the old one's disk is not.
    rmSync(workspace(assetId), { recursive: true, force: true });

    const asset = await finishOnNewWorker(assetId);
    expect(asset.status).toBe('READY');
    expect(proxy.gets(originalPath)).toBe(1);
    expect(proxy.gets(derivedPath('deidentified.mp4'))).toBe(1);
    expect(asset.metadata).toMatchObject({ ingest: { attempts: 2, resumedSteps: ['download', 'probe', 'deidentify'] }, proxy: { frameCount: 2700 } });
    await expect(stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: `work/${campaignId}/${assetId}/state.json` }))).rejects.toMatchObject({
      name: 'NotFound',
    });
  }, 600_000);
});
