// claimNextTask through GraphQL (HTTP to `suture api` running in its own process, as deployed) beside
// the same claim SQL run bare through pg on the same database, at 1, 16 and 64 concurrent annotators.
//
// Set-up: startStack() without a worker (nothing competes for the 2 cores); the campaign, users and
// SUTURE_BENCH_CLAIM_TASKS tasks (default 20,000, overlap 2) are written straight into the database and
// opened in SQL (status OPEN, openSlots = slots = overlap), not through the batch workflow. Sessions come from
// the API's own SessionStore. Every run starts from the same state (assignments deleted, slots reset,
// VACUUM ANALYZE of the tasks). Loop per client: claim (timed) -> mark the assignment SUBMITTED with one UPDATE (not
// timed, the same for both paths; not submitAnnotation, whose cost would blur the claim figures) -> claim
// again. The bare path runs the service's statement (claimSql: one round trip that returns the held
// claim or makes a new one) sent exactly as the service sends it (claimQuery), the release of an expired
// own claim, and looks again when the statement reports a lost race ('retry'), on one pg connection per
// client, warmed like the API's pool before it is measured; the GraphQL path's completions share a
// 16-connection pool (the API's own pool is 20; PostgreSQL allows 100 connections on these machines, so
// the bare runs and the API never run side by side).
// Closed loop (no think time): throughput at saturation; latency there is about clients / throughput.
// Open loop: 64 annotators whose claims arrive at random at half the GraphQL saturation throughput,
// latency counted from when each claim was due: the latency an annotator sees under heavy load.
// Reported beside the figures: the API's CPU time per claim and the machine's load average, since other
// work on the machine shifts the figures. SUTURE_BENCH_CLAIM_LEVELS (e.g. "64"), _WARMUP_MS, _MEASURE_MS,
// _PGHOST (a Unix socket directory) and _PROFILE (a directory for a V8 CPU profile of the API) help study it.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { BenchFigure, BenchSuite } from './types.ts';

const LEVELS = (process.env.SUTURE_BENCH_CLAIM_LEVELS ?? '1,16,64').split(',').map(Number);
const OVERLAP = 2;
const TASKS = Number(process.env.SUTURE_BENCH_CLAIM_TASKS ?? '20000');
const WARMUP_MS = Number(process.env.SUTURE_BENCH_CLAIM_WARMUP_MS ?? '1500');
const MEASURE_MS = Number(process.env.SUTURE_BENCH_CLAIM_MEASURE_MS ?? '6000');

// What an annotator's client asks for on claiming: the console asks for the id and opens the task page;
// the task and lease fields are what a client needs to go on. Fields of the assignment itself are answered
// from the claim statement; a selection reaching into relations (task { asset { ... } }) costs a second query.
const CLAIM = `mutation { claimNextTask { __typename ... on Assignment { id taskId round slot leaseExpiresAt } ... on DomainError { code message } } }`;
// The statement claimNextTask (api/src/services/work.ts) runs when the annotator's own claim has expired,
// copied here for the bare baseline: keep it in step with the service.
const RELEASE_OWN_EXPIRED_SQL = `
    WITH expired AS (
      UPDATE "Assignment" SET status = 'EXPIRED'
      WHERE "userId" = $1::uuid AND status = 'ACTIVE' AND kind IN ('LABEL', 'REWORK') AND "leaseExpiresAt" < now()
      RETURNING "taskId"
    )
    UPDATE "Task" t SET "openSlots" = t."openSlots" + 1 FROM expired WHERE t.id = expired."taskId"`;
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

/** Closed loop: each client claims again as soon as it has finished. Open loop: claims arrive at random at a set rate. */
type Load = { kind: 'closed' } | { kind: 'open'; claimsPerSecond: number };
const CLOSED: Load = { kind: 'closed' };

/** A small seeded generator (mulberry32), so that both paths see the same arrival times. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `clients` claim loops: a warm-up, then a measured window. Closed loop: only claims started and
 * finished inside the window count. Open loop: each client's claims are due at Poisson arrivals (rate /
 * clients each); every claim due inside the window counts, and its latency runs from when it was due, so
 * a slow answer that holds back the client's next claim shows in that claim's latency too.
 */
async function drive(clients: number, load: Load, claimOnce: ClaimOnce, complete: (client: number, id: string) => Promise<void>): Promise<RunResult> {
  const start = performance.now();
  const windowStart = start + WARMUP_MS;
  const windowEnd = windowStart + MEASURE_MS;
  const latencies: number[] = [];
  let noTask = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const random = seededRandom(c + 1);
      const gap = () => (load.kind === 'open' ? (-Math.log(1 - random()) / load.claimsPerSecond) * clients * 1000 : 0);
      let due = start + gap();
      while (due < windowEnd) {
        const now = performance.now();
        if (load.kind === 'open' && due > now) await sleep(due - now);
        const t0 = load.kind === 'open' ? due : performance.now();
        if (t0 >= windowEnd) break;
        const r = await claimOnce(c);
        const t1 = performance.now();
        const counted = t0 >= windowStart && (load.kind === 'open' || t1 <= windowEnd);
        if ('id' in r) {
          if (counted) latencies.push(t1 - t0);
          await complete(c, r.id);
        } else if ('noTask' in r) {
          if (counted) noTask += 1;
        } else if (counted) {
          errors += 1;
          firstError ??= r.error;
        }
        due = load.kind === 'open' ? due + gap() : performance.now();
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

/** CPU time (user + system, ms) of a process and all its descendants, from /proc (Linux). */
async function processTreeCpuMs(rootPid: number, includeReaped = false): Promise<number> {
  const { readdir, readFile } = await import('node:fs/promises');
  const stats = new Map<number, { ppid: number; ticks: number; reapedTicks: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at its closing parenthesis.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), reapedTicks: Number(fields[13]) + Number(fields[14]) });
    } catch {
      // the process ended while we looked
    }
  }
  // Children that have exited and been waited for (PostgreSQL backends of closed connections) count in
  // their parent's cutime/cstime.
  let ticks = includeReaped ? (stats.get(rootPid)?.reapedTicks ?? 0) : 0;
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return ticks * (1000 / CLOCK_TICKS_PER_SECOND);
}

/** The postmaster's pid, from its pid file (read once per run). */
async function postmasterPid(admin: pg.Client): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const { rows } = await admin.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
  return Number((await readFile(join(rows[0]!.dir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** This process's CPU time (ms): the load generator's own cost. */
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** USER_HZ: the unit of /proc/<pid>/stat CPU times, 100 on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The API process's error log lines, summarised instead of flooding the bench output. */
interface ApiErrorLog {
  lines: number;
  first?: string;
}

interface ApiProcess {
  child: ChildProcess;
  url: URL;
  /** CPU time (user + system) the API's processes have used so far. */
  cpuMs(): Promise<number>;
}

/**
 * The API as deployed: `suture api` (api/src/cli/api.ts) in a process of its own. Run through
 * `node --import tsx` so that SUTURE_BENCH_CLAIM_PROFILE=dir can add --cpu-prof.
 */
function startApiProcess(repoRoot: string, env: Record<string, string>, errorLog: ApiErrorLog): Promise<ApiProcess> {
  const profileDir = process.env.SUTURE_BENCH_CLAIM_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(repoRoot, 'api', 'src', 'cli', 'main.ts'), 'api'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, API_PORT: '0', API_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
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
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the API did not report its URL within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the API exited with ${code} before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.includes('"sutureApiUrl"')) continue;
        clearTimeout(timer);
        const { sutureApiUrl } = JSON.parse(line) as { sutureApiUrl: string };
        resolve({ child, url: new URL(sutureApiUrl), cpuMs: () => processTreeCpuMs(child.pid!) });
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

/** SUTURE_BENCH_CLAIM_PGHOST=/var/run/postgresql: both paths reach PostgreSQL through its Unix socket instead of TCP. */
function viaSocket(url: string): string {
  const dir = process.env.SUTURE_BENCH_CLAIM_PGHOST;
  if (!dir) return url;
  const u = new URL(url);
  u.searchParams.set('host', dir);
  return u.toString();
}

const suite: BenchSuite = {
  id: 'claim',
  title: 'claimNextTask through GraphQL vs the same claim SQL bare through pg (1, 16, 64 concurrent annotators)',
  async run(): Promise<BenchFigure[]> {
    const [{ startStack }, { repoRoot }, { claimQuery }] = await Promise.all([import('../support/stack.ts'), import('../support/paths.ts'), import('@suture/api/services/work')]);
    const stack = await startStack({ inProcessWorker: false });
    const apis: ChildProcess[] = [];
    const dbUrl = viaSocket(stack.db.url);
    const admin = new pg.Client({ connectionString: dbUrl });
    let adminConnected = false;
    try {
      await admin.connect();
      adminConnected = true;
      // PostgreSQL's CPU time: the postmaster, its live backends and those that have ended.
      const pgPid = await postmasterPid(admin);
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
              memberships: { create: { campaignId: campaign.id, roles: ['ANNOTATOR'] } },
            },
          }),
        ),
      );
      const tokens = await Promise.all(users.map(async (u) => (await stack.services.sessions.create(u.id)).token));
      await admin.query(
        `INSERT INTO "Task" (id, "batchId", "campaignId", status, "openSlots", slots, "requiredLevel", priority, "createdAt")
         SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'OPEN', $3, $3, 1, 0, now() + g * interval '1 microsecond' FROM generate_series(1, $4::int) g`,
        [batch.id, campaign.id, OVERLAP, TASKS],
      );
      const reset = async () => {
        await admin.query(`DELETE FROM "Assignment"`);
        await admin.query(`UPDATE "Task" SET "openSlots" = $1, slots = $1, status = 'OPEN' WHERE "campaignId" = $2::uuid`, [OVERLAP, campaign.id]);
        await admin.query(`VACUUM ANALYZE "Task"`);
        // Not VACUUM ANALYZE "Assignment": statistics saying it is empty would make every connection's cached
        // claim plan treat it as empty for the whole run as it grows (half the claim rate, measured), a state
        // a running system never has; autovacuum re-analyzes it in a real deployment.
      };

      const apiErrors: ApiErrorLog = { lines: 0 };
      const apiEnv = { ...stack.workerEnv, DATABASE_URL: withApplicationName(dbUrl, 'suture-api') };

      let bareRetries = 0;
      const bareClaim = (conn: pg.Client, userId: string) => async (): Promise<{ id: string } | { noTask: true } | { error: string }> => {
        try {
          // Exactly as claimNextTask sends it.
          const query = claimQuery(userId, null);
          for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
            const { rows } = await conn.query<{ id: string; outcome: string }>(query);
            const row = rows[0];
            if (!row) return { noTask: true };
            if (row.outcome === 'retry') {
              bareRetries += 1;
              continue;
            }
            if (row.outcome !== 'expired') return { id: row.id };
            await conn.query(RELEASE_OWN_EXPIRED_SQL, [userId]);
          }
          return { error: 'other annotators took the free slots first' };
        } catch (error) {
          return { error: (error as Error).message };
        }
      };

      /** CPU per claim of each party during a run (ms): PostgreSQL, the load generator and (GraphQL only) the API. */
      interface CpuSplit {
        pgCpuMsPerClaim: number;
        clientCpuMsPerClaim: number;
      }
      // SUTURE_BENCH_CLAIM_STATEMENTS=1 (needs pg_stat_statements in shared_preload_libraries): after each run,
      // PostgreSQL's own account of the statements it ran (calls, planning and execution time per call).
      const statements = process.env.SUTURE_BENCH_CLAIM_STATEMENTS === '1';
      if (statements) await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      const statementsReset = async () => {
        if (statements) await admin.query('SELECT pg_stat_statements_reset()');
      };
      const statementsReport = async (label: string) => {
        if (!statements) return;
        const { rows } = await admin.query<{ calls: number; plans: number; plan: number; exec: number; rows: number; query: string }>(
          `SELECT calls::int, plans::int, (total_plan_time / greatest(plans, 1))::float AS plan, (total_exec_time / greatest(calls, 1))::float AS exec, (rows / greatest(calls, 1))::float AS rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS query
           FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_plan_time + total_exec_time DESC LIMIT 6`,
        );
        const { rows: db } = await admin.query<{ sessions: number }>(`SELECT sessions::int FROM pg_stat_database WHERE datname = current_database()`);
        console.log(`  statements, ${label} (sessions so far: ${db[0]!.sessions}):`);
        for (const r of rows) console.log(`    ${r.calls} calls, ${r.plans} plans of ${r.plan.toFixed(3)} ms, exec ${r.exec.toFixed(3)} ms, ${r.rows.toFixed(2)} rows: ${r.query}`);
      };
      const countClaims = async () => (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Assignment"`)).rows[0]!.n;

      const bare = async (clients: number, load: Load): Promise<RunResult & CpuSplit & { retries: number }> => {
        const conns = await Promise.all(
          Array.from({ length: clients }, async () => {
            const c = new pg.Client({ connectionString: dbUrl });
            await c.connect();
            return c;
          }),
        );
        try {
          const claims = conns.map((conn, i) => bareClaim(conn, users[i]!.id));
          // Warm connections, as the API's pool is warm when it is measured: each runs the claim (caches
          // loaded, statement prepared) before the state is reset for the measured run.
          for (let round = 0; round < 6; round++) await Promise.all(conns.map((conn, i) => claims[i]!().then((r) => ('id' in r ? conn.query(COMPLETE_SQL, [r.id]) : undefined))));
          await reset();
          bareRetries = 0;
          await statementsReset();
          const pgBefore = await processTreeCpuMs(pgPid, true);
          const selfBefore = selfCpuMs();
          const result = await drive(
            clients,
            load,
            (i) => claims[i]!(),
            async (i, id) => {
              await conns[i]!.query(COMPLETE_SQL, [id]);
            },
          );
          const selfAfter = selfCpuMs();
          const pgAfter = await processTreeCpuMs(pgPid, true);
          await statementsReport(`bare, ${clients} clients, ${load.kind} loop`);
          // Every claim of this run, warm-up included, is an assignment created since the reset.
          const n = Math.max(1, await countClaims());
          return { ...result, retries: bareRetries, pgCpuMsPerClaim: (pgAfter - pgBefore) / n, clientCpuMsPerClaim: (selfAfter - selfBefore) / n };
        } finally {
          await Promise.all(conns.map((c) => c.end()));
        }
      };

      const graphql = async (api: ApiProcess, clients: number, load: Load): Promise<RunResult & CpuSplit & { apiCpuMsPerClaim: number }> => {
        await reset();
        const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
        const completions = new pg.Pool({ connectionString: dbUrl, max: Math.min(16, clients), application_name: 'bench-completions' });
        try {
          await statementsReset();
          const cpuBefore = await api.cpuMs();
          const pgBefore = await processTreeCpuMs(pgPid, true);
          const selfBefore = selfCpuMs();
          const result = await drive(
            clients,
            load,
            (i) => graphqlClaim(agent, api.url, tokens[i]!),
            async (_i, id) => {
              await completions.query(COMPLETE_SQL, [id]);
            },
          );
          const selfAfter = selfCpuMs();
          const cpuAfter = await api.cpuMs();
          const pgAfter = await processTreeCpuMs(pgPid, true);
          await statementsReport(`GraphQL, ${clients} clients, ${load.kind} loop`);
          const n = Math.max(1, await countClaims());
          return {
            ...result,
            apiCpuMsPerClaim: (cpuAfter - cpuBefore) / n,
            pgCpuMsPerClaim: (pgAfter - pgBefore) / n,
            clientCpuMsPerClaim: (selfAfter - selfBefore) / n,
          };
        } finally {
          agent.destroy();
          await completions.end();
        }
      };

      // The phases run one after the other, never side by side: PostgreSQL allows 100 connections here,
      // and 64 bare clients beside the API's idle pools would exceed that.
      const loadBefore = os.loadavg()[0]!;
      const bareRuns = new Map<number, RunResult & CpuSplit & { retries: number }>();
      for (const clients of LEVELS) bareRuns.set(clients, await bare(clients, CLOSED));

      /** Starts the API, warms it up (query plans, JIT) with one discarded run, runs `fn`, stops it. */
      const withApi = async <T>(fn: (api: ApiProcess) => Promise<T>): Promise<T> => {
        const api = await startApiProcess(repoRoot, apiEnv, apiErrors);
        apis.push(api.child);
        try {
          const warmClients = Math.min(16, clientsMax);
          const warm = await graphql(api, warmClients, CLOSED);
          console.log(`  warm-up of the API (${warmClients} clients, discarded): ${JSON.stringify(warm)}`);
          return await fn(api);
        } finally {
          await stopChild(api.child);
        }
      };
      type GraphqlRun = RunResult & CpuSplit & { apiCpuMsPerClaim: number };
      const runLevels = async (api: ApiProcess) => {
        const runs = new Map<number, GraphqlRun>();
        for (const clients of LEVELS) runs.set(clients, await graphql(api, clients, CLOSED));
        return runs;
      };
      // Latency under load: 64 annotators whose claims arrive at random (Poisson) at half the GraphQL
      // path's saturated throughput; the bare path gets the same arrivals. Latency counts from the moment
      // each claim was due, so a slow answer that delays the next claim is not hidden.
      const { runs: headlineRuns, open } = await withApi(async (api) => {
        const runs = await runLevels(api);
        const saturated = runs.get(64)?.claimsPerSecond ?? 0;
        const load: Load = { kind: 'open', claimsPerSecond: saturated / 2 };
        return { runs, open: saturated > 0 ? { load, graphql: await graphql(api, 64, load) } : null };
      });
      const openBare = open ? await bare(64, open.load) : null;

      const headlineName = 'GraphQL';
      const figures: BenchFigure[] = [];
      for (const clients of LEVELS) {
        const b = bareRuns.get(clients)!;
        const g = headlineRuns.get(clients)!;
        console.log(`  ${clients} clients: bare ${JSON.stringify(b)}\n  ${clients} clients: ${headlineName} ${JSON.stringify(g)}`);
        const extra = {
          load1Before: Number(loadBefore.toFixed(1)),
          load1After: Number(os.loadavg()[0]!.toFixed(1)),
          apiCpuMsPerClaim: Number(g.apiCpuMsPerClaim.toFixed(2)),
          graphqlPgCpuMsPerClaim: Number(g.pgCpuMsPerClaim.toFixed(2)),
          graphqlClientCpuMsPerClaim: Number(g.clientCpuMsPerClaim.toFixed(2)),
          barePgCpuMsPerClaim: Number(b.pgCpuMsPerClaim.toFixed(2)),
          bareClientCpuMsPerClaim: Number(b.clientCpuMsPerClaim.toFixed(2)),
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
          name: `claimNextTask via ${headlineName}, ${clients} clients (closed loop): throughput`,
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
          name: `claimNextTask via ${headlineName}, ${clients} clients (closed loop): p50 latency`,
          unit: 'ms',
          value: g.p50,
          baselineName: `bare claim SQL via pg, ${clients} clients`,
          baselineValue: b.p50,
          ratio: g.p50 / b.p50,
          note: 'lower is better',
        });
        figures.push({
          name: `claimNextTask via ${headlineName}, ${clients} clients (closed loop): p99 latency`,
          unit: 'ms',
          value: g.p99,
          baselineName: `bare claim SQL via pg, ${clients} clients`,
          baselineValue: b.p99,
          ratio: g.p99 / b.p99,
          note: "lower is better; with no think time requests queue, so latency is about clients / throughput (Little's law)",
        });
      }
      if (apiErrors.lines > 0) console.log(`  the API logged ${apiErrors.lines} errors; first: ${apiErrors.first}`);
      if (open && openBare) {
        const rate = open.load.kind === 'open' ? open.load.claimsPerSecond : 0;
        const g = open.graphql;
        console.log(
          `  64 clients at ${rate.toFixed(0)} claims/s: bare ${JSON.stringify(openBare)}\n  64 clients at ${rate.toFixed(0)} claims/s: ${headlineName} ${JSON.stringify(g)}`,
        );
        for (const q of ['p50', 'p99'] as const) {
          figures.push({
            name: `claimNextTask via ${headlineName}, 64 clients, open loop at ${rate.toFixed(0)} claims/s (half of saturation): ${q} latency`,
            unit: 'ms',
            value: g[q],
            baselineName: 'bare claim SQL via pg, 64 clients, same arrivals',
            baselineValue: openBare[q],
            ratio: g[q] / openBare[q],
            ...(q === 'p99' ? { target: '< 50 ms', met: g.p99 < 50 } : {}),
            note: 'lower is better',
            extra: { graphqlClaims: g.claims, bareClaims: openBare.claims, graphqlErrors: g.errors, bareErrors: openBare.errors },
          });
        }
      }
      return figures;
    } finally {
      for (const api of apis) await stopChild(api);
      if (adminConnected) await admin.end();
      await stack.stop();
    }
  },
};

export default suite;

/** The connection string with an application_name, so that PostgreSQL's views and logs tell the API's connections apart. */
function withApplicationName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}
