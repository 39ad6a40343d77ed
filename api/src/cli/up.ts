// `suture up`: brings the whole of Suture up on this machine with embedded defaults, and keeps the
// data between runs under .data/. PostgreSQL is the one found on the machine (its database created
// when absent); Temporal is the CLI's dev server (SQLite file); S3 is s3rver on disk; the API, the
// worker and the console run here. Set DATABASE_URL, TEMPORAL_ADDRESS or S3_ENDPOINT to use your own.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import S3rver from 's3rver';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { createPrisma } from '@suture/db';
import { createS3 } from '@suture/workflows/services/s3';
import { parseMasterKey } from '@suture/workflows/media/envelope';
import { createLifecycleWorker } from '@suture/workflows/worker';
import { anchorStoreFrom } from '@suture/workflows/services/audit-log';
import { SessionStore } from '../auth/sessions.ts';
import { createApp } from '../app.ts';
import type { Services } from '../context.ts';
import { jsonLogger, warnIfPrivileged } from '../server.ts';
import { appDatabaseUrl, ensureDatabase, migrateDeploy } from './migrate.ts';
import { seedDemo } from './seed.ts';
import { localDataDir, localSecret } from './local-secrets.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function waitForPort(port: number, host: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host }, () => {
        socket.end();
        resolve();
      });
      socket.on('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${host}:${port} after ${timeoutMs / 1000} s`));
        else setTimeout(attempt, 250);
      });
    };
    attempt();
  });
}

export function temporalCli(): string {
  const candidates = [process.env.TEMPORAL_CLI, join(homedir(), '.cache', 'suture', 'bin', 'temporal')];
  try {
    candidates.splice(1, 0, execFileSync('which', ['temporal'], { encoding: 'utf8' }).trim());
  } catch {
    // not on PATH
  }
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('the Temporal CLI is missing: run `bash scripts/ensure-temporal.sh` (builds it once with Go) or set TEMPORAL_CLI or TEMPORAL_ADDRESS');
  return found;
}

export async function run(argv: string[]): Promise<number> {
  const env = process.env;
  const dataDir = localDataDir(env);
  mkdirSync(dataDir, { recursive: true });
  const children: ChildProcess[] = [];
  const log = jsonLogger('up');
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.on('exit', stopAll);

  // PostgreSQL: migrations as the schema's owner, the API and worker as the least-privileged suture_app
  // role the migrations make (no password: local trust authentication; see the README for production).
  const migrationUrl = env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/suture';
  const databaseUrl = env.DATABASE_URL ?? appDatabaseUrl(migrationUrl);
  if (await ensureDatabase(migrationUrl)) console.log('created the suture database');
  migrateDeploy(migrationUrl);

  // S3: s3rver with data on disk unless S3_ENDPOINT points elsewhere.
  const bucket = env.S3_BUCKET ?? 'suture';
  let s3Endpoint = env.S3_ENDPOINT;
  let s3rver: S3rver | undefined;
  if (!s3Endpoint) {
    const port = Number(env.S3_PORT ?? 4569);
    // Browsers PUT upload parts and GET derivatives straight from S3: allow the console's origin, expose ETag.
    const consoleOrigin = `http://127.0.0.1:${Number(env.WEB_PORT ?? 3000)}`;
    const cors = `<CORSConfiguration><CORSRule><AllowedOrigin>${consoleOrigin}</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
    s3rver = new S3rver({ port, address: '127.0.0.1', silent: true, directory: join(dataDir, 's3'), configureBuckets: [{ name: bucket, configs: [cors] }] });
    await s3rver.run();
    s3Endpoint = `http://127.0.0.1:${port}`;
  }
  const s3Settings = {
    region: env.S3_REGION ?? 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID ?? 'S3RVER',
    secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? 'S3RVER',
    forcePathStyle: true,
  };
  if (env.S3_ENDPOINT && (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY)) throw new Error('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required with S3_ENDPOINT');
  const s3 = createS3({ ...s3Settings, endpoint: s3Endpoint });
  await s3.send(new HeadBucketCommand({ Bucket: bucket })).catch(() => s3.send(new CreateBucketCommand({ Bucket: bucket })));

  // Temporal: the CLI's dev server with a SQLite file, unless TEMPORAL_ADDRESS is given.
  let temporalAddress = env.TEMPORAL_ADDRESS;
  let temporalUi = env.TEMPORAL_UI_URL ?? null;
  if (!temporalAddress) {
    const port = Number(env.TEMPORAL_PORT ?? 7233);
    const uiPort = Number(env.TEMPORAL_UI_PORT ?? 8233);
    const child = spawn(
      temporalCli(),
      ['server', 'start-dev', '--db-filename', join(dataDir, 'temporal.db'), '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--log-level', 'error'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(child);
    await waitForPort(port, '127.0.0.1', 60_000);
    temporalAddress = `127.0.0.1:${port}`;
    temporalUi = `http://127.0.0.1:${uiPort}`;
  }

  const prisma = createPrisma(databaseUrl, { max: 20 });
  // The audit chain: key from the environment or this install's secrets; head anchored in a file of the
  // data directory, outside the database (SUTURE_AUDIT_ANCHOR=s3://... to anchor in S3 instead).
  const audit = {
    key: env.SUTURE_AUDIT_KEY ?? localSecret(dataDir, 'auditKey'),
    anchors: anchorStoreFrom(env.SUTURE_AUDIT_ANCHOR ?? `file://${join(dataDir, 'audit-anchor.json')}`, s3, bucket),
  };
  await warnIfPrivileged(prisma, jsonLogger('up'));
  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default' });
  const taskQueue = env.TEMPORAL_TASK_QUEUE ?? 'suture-lifecycle';
  const services: Services = {
    prisma,
    s3,
    s3Presign: s3,
    temporal,
    sessions: new SessionStore(prisma, 12),
    config: {
      S3_BUCKET: bucket,
      TEMPORAL_TASK_QUEUE: taskQueue,
      BATCH_POLL_SECONDS: 60,
      TASK_RECHECK_SECONDS: 60,
      // Label exports key annotator pseudonyms with the same secret the worker uses.
      SUTURE_DEID_KEY: env.SUTURE_DEID_KEY ?? localSecret(dataDir, 'deidKey'),
    },
    log: jsonLogger('api'),
    audit,
  };

  // The lifecycle worker, in this process.
  const deidSecret = env.SUTURE_DEID_KEY ?? localSecret(dataDir, 'deidKey');
  const { worker, close: closeWorker } = await createLifecycleWorker({
    prisma,
    s3,
    temporalAddress,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    bucket,
    taskRecheckSeconds: 60,
    deidSecret,
    // Campaigns whose media policy keeps originals encrypted wrap their data keys with this key.
    originalsKey: parseMasterKey(env.SUTURE_ORIGINALS_KEY ?? localSecret(dataDir, 'originalsKey')),
    audit,
  });
  const workerRun = worker.run();

  // The API.
  const apiPort = Number(env.API_PORT ?? 4000);
  // A local install: introspection for signed-in developers, unless the environment says otherwise.
  const app = createApp(services, { introspection: (env.GRAPHQL_INTROSPECTION ?? 'on') === 'on' });
  const stopListening = await services.sessions.listen();
  const apiServer = await new Promise<import('node:http').Server>((resolve) => {
    const server = app.listen(apiPort, '127.0.0.1', () => resolve(server));
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  // The console (built by scripts/up.sh).
  const webPort = Number(env.WEB_PORT ?? 3000);
  const webBuild = join(repoRoot, 'web', 'build', 'index.js');
  let webUrl: string | null = null;
  if (existsSync(webBuild)) {
    const web = spawn(process.execPath, [webBuild], {
      env: { ...env, PORT: String(webPort), HOST: '127.0.0.1', API_URL: apiUrl, ORIGIN: `http://127.0.0.1:${webPort}`, BODY_SIZE_LIMIT: env.BODY_SIZE_LIMIT ?? '6M' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(web);
    await waitForPort(webPort, '127.0.0.1', 30_000);
    webUrl = `http://127.0.0.1:${webPort}`;
  } else {
    log('warn', 'web/build is missing: run `pnpm --filter @suture/web build` for the console');
  }

  const { logins, created } = argv.includes('--no-demo') ? { logins: [], created: false } : await seedDemo(services, dataDir);
  console.log('');
  console.log('Suture is up.');
  console.log(`  Console:     ${webUrl ?? '(not built)'}`);
  console.log(`  GraphQL:     ${apiUrl}/graphql`);
  console.log(`  Temporal UI: ${temporalUi ?? '(external cluster)'}`);
  console.log(`  Data:        ${dataDir}${created ? ' (demo campaigns created, one per annotation type)' : ''}`);
  if (logins.length) {
    console.log(`  Demo logins (also in ${join(dataDir, 'demo-logins.json')}):`);
    for (const l of logins) console.log(`    ${l.role.padEnd(22)} ${l.email.padEnd(22)} ${l.password}`);
  }
  console.log('Press Ctrl+C to stop; the data stays for the next start.');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // A second Ctrl+C or SIGTERM while draining stops at once: nothing may hold the ports.
  const force = () => {
    stopAll();
    process.exit(130);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  console.log('Stopping (again to stop at once)...');
  // The port is freed first; the worker drains on the same signal by itself (its default shutdown signals).
  apiServer.closeAllConnections();
  await new Promise<void>((resolve) => apiServer.close(() => resolve()));
  await stopListening();
  await workerRun;
  await closeWorker();
  stopAll();
  await connection.close();
  await prisma.$disconnect();
  await s3rver?.close();
  return 0;
}
