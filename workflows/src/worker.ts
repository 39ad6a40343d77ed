// The worker's composition root: builds the clients, the activities and the Temporal worker.
import { createRequire } from 'node:module';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPrisma, type PrismaClient } from '@suture/db';
import { createActivities } from './activities/index.ts';
import { parseWorkerConfig } from './config.ts';
import { createS3 } from './services/s3.ts';
import { createTextDetector } from './media/index.ts';
import { anchorStoreFrom, startAuditSealer, type AuditChainConfig } from './services/audit-log.ts';

const require = createRequire(import.meta.url);
export const workflowsPath = require.resolve('./workflows.ts');

export interface LifecycleWorkerDeps {
  prisma: PrismaClient;
  s3: S3Client;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  bucket: string;
  sse?: 'AES256' | 'aws:kms' | undefined;
  taskRecheckSeconds?: number;
  deidSecret: string;
  /** SUTURE_ORIGINALS_KEY: master key for originals kept encrypted (campaign media policy RETAIN_ENCRYPTED). */
  originalsKey?: Buffer | undefined;
  /** The audit chain's key and anchor: the worker runs the sealer (services/audit-log.ts) when given. */
  audit?: AuditChainConfig & { sealIntervalMs?: number };
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles workflowsPath. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createLifecycleWorker(deps: LifecycleWorkerDeps): Promise<{ worker: Worker; close(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: deps.temporalAddress });
  const clientConnection = await Connection.connect({ address: deps.temporalAddress });
  const temporal = new Client({ connection: clientConnection, namespace: deps.namespace });
  const worker = await Worker.create({
    connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
    activities: createActivities({
      prisma: deps.prisma,
      s3: deps.s3,
      temporal,
      config: {
        bucket: deps.bucket,
        taskQueue: deps.taskQueue,
        sse: deps.sse,
        taskRecheckSeconds: deps.taskRecheckSeconds,
        deidSecret: deps.deidSecret,
        originalsKey: deps.originalsKey,
      },
      textDetector: createTextDetector(),
    }),
  });
  const sealer = deps.audit
    ? startAuditSealer(deps.prisma, deps.audit, {
        intervalMs: deps.audit.sealIntervalMs ?? 1000,
        log: (level, message, fields) => console.error(JSON.stringify({ at: new Date().toISOString(), level, component: 'audit-sealer', message, ...fields })),
      })
    : null;
  return {
    worker,
    async close() {
      await sealer?.stop();
      await clientConnection.close();
      await connection.close();
    },
  };
}

/** `suture worker`: runs until SIGINT/SIGTERM. */
export async function runWorkerFromEnv(env: Record<string, string | undefined>): Promise<void> {
  const config = parseWorkerConfig(env);
  const prisma = createPrisma(config.DATABASE_URL);
  const s3 = createS3({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
  const { worker, close } = await createLifecycleWorker({
    prisma,
    s3,
    temporalAddress: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    bucket: config.S3_BUCKET,
    sse: config.S3_SSE,
    deidSecret: config.SUTURE_DEID_KEY,
    originalsKey: config.SUTURE_ORIGINALS_KEY,
    audit: { key: config.SUTURE_AUDIT_KEY, anchors: anchorStoreFrom(config.SUTURE_AUDIT_ANCHOR, s3, config.S3_BUCKET) },
  });
  try {
    await worker.run();
  } finally {
    await close();
    await prisma.$disconnect();
  }
}
