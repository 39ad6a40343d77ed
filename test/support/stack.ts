// The whole of Suture for one test file, on real services: an isolated PostgreSQL database, s3rver,
// a Temporal dev server, the lifecycle worker (in process, or as a child process that a test may kill)
// and the GraphQL API on an ephemeral port.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { bundleWorkflowCode, Runtime, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createPrisma, type PrismaClient } from '@suture/db';
import { createLifecycleWorker, workflowsPath } from '@suture/workflows/worker';
import { createApp } from '@suture/api/app';
import { SessionStore } from '@suture/api/auth/sessions';
import type { Services } from '@suture/api/context';
import { s3AnchorStore, sealAuditLog, verifyAuditChain, type AuditChainConfig, type ChainVerification, type SealResult } from '@suture/workflows/services/audit-log';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { startTestS3, type TestS3 } from './s3.ts';
import { startTestTemporal } from './temporal.ts';
import { repoRoot } from './paths.ts';

let runtimeInstalled = false;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  return bundle;
}

export interface Stack {
  db: TestDatabase;
  prisma: PrismaClient;
  s3: TestS3;
  temporal: TestWorkflowEnvironment;
  apiUrl: string;
  services: Services;
  taskQueue: string;
  /** The audit chain's key and anchor (an object in the stack's bucket). */
  audit: AuditChainConfig;
  /** Seals every finished event now (the worker's sealer does it every second). */
  sealAudit(): Promise<SealResult>;
  /** Seals, then verifies the audit chain against its anchor. */
  verifyAudit(): Promise<ChainVerification>;
  /** Env for a worker child process pointing at this stack. */
  workerEnv: Record<string, string>;
  startWorkerProcess(): ChildProcess;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Run the worker in this process (default) or leave it to the test (`startWorkerProcess`). */
  inProcessWorker?: boolean;
  batchPollSeconds?: number;
  taskRecheckSeconds?: number;
  /** Small values make the batch workflow continue as new often (history-bound tests). */
  batchHistoryBudget?: number;
  /** SUTURE_ORIGINALS_KEY for the worker (originals kept encrypted); none by default. */
  originalsKey?: Buffer;
  /** SUTURE_BREACHED_PASSWORDS_API for the API (a range server the test runs); none by default. */
  breachedPasswordsApi?: string;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const inProcess = options.inProcessWorker ?? true;
  const [db, s3, temporal] = await Promise.all([createTestDatabase(), startTestS3(), startTestTemporal()]);
  // The API and the worker run as the least-privileged application role, as deployed.
  const prisma = createPrisma(db.appUrl, { max: 20 });
  const taskQueue = `suture-test-${db.name}`;
  const address = temporal.connection.options.address;
  // A fresh secret per stack: nothing in code holds a default.
  const deidSecret = randomBytes(32).toString('base64url');
  const audit: AuditChainConfig = { key: randomBytes(32).toString('base64url'), anchors: s3AnchorStore(s3.client, s3.bucket) };
  const config = {
    S3_BUCKET: s3.bucket,
    TEMPORAL_TASK_QUEUE: taskQueue,
    BATCH_POLL_SECONDS: options.batchPollSeconds ?? 0.5,
    TASK_RECHECK_SECONDS: options.taskRecheckSeconds ?? 5,
    BATCH_HISTORY_BUDGET: options.batchHistoryBudget,
    SUTURE_DEID_KEY: deidSecret,
    SUTURE_BREACHED_PASSWORDS_API: options.breachedPasswordsApi,
  };
  const services: Services = {
    prisma,
    s3: s3.client,
    s3Presign: s3.client,
    temporal: temporal.client,
    sessions: new SessionStore(prisma, 12),
    config,
    audit,
    log: (level, message, fields) => {
      if (level === 'error' || process.env.SUTURE_TEST_TRACE) console.error(JSON.stringify({ level, message, ...fields }));
    },
  };
  const stopListening = await services.sessions.listen();
  const app = createApp(services);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let workerRun: Promise<void> | undefined;
  let workerHandle: Awaited<ReturnType<typeof createLifecycleWorker>> | undefined;
  if (inProcess) {
    workerHandle = await createLifecycleWorker({
      prisma,
      s3: s3.client,
      temporalAddress: address,
      namespace: 'default',
      taskQueue,
      bucket: s3.bucket,
      taskRecheckSeconds: config.TASK_RECHECK_SECONDS,
      deidSecret,
      ...(options.originalsKey ? { originalsKey: options.originalsKey } : {}),
      audit: { ...audit, sealIntervalMs: 500 },
      workflowBundle: await workflowBundle(),
    });
    workerRun = workerHandle.worker.run();
  }
  const workerEnv: Record<string, string> = {
    DATABASE_URL: db.appUrl,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    TASK_RECHECK_SECONDS: String(config.TASK_RECHECK_SECONDS),
    SUTURE_DEID_KEY: deidSecret,
    SUTURE_AUDIT_KEY: audit.key,
    SUTURE_AUDIT_ANCHOR: `s3://${s3.bucket}/audit/anchor.json`,
    ...(options.originalsKey ? { SUTURE_ORIGINALS_KEY: options.originalsKey.toString('base64') } : {}),
  };
  const children: ChildProcess[] = [];
  return {
    db,
    prisma,
    s3,
    temporal,
    apiUrl,
    services,
    taskQueue,
    audit,
    sealAudit: () => sealAuditLog(prisma, audit),
    async verifyAudit() {
      // Another sealer (the worker's) may hold the lock: seal until this call ran once.
      for (let i = 0; i < 100 && !(await sealAuditLog(prisma, audit)).ran; i++) await new Promise((r) => setTimeout(r, 50));
      return verifyAuditChain(prisma, audit);
    },
    workerEnv,
    startWorkerProcess() {
      // node itself runs the worker (tsx as a loader, not the tsx CLI): the CLI would run it in a grandchild
      // process that a SIGKILL of the child leaves running, so the crash test would not crash anything.
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'workflows', 'src', 'worker-main.ts')], {
        cwd: repoRoot,
        env: { ...process.env, ...workerEnv },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      children.push(child);
      return child;
    },
    async stop() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopListening();
      if (workerHandle) {
        workerHandle.worker.shutdown();
        await workerRun;
        await workerHandle.close();
      }
      await prisma.$disconnect();
      await temporal.teardown();
      await s3.stop();
      await db.drop();
    },
  };
}

/** Posts one GraphQL operation; fails the test on transport or GraphQL errors. */
export async function gql<T = Record<string, unknown>>(apiUrl: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data as T;
}

/** Polls `check` until it returns a value, within a bounded time; no fixed sleeps. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 120_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
