// Exports at scale: one batch of SUTURE_BENCH_EXPORT_TASKS accepted bbox tasks (default 100,000, each with
// its consensus and the two submitted labels behind it, on an image of its own) exported to COCO and to
// native JSON by runExport (PostgreSQL page by page -> format writer -> multipart upload into s3rver), beside
// the bare baseline measured in the same run on the same database: the same rows read with one SQL query
// through pg and written with one JSON.stringify to a local file.
//
// Set-up: a fresh PostgreSQL database (the project's migrations) and s3rver, seeded with createMany in chunks
// of 5,000 (assets, tasks, assignments, annotations), then VACUUM ANALYZE. Each export runs in a child
// process of its own (export-child.ts, through tsx), so that its peak RSS (the kernel's maxRSS, and RSS
// sampled every 20 ms) is its own; the RSS once modules are loaded and connections are open is reported
// beside it. Wall time counts the export alone (connections already open). Lower is better for every figure:
// ratio = export / baseline.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchFigure, BenchSuite } from './types.ts';

const TASKS = Number(process.env.SUTURE_BENCH_EXPORT_TASKS ?? '100000');
const CHUNK = 5_000;
const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
const MiB = 2 ** 20;

interface ChildResult {
  mode: string;
  ms: number;
  loadedRss: number;
  maxRss: number;
  items: number;
  bytes: number;
}

/** A deterministic pseudo-random sequence (mulberry32), so every run seeds the same boxes. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const suite: BenchSuite = {
  id: 'export',
  title: `Exports of ${TASKS.toLocaleString('en')} accepted bbox tasks (runExport to s3rver vs one bare query + JSON.stringify)`,
  async run() {
    const [{ createTestDatabase }, { startTestS3 }, { createPrisma }] = await Promise.all([import('../support/db.ts'), import('../support/s3.ts'), import('@suture/db')]);
    const [db, s3] = await Promise.all([createTestDatabase('suture_bench_export'), startTestS3()]);
    const prisma = createPrisma(db.url, { max: 5 });
    const tmp = await mkdtemp(join(os.tmpdir(), 'suture-bench-export-'));
    try {
      const classes = ['grasper', 'clip', 'hook', 'scissors'];
      const annotators: Array<{ id: string }> = [];
      for (const name of ['ann', 'ben']) annotators.push(await prisma.user.create({ data: { email: `${name}@bench.test`, name, passwordHash: 'x', roles: ['ANNOTATOR'] } }));
      const campaign = await prisma.campaign.create({
        data: { name: 'Export bench', labelSchema: { geometry: 'bbox', classes: classes.map((key) => ({ key, name: key })) }, qaSettings: {}, guidelinesVersion: 1 },
      });
      const batch = await prisma.batch.create({ data: { campaignId: campaign.id, name: 'export-bench' } });
      const rand = seeded(42);
      const boxesOf = () =>
        Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
          const [w, h] = [20 + Math.floor(rand() * 200), 20 + Math.floor(rand() * 150)];
          return { label: classes[Math.floor(rand() * classes.length)]!, box: [Math.floor(rand() * (640 - w)), Math.floor(rand() * (480 - h)), w, h] };
        });
      const seedStart = Date.now();
      const now = new Date();
      for (let start = 0; start < TASKS; start += CHUNK) {
        const n = Math.min(CHUNK, TASKS - start);
        const assets = Array.from({ length: n }, (_, i) => ({
          id: randomUUID(),
          campaignId: campaign.id,
          kind: 'IMAGE' as const,
          key: `bench/${start + i}`,
          contentType: 'image/png',
          status: 'READY' as const,
          metadata: { probe: { width: 640, height: 480 } },
        }));
        const tasks = assets.map((a) => {
          const objects = boxesOf();
          return {
            id: randomUUID(),
            batchId: batch.id,
            campaignId: campaign.id,
            assetId: a.id,
            status: 'ACCEPTED' as const,
            consensus: { objects: objects.map((o) => ({ ...o, confidence: 1 })) },
            consensusMethod: 'weighted-box-fusion',
            agreement: 1,
            agreementMetric: 'object-f1@0.5-x-class-agreement',
            acceptedAt: now,
            labels: [objects, objects],
          };
        });
        const assignments = tasks.flatMap((t) =>
          annotators.map((u, slot) => ({
            id: randomUUID(),
            taskId: t.id,
            userId: u.id,
            kind: 'LABEL' as const,
            round: 0,
            slot: slot + 1,
            status: 'SUBMITTED' as const,
            leaseExpiresAt: now,
            submittedAt: now,
          })),
        );
        await prisma.asset.createMany({ data: assets });
        await prisma.task.createMany({ data: tasks.map(({ labels: _labels, ...t }) => t) });
        await prisma.assignment.createMany({ data: assignments });
        await prisma.annotation.createMany({
          data: assignments.map((a, k) => ({
            assignmentId: a.id,
            taskId: a.taskId,
            userId: a.userId,
            version: 1,
            data: { objects: tasks[Math.floor(k / 2)]!.labels[k % 2]! },
            submitted: true,
          })),
        });
      }
      for (const table of ['Asset', 'Task', 'Assignment', 'Annotation']) await prisma.$executeRawUnsafe(`VACUUM ANALYZE "${table}"`);
      const seedSeconds = (Date.now() - seedStart) / 1000;
      console.log(`  seeded ${TASKS} tasks (${2 * TASKS} labels) in ${seedSeconds.toFixed(1)} s`);

      const settings = {
        databaseUrl: db.url,
        s3Endpoint: s3.endpoint,
        bucket: s3.bucket,
        campaignId: campaign.id,
        batchId: batch.id,
        secret: randomBytes(32).toString('base64url'),
        out: join(tmp, 'baseline.json'),
      };
      const child = async (mode: string): Promise<ChildResult> => {
        const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'export-child.ts'), mode, JSON.stringify(settings)], {
          cwd: here,
          maxBuffer: 16 * MiB,
        });
        const r = JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
        if (r.items !== TASKS) throw new Error(`${mode} exported ${r.items} tasks, expected ${TASKS}`);
        console.log(
          `  ${mode}: ${(r.ms / 1000).toFixed(1)} s, peak RSS ${(r.maxRss / MiB).toFixed(0)} MiB (loaded ${(r.loadedRss / MiB).toFixed(0)} MiB), ${(r.bytes / MiB).toFixed(1)} MiB`,
        );
        return r;
      };
      // Baseline first and last: its mean is what the exports are compared with; a warm cache favours neither.
      const base1 = await child('baseline');
      const coco = await child('coco');
      const native = await child('native');
      const base2 = await child('baseline');
      const base = { ms: (base1.ms + base2.ms) / 2, maxRss: Math.max(base1.maxRss, base2.maxRss), loadedRss: Math.max(base1.loadedRss, base2.loadedRss), bytes: base1.bytes };
      const baselineName = 'one SQL query (pg) + one JSON.stringify to a file';
      const figures = (label: string, r: ChildResult): BenchFigure[] => [
        {
          name: `${label} export of ${TASKS.toLocaleString('en')} tasks via runExport to S3, wall time`,
          unit: 's',
          value: r.ms / 1000,
          baselineName,
          baselineValue: base.ms / 1000,
          ratio: r.ms / base.ms,
          note: 'lower is better; the baseline holds every row and the whole JSON text in memory at once',
          extra: {
            tasksPerSecond: Math.round(TASKS / (r.ms / 1000)),
            exportMiB: Math.round((r.bytes / MiB) * 10) / 10,
            baselineMiB: Math.round((base.bytes / MiB) * 10) / 10,
            baselineRuns: `${(base1.ms / 1000).toFixed(1)} s, ${(base2.ms / 1000).toFixed(1)} s`,
          },
        },
        {
          name: `${label} export of ${TASKS.toLocaleString('en')} tasks via runExport to S3, peak RSS`,
          unit: 'MiB',
          value: r.maxRss / MiB,
          baselineName,
          baselineValue: base.maxRss / MiB,
          ratio: r.maxRss / base.maxRss,
          note: 'lower is better; the process RSS once loaded and connected is in extra (node + tsx + clients)',
          extra: { loadedRssMiB: Math.round(r.loadedRss / MiB), baselineLoadedRssMiB: Math.round(base.loadedRss / MiB) },
        },
      ];
      return [...figures('COCO', coco), ...figures('native JSON', native)];
    } finally {
      await prisma.$disconnect();
      await s3.stop();
      await db.drop();
      await rm(tmp, { recursive: true, force: true });
    }
  },
};

export default suite;
