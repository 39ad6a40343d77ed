// claimNextTask through GraphQL (HTTP to the API running in its own process, as in production) beside
// the same claim SQL run bare through pg on the same database, at 1, 16 and 64 concurrent annotators.
//
// Set-up: startStack() without a worker (nothing competes for the 2 cores); the campaign, users and
// SUTURE_BENCH_CLAIM_TASKS tasks (default 20,000, overlap 2) are written straight into the database and
// opened in SQL (status OPEN, openSlots = overlap), not through the batch workflow. Sessions come from
// the API's own SessionStore. Every run starts from the same state (assignments deleted, slots reset,
// VACUUM ANALYZE). Loop per client: claim (timed) -> mark the assignment SUBMITTED with one UPDATE (not
// timed, the same for both paths; not submitAnnotation, whose cost would blur the claim figures) -> claim
// again. The bare path runs the service's statements (release of the annotator's own expired claims,
// active-claim check, claimSql, looking again when a unique index reports a lost race) on one pg
// connection per client; the GraphQL path's completions share a 16-connection pool (the API's own pool
// is 20; PostgreSQL allows 100 connections on these machines). The loop is closed (no think time), so at
// N clients latency is about N / throughput. Reported beside the figures: the API process's CPU time per
// claim and the machine's load average, since other work on the machine shifts the figures.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { BenchFigure, BenchSuite } from './types.ts';

const LEVELS = [1, 16, 64];
const OVERLAP = 2;
const TASKS = Number(process.env.SUTURE_BENCH_CLAIM_TASKS ?? '20000');
const WARMUP_MS = Number(process.env.SUTURE_BENCH_CLAIM_WARMUP_MS ?? '1500');
const MEASURE_MS = Number(process.env.SUTURE_BENCH_CLAIM_MEASURE_MS ?? '6000');
const ROLE_ENV = 'SUTURE_CLAIM_BENCH_ROLE';

const CLAIM = `mutation { claimNextTask { __typename ... on Assignment { id round slot leaseExpiresAt task { id asset { id } } } ... on DomainError { code message } } }`;
// The statements claimNextTask (api/src/services/work.ts) runs around claimSql, copied here for the bare
// baseline: keep them in step with the service.
const RELEASE_OWN_EXPIRED_SQL = `
    WITH expired AS (
      UPDATE "Assignment" SET status = 'EXPIRED'
      WHERE "userId" = $1::uuid AND status = 'ACTIVE' AND kind IN ('LABEL', 'REWORK') AND "leaseExpiresAt" < now()
      RETURNING "taskId"
    )
    UPDATE "Task" t SET "openSlots" = t."openSlots" + 1 FROM expired WHERE t.id = expired."taskId"`;
const ACTIVE_CLAIM_SQL = `
      SELECT a.id FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE a."userId" = $1::uuid AND a.status = 'ACTIVE' AND a.kind IN ('LABEL', 'REWORK')
        AND ($2::uuid IS NULL OR t."campaignId" = $2::uuid)
      ORDER BY a."claimedAt" LIMIT 1`;
/** claimNextTask looks again this many times when a unique index reports that a concurrent claim won. */
const CLAIM_ATTEMPTS = 5;
const COMPLETE_SQL = `UPDATE "Assignment" SET status = 'SUBMITTED', "submittedAt" = now() WHERE id = $1::uuid`;

interface RunResult {
  claims: number;
  claimsPerSecond: number;
  p50: number;
  p99: number;
  noTask: number;
  errors: number;
  firstError?: string;
}

type ClaimOnce = (client: number) => Promise<{ id: string } | { noTask: true } | { error: string }>;

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

/** Runs `clients` claim loops: a warm-up, then a measured window; only claims started and finished inside it count. */
async function drive(clients: number, claimOnce: ClaimOnce, complete: (client: number, id: string) => Promise<void>): Promise<RunResult> {
  const start = performance.now();
  const windowStart = start + WARMUP_MS;
  const windowEnd = windowStart + MEASURE_MS;
  const latencies: number[] = [];
  let noTask = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < windowEnd) {
        const t0 = performance.now();
        const r = await claimOnce(c);
        const t1 = performance.now();
        const counted = t0 >= windowStart && t1 <= windowEnd;
        if ('id' in r) {
          if (counted) latencies.push(t1 - t0);
          await complete(c, r.id);
        } else if ('noTask' in r) {
          if (counted) noTask += 1;
        } else if (counted) {
          errors += 1;
          firstError ??= r.error;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    claims: latencies.length,
    claimsPerSecond: latencies.length / (MEASURE_MS / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    noTask,
    errors,
    firstError,
  };
}

/** Child-process role: the API booted from the environment exactly as `suture up` does. */
async function serveApi(): Promise<void> {
  const { startApiFromEnv } = await import('@suture/api/server');
  const api = await startApiFromEnv(process.env);
  // The parent asks for this process's CPU time to report API CPU per claim.
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    if (!d.includes('cpu')) return;
    const used = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ benchApiCpuMs: (used.user + used.system) / 1000 })}\n`);
  });
  process.stdout.write(`${JSON.stringify({ benchApiUrl: api.url })}\n`);
  process.once('SIGTERM', () => {
    void api.close().finally(() => process.exit(0));
  });
}

/** The API process's error log lines, summarised instead of flooding the bench output. */
interface ApiErrorLog {
  lines: number;
  first?: string;
}

interface ApiProcess {
  child: ChildProcess;
  url: URL;
  /** CPU time (user + system) the API process has used so far. */
  cpuMs(): Promise<number>;
}

function startApiProcess(repoRoot: string, env: Record<string, string>, errorLog: ApiErrorLog): Promise<ApiProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...env, [ROLE_ENV]: 'api', API_PORT: '0', API_HOST: '127.0.0.1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    // Only the API's own error log lines; tool warnings (e.g. the AWS SDK's Node version notice) are not errors.
    for (const line of lines.filter((l) => l.includes('"level":"error"'))) {
      errorLog.lines += 1;
      // The error's first lines say what failed; the rest of the stack is noise here.
      errorLog.first ??= line.replace(/\\n\s+at [\s\S]*/, '').slice(0, 400);
    }
  });
  const cpuWaiters: Array<(ms: number) => void> = [];
  const cpuMs = () =>
    new Promise<number>((resolve) => {
      cpuWaiters.push(resolve);
      child.stdin!.write('cpu\n');
    });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the API process did not report its URL within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the API process exited with ${code} before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{"bench')) continue; // the API's own JSON logs
        const message = JSON.parse(line) as { benchApiUrl?: string; benchApiCpuMs?: number };
        if (message.benchApiUrl) {
          clearTimeout(timer);
          resolve({ child, url: new URL(message.benchApiUrl), cpuMs });
        }
        if (message.benchApiCpuMs !== undefined) cpuWaiters.shift()?.(message.benchApiCpuMs);
      }
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timeout);
}

/** A keep-alive HTTP POST of one GraphQL claim; node:http costs the load generator less CPU than fetch. */
function graphqlClaim(agent: http.Agent, url: URL, token: string): Promise<{ id: string } | { noTask: true } | { error: string }> {
  const body = JSON.stringify({ query: CLAIM });
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(text) as { data?: { claimNextTask?: { __typename: string; id?: string; code?: string } }; errors?: unknown[] };
            const r = parsed.data?.claimNextTask;
            if (parsed.errors?.length || !r) resolve({ error: text.slice(0, 300) });
            else if (r.__typename === 'Assignment') resolve({ id: r.id! });
            else if (r.code === 'NO_TASK_AVAILABLE') resolve({ noTask: true });
            else resolve({ error: text.slice(0, 300) });
          } catch {
            resolve({ error: `HTTP ${res.statusCode}: ${text.slice(0, 300)}` });
          }
        });
      },
    );
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

const suite: BenchSuite = {
  id: 'claim',
  title: 'claimNextTask through GraphQL vs the same claim SQL bare through pg (1, 16, 64 concurrent annotators)',
  async run(): Promise<BenchFigure[]> {
    const [{ startStack }, { repoRoot }, { claimSql }] = await Promise.all([import('../support/stack.ts'), import('../support/paths.ts'), import('@suture/api/services/work')]);
    const stack = await startStack({ inProcessWorker: false });
    let api: ChildProcess | undefined;
    const admin = new pg.Client({ connectionString: stack.db.url });
    let adminConnected = false;
    try {
      await admin.connect();
      adminConnected = true;
      const clientsMax = Math.max(...LEVELS);
      const skill = await stack.prisma.skill.create({ data: { key: 'laparoscopy', name: 'Laparoscopic instruments' } });
      const campaign = await stack.prisma.campaign.create({
        data: {
          name: 'Claim bench',
          status: 'ACTIVE',
          labelSchema: {
            geometry: 'classification',
            classes: [
              { key: 'grasper', name: 'grasper' },
              { key: 'hook', name: 'hook' },
            ],
          },
          qaSettings: { tolerableErrorRate: 0.2, confidence: 0.8, seed: 'bench' },
          overlap: OVERLAP,
          claimSlaSeconds: 1800,
          skills: { create: { skillId: skill.id, minLevel: 2 } },
        },
      });
      const batch = await stack.prisma.batch.create({ data: { campaignId: campaign.id, name: 'Claim bench', status: 'RUNNING', stage: 'LABELING' } });
      const users = await Promise.all(
        Array.from({ length: clientsMax }, (_, i) =>
          stack.prisma.user.create({
            data: {
              email: `bench${i}@suture.test`,
              name: `Bench ${i}`,
              passwordHash: 'unused: sessions are created directly',
              roles: ['ANNOTATOR'],
              skills: { create: { skillId: skill.id, level: 3 } },
            },
          }),
        ),
      );
      const tokens = await Promise.all(users.map(async (u) => (await stack.services.sessions.create(u.id)).token));
      await admin.query(
        `INSERT INTO "Task" (id, "batchId", "campaignId", status, "openSlots", "requiredLevel", priority, "createdAt")
         SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'OPEN', $3, 1, 0, now() + g * interval '1 microsecond' FROM generate_series(1, $4::int) g`,
        [batch.id, campaign.id, OVERLAP, TASKS],
      );
      const reset = async () => {
        await admin.query(`DELETE FROM "Assignment"`);
        await admin.query(`UPDATE "Task" SET "openSlots" = $1, status = 'OPEN' WHERE "campaignId" = $2::uuid`, [OVERLAP, campaign.id]);
        await admin.query(`VACUUM ANALYZE "Task"`);
        await admin.query(`VACUUM ANALYZE "Assignment"`);
      };

      const apiErrors: ApiErrorLog = { lines: 0 };
      const apiProcess = await startApiProcess(repoRoot, stack.workerEnv, apiErrors);
      api = apiProcess.child;

      let bareRetries = 0;
      const bare = async (clients: number): Promise<RunResult & { retries: number }> => {
        await reset();
        bareRetries = 0;
        const conns = await Promise.all(
          Array.from({ length: clients }, async () => {
            const c = new pg.Client({ connectionString: stack.db.url });
            await c.connect();
            return c;
          }),
        );
        try {
          const result = await drive(
            clients,
            async (i) => {
              const conn = conns[i]!;
              const userId = users[i]!.id;
              try {
                await conn.query(RELEASE_OWN_EXPIRED_SQL, [userId]);
                for (let attempt = 1; ; attempt++) {
                  const existing = await conn.query<{ id: string }>(ACTIVE_CLAIM_SQL, [userId, null]);
                  if (existing.rows[0]) return { id: existing.rows[0].id };
                  const sql = claimSql(userId, null);
                  try {
                    const claimed = await conn.query<{ id: string }>(sql.text, sql.values as unknown[]);
                    return claimed.rows[0] ? { id: claimed.rows[0].id } : { noTask: true };
                  } catch (error) {
                    if ((error as { code?: string }).code !== '23505' || attempt >= CLAIM_ATTEMPTS) throw error;
                    bareRetries += 1;
                  }
                }
              } catch (error) {
                return { error: (error as Error).message };
              }
            },
            async (i, id) => {
              await conns[i]!.query(COMPLETE_SQL, [id]);
            },
          );
          return { ...result, retries: bareRetries };
        } finally {
          await Promise.all(conns.map((c) => c.end()));
        }
      };

      const graphql = async (clients: number): Promise<RunResult & { apiCpuMsPerClaim: number }> => {
        await reset();
        const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
        const completions = new pg.Pool({ connectionString: stack.db.url, max: Math.min(16, clients) });
        try {
          const cpuBefore = await apiProcess.cpuMs();
          const result = await drive(
            clients,
            (i) => graphqlClaim(agent, apiProcess.url, tokens[i]!),
            async (_i, id) => {
              await completions.query(COMPLETE_SQL, [id]);
            },
          );
          const cpuAfter = await apiProcess.cpuMs();
          // Every claim of this run, warm-up included, is an assignment created since the reset.
          const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Assignment"`);
          return { ...result, apiCpuMsPerClaim: (cpuAfter - cpuBefore) / Math.max(1, rows[0]!.n) };
        } finally {
          agent.destroy();
          await completions.end();
        }
      };

      const figures: BenchFigure[] = [];
      for (const clients of LEVELS) {
        // Other work on the machine shifts these figures; the 1-minute load average is reported beside them.
        const load = os.loadavg()[0]!;
        const b = await bare(clients);
        const g = await graphql(clients);
        console.log(`  ${clients} clients: bare ${JSON.stringify(b)}\n  ${clients} clients: graphql ${JSON.stringify(g)}`);
        if (apiErrors.lines > 0) console.log(`  the API logged ${apiErrors.lines} errors so far; first: ${apiErrors.first}`);
        const extra = {
          load1: Number(load.toFixed(1)),
          apiCpuMsPerClaim: Number(g.apiCpuMsPerClaim.toFixed(2)),
          graphqlClaims: g.claims,
          bareClaims: b.claims,
          graphqlErrors: g.errors,
          bareErrors: b.errors,
          bareRetries: b.retries,
          graphqlNoTask: g.noTask,
          bareNoTask: b.noTask,
          ...(g.firstError ? { graphqlFirstError: g.firstError } : {}),
          ...(b.firstError ? { bareFirstError: b.firstError } : {}),
        };
        figures.push({
          name: `claimNextTask via GraphQL, ${clients} clients: throughput`,
          unit: 'claims/s',
          value: g.claimsPerSecond,
          baselineName: `bare claim SQL via pg, ${clients} clients`,
          baselineValue: b.claimsPerSecond,
          ratio: g.claimsPerSecond / b.claimsPerSecond,
          ...(clients === 64 ? { target: '>= 0.5x bare SQL', met: g.claimsPerSecond / b.claimsPerSecond >= 0.5 } : {}),
          note: 'higher is better',
          extra,
        });
        figures.push({
          name: `claimNextTask via GraphQL, ${clients} clients: p50 latency`,
          unit: 'ms',
          value: g.p50,
          baselineName: `bare claim SQL via pg, ${clients} clients`,
          baselineValue: b.p50,
          ratio: g.p50 / b.p50,
          note: 'lower is better',
        });
        figures.push({
          name: `claimNextTask via GraphQL, ${clients} clients: p99 latency`,
          unit: 'ms',
          value: g.p99,
          baselineName: `bare claim SQL via pg, ${clients} clients`,
          baselineValue: b.p99,
          ratio: g.p99 / b.p99,
          target: '< 50 ms',
          met: g.p99 < 50,
          note: 'lower is better',
        });
      }
      return figures;
    } finally {
      if (api) await stopChild(api);
      if (adminConnected) await admin.end();
      await stack.stop();
    }
  },
};

export default suite;

if (process.env[ROLE_ENV] === 'api') await serveApi();
