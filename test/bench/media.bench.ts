// The production ingest of a large synthetic 1080p surgical-like video, the path a real upload takes:
// requestAssetUpload, presigned parts streamed from disk (what `suture upload` and the console do),
// completeAssetUpload, then the worker's ingest activity itself (deidentifyAsset: S3 download hashed in the
// stream, probe and frame index, de-identification with the burned-in text scan, proxy, sprite, derivatives
// to S3), beside a plain ffmpeg transcode of the same file in the same run. SUTURE_BENCH_VIDEO_GB scales the
// video (default 2).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTextDetector } from '@suture/workflows/media';
import { partRanges, uploadPartWithUrl } from '@suture/workflows/media/ingest';
import { deidentifyAsset } from '@suture/workflows/activities/ingest';
import { gql, startStack } from '../support/stack.ts';
import { bootstrapAdmin, register } from '../support/scenario.ts';
import type { BenchFigure, BenchSuite } from './types.ts';

// bits/s: a high-quality master. OR recorders write 10-40 Mbit/s; at 100 Mbit/s a 2 GB file holds fewer
// frames, which weighs the size-bound steps (upload, download, hashing) more against the transcode:
// a harder test of the pipeline's overhead, and one that fits the time a benchmark run can take here.
const bitrate = 100_000_000;

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

/** Generates the source once into a cache outside the repo. */
async function sourceVideo(gigabytes: number): Promise<string> {
  const dir = join(homedir(), '.cache', 'suture', 'bench');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `surgical-1080p-${gigabytes}GB-${bitrate / 1e6}Mbps.mp4`);
  if (existsSync(path)) return path;
  const seconds = Math.max(5, Math.round((gigabytes * 2 ** 30 * 8) / bitrate));
  const tmp = `${path}.partial.mp4`;
  // Test pattern, tinted and darkened like endoscopic footage, with temporal noise so it stays large.
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=1920x1080:r=30:d=${seconds}`,
    '-vf',
    'colorchannelmixer=rr=1:gg=0.55:bb=0.45,eq=brightness=-0.12,noise=alls=18:allf=t,format=yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    String(bitrate),
    '-maxrate',
    String(bitrate),
    '-bufsize',
    String(2 * bitrate),
    '-metadata',
    'creation_time=2024-01-02T03:04:05Z',
    tmp,
  ]);
  await rename(tmp, path);
  return path;
}

type UploadPlan = { assetId?: string; partSize?: number; parts?: Array<{ partNumber: number; url: string }>; message?: string };

const suite: BenchSuite = {
  id: 'media',
  title: 'Production media ingest (upload through presigned parts, then the ingest activity) vs plain ffmpeg transcode (1080p synthetic surgical video)',
  async run(): Promise<BenchFigure[]> {
    const gigabytes = Number(process.env.SUTURE_BENCH_VIDEO_GB ?? '2');
    const src = await sourceVideo(gigabytes);
    const size = (await stat(src)).size;
    const work = join(tmpdir(), `suture-media-bench-${process.pid}`);
    await mkdir(work, { recursive: true });
    // No worker: the ingest activity runs here, timed alone, with the dependencies the worker gives it.
    const stack = await startStack({ inProcessWorker: false });
    try {
      const admin = await bootstrapAdmin(stack);
      const ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
      const created = await gql<{ createCampaign: { id: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
        { i: { name: 'Bench recordings', labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'A' }] }, overlap: 2, agreementThreshold: 1 } },
      );
      const campaignId = created.createCampaign.id;

      // Baseline: a plain transcode of the same file with the proxy's encoder settings, timed before and
      // after the pipeline (the machine is shared; the mean evens out load that changes during the run).
      const plain = async (): Promise<number> => {
        const t0 = performance.now();
        await ffmpeg(['-i', src, '-map', '0:v:0', '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', join(work, 'plain.mp4')]);
        return (performance.now() - t0) / 1000;
      };
      const plainBefore = await plain();
      const loadBefore = loadavg()[0]!;

      // Upload as `suture upload` does it: the plan, each part PUT from disk to its presigned URL, complete.
      const t0 = performance.now();
      const { requestAssetUpload: plan } = await gql<{ requestAssetUpload: UploadPlan }>(
        stack.apiUrl,
        ops.token,
        `mutation($c: ID!, $t: String!, $s: Float!) { requestAssetUpload(campaignId: $c, contentType: $t, sizeBytes: $s) { ... on UploadPlan { assetId partSize parts { partNumber url } } ... on DomainError { message } } }`,
        { c: campaignId, t: 'video/mp4', s: size },
      );
      if (!plan.assetId || !plan.parts || !plan.partSize) throw new Error(`upload plan refused: ${plan.message}`);
      const ranges = new Map(partRanges(size, plan.partSize).map((r) => [r.partNumber, r]));
      const etags: Array<{ partNumber: number; etag: string }> = [];
      for (const part of plan.parts) etags.push({ partNumber: part.partNumber, etag: await uploadPartWithUrl(part.url, src, ranges.get(part.partNumber)!) });
      const completed = await gql<{ completeAssetUpload: { id?: string; message?: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($a: ID!, $p: [CompletedPartInput!]) { completeAssetUpload(assetId: $a, parts: $p) { ... on Asset { id } ... on DomainError { message } } }`,
        { a: plan.assetId, p: etags },
      );
      if (!completed.completeAssetUpload.id) throw new Error(`complete refused: ${completed.completeAssetUpload.message}`);
      const uploadSeconds = (performance.now() - t0) / 1000;

      // The ingest activity, as the worker runs it (worker.ts gives it the same text detector).
      const asset = await stack.prisma.asset.findUniqueOrThrow({ where: { id: plan.assetId } });
      const steps = new Map<string, number>();
      let step = '';
      let stepStart = performance.now();
      const baseRss = process.memoryUsage().rss;
      let peakRss = baseRss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
      const t1 = performance.now();
      let outcome: string;
      try {
        outcome = await deidentifyAsset(
          {
            prisma: stack.prisma,
            s3: stack.s3.client,
            bucket: stack.s3.bucket,
            deidSecret: stack.workerEnv.SUTURE_DEID_KEY!,
            textDetector: createTextDetector(),
            workRoot: join(work, 'ingest'),
            // Time per step, from the heartbeats the activity sends Temporal.
            heartbeat: (details) => {
              const next = (details as { step?: string }).step ?? '';
              if (next === step) return;
              const now = performance.now();
              if (step) steps.set(step, (steps.get(step) ?? 0) + (now - stepStart) / 1000);
              step = next;
              stepStart = now;
            },
          },
          asset,
        );
      } finally {
        clearInterval(sampler);
      }
      const ingestSeconds = (performance.now() - t1) / 1000;
      if (outcome !== 'READY') {
        const failed = await stack.prisma.asset.findUniqueOrThrow({ where: { id: asset.id } });
        throw new Error(`the ingest ended ${outcome}: ${failed.errorCode} ${failed.errorMessage}`);
      }
      const plainAfter = await plain();
      const plainSeconds = (plainBefore + plainAfter) / 2;
      const ready = await stack.prisma.asset.findUniqueOrThrow({ where: { id: asset.id } });
      const metadata = ready.metadata as { proxy?: { frameCount?: number }; deid?: { framesScanned?: number; redacted?: boolean } };
      const perStep = Object.fromEntries([...steps].map(([k, v]) => [`${k}Seconds`, Number(v.toFixed(1))]));
      const shared = {
        sourceBytes: size,
        plainBeforeSeconds: Number(plainBefore.toFixed(1)),
        plainAfterSeconds: Number(plainAfter.toFixed(1)),
        loadAverageAtStart: Number(loadBefore.toFixed(2)),
      };
      return [
        {
          name: `production ingest activity (S3 download + sha256 in the stream, probe + source frame index, de-identification with a text scan of ${metadata.deid?.framesScanned ?? 0} frames${metadata.deid?.redacted ? ' and redaction' : ''}, proxy, sprite, derivatives to S3), ${(size / 2 ** 30).toFixed(2)} GiB`,
          unit: 's',
          value: ingestSeconds,
          baselineName: 'plain ffmpeg transcode of the same file',
          baselineValue: plainSeconds,
          ratio: ingestSeconds / plainSeconds,
          target: '<= 1.5x the bare transcode',
          met: ingestSeconds / plainSeconds <= 1.5,
          note: 'lower is better',
          extra: {
            ...shared,
            ...perStep,
            proxyFrames: metadata.proxy?.frameCount ?? 0,
            peakRssGrowthMiB: Math.round((peakRss - baseRss) / 2 ** 20),
            sha256: (ready.sha256 ?? '').slice(0, 12),
          },
        },
        {
          name: `upload through presigned parts (${plan.parts.length} parts of ${plan.partSize / 2 ** 20} MiB) + the ingest activity: from the first byte sent to READY`,
          unit: 's',
          value: uploadSeconds + ingestSeconds,
          baselineName: 'plain ffmpeg transcode of the same file',
          baselineValue: plainSeconds,
          ratio: (uploadSeconds + ingestSeconds) / plainSeconds,
          note: 'lower is better',
          extra: { ...shared, uploadSeconds: Number(uploadSeconds.toFixed(1)), uploadMBps: Number((size / 2 ** 20 / uploadSeconds).toFixed(1)) },
        },
      ];
    } finally {
      await stack.stop();
      await rm(work, { recursive: true, force: true });
    }
  },
};

export default suite;
