// One export measured in a process of its own (for export.bench.ts), so that its peak RSS is its own:
// `tsx export-child.ts <coco|native|baseline> <json settings>` prints one JSON line with the wall time of
// the work (connections opened before), the RSS once everything is loaded, and the process's peak RSS.
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createPrisma } from '@suture/db';
import { runExport } from '@suture/workflows/export/run';
import { createS3 } from '@suture/workflows/services/s3';

interface Settings {
  databaseUrl: string;
  s3Endpoint: string;
  bucket: string;
  campaignId: string;
  batchId: string;
  secret: string;
  /** Where the baseline writes its file. */
  out: string;
}

/** The bare baseline: the rows the export reads (tasks, consensus, submitted labels), in one query. */
const BARE_SQL = `
  SELECT t.id, t."batchId", t."frameIndex", t.round, t.consensus, t."consensusMethod", t.agreement, t."agreementMetric",
         a.id AS "assetId", a.kind AS "assetKind", a.metadata AS "assetMetadata",
         (SELECT json_agg(json_build_object('userId', n."userId", 'data', n.data) ORDER BY n."userId")
            FROM "Annotation" n WHERE n."taskId" = t.id AND n.submitted) AS labels
  FROM "Task" t LEFT JOIN "Asset" a ON a.id = t."assetId"
  WHERE t."batchId" = $1::uuid AND t.status = 'ACCEPTED'
  ORDER BY t.id`;

async function main(): Promise<void> {
  const mode = process.argv[2];
  const s = JSON.parse(process.argv[3]!) as Settings;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let result: { items: number; bytes: number };
  let loadedRss: number;
  let ms: number;
  if (mode === 'baseline') {
    const client = new pg.Client({ connectionString: s.databaseUrl });
    await client.connect();
    loadedRss = process.memoryUsage().rss;
    const t0 = performance.now();
    const { rows } = await client.query(BARE_SQL, [s.batchId]);
    const text = JSON.stringify(rows);
    await writeFile(s.out, text);
    ms = performance.now() - t0;
    result = { items: rows.length, bytes: Buffer.byteLength(text) };
    await client.end();
  } else {
    const prisma = createPrisma(s.databaseUrl, { max: 5 });
    const s3 = createS3({ endpoint: s.s3Endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    await prisma.$queryRaw`SELECT 1`;
    loadedRss = process.memoryUsage().rss;
    const t0 = performance.now();
    const r = await runExport({ prisma, s3, bucket: s.bucket, pseudonymSecret: s.secret }, { campaignId: s.campaignId, batchId: s.batchId, format: mode! });
    ms = performance.now() - t0;
    result = { items: r.items, bytes: r.bytes };
    await prisma.$disconnect();
    s3.destroy();
  }
  clearInterval(sampler);
  // maxRSS (KiB) is the kernel's high-water mark; the sampled peak can only be lower.
  const maxRss = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  console.log(JSON.stringify({ mode, ms, loadedRss, maxRss, ...result }));
}

await main();
