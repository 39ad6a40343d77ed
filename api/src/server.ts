// `suture api`: boots the API from the environment.
import { Client, Connection } from '@temporalio/client';
import { createPrisma } from '@suture/db';
import { createS3 } from '@suture/workflows/services/s3';
import { anchorStoreFrom } from '@suture/workflows/services/audit-log';
import type { PrismaClient } from '@suture/db';
import { SessionStore } from './auth/sessions.ts';
import { OidcLogin, oidcSettingsFrom } from './auth/oidc.ts';
import { createApp } from './app.ts';
import { parseApiConfig } from './config.ts';
import type { Services } from './context.ts';

export function jsonLogger(component: string): Services['log'] {
  // Log lines carry ids and error names only; callers never pass PHI or secrets.
  return (level, message, fields) => {
    const line = JSON.stringify({ at: new Date().toISOString(), level, component, message, ...fields });
    if (level === 'error') console.error(line);
    else console.log(line);
  };
}

/**
 * The API and the worker should connect as the least-privileged role the migrations make (suture_app):
 * one that owns no table and cannot change the audit log or the ledger. Says so loudly otherwise.
 */
export async function warnIfPrivileged(prisma: PrismaClient, log: Services['log']): Promise<void> {
  const [row] = await prisma.$queryRaw<Array<{ role: string; owner: boolean; superuser: boolean; mayRewrite: boolean }>>`
    SELECT current_user AS role,
           EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user) AS owner,
           (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
           has_table_privilege('"AuditEvent"', 'UPDATE') OR has_table_privilege('"AuditEvent"', 'TRUNCATE') AS "mayRewrite"`;
  if (row && (row.owner || row.superuser || row.mayRewrite)) {
    log('warn', 'the database role of DATABASE_URL may rewrite the audit log: connect as suture_app (see README, Database roles)', {
      role: row.role,
      owner: row.owner,
      superuser: row.superuser,
    });
  }
}

export async function startApiFromEnv(env: Record<string, string | undefined>): Promise<{ url: string; close(): Promise<void> }> {
  const config = parseApiConfig(env);
  const oidcSettings = oidcSettingsFrom(config);
  const prisma = createPrisma(config.DATABASE_URL, { max: 20 });
  const s3Settings = { region: config.S3_REGION, accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY, forcePathStyle: config.S3_FORCE_PATH_STYLE };
  const s3 = createS3({ ...s3Settings, endpoint: config.S3_ENDPOINT });
  const s3Presign = createS3({ ...s3Settings, endpoint: config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const services: Services = {
    prisma,
    s3,
    s3Presign,
    temporal,
    sessions: new SessionStore(prisma, config.SESSION_TTL_HOURS),
    oidc: oidcSettings ? new OidcLogin(oidcSettings) : undefined,
    config,
    log: jsonLogger('api'),
    audit: config.SUTURE_AUDIT_KEY ? { key: config.SUTURE_AUDIT_KEY, anchors: anchorStoreFrom(config.SUTURE_AUDIT_ANCHOR, s3, config.S3_BUCKET) } : undefined,
  };
  await warnIfPrivileged(prisma, services.log);
  const stopListening = await services.sessions.listen();
  const app = createApp(services, {
    corsOrigins: config.CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    introspection: config.GRAPHQL_INTROSPECTION === 'on',
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(config.API_PORT, config.API_HOST, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  return {
    url: `http://${config.API_HOST}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopListening();
      await connection.close();
      await prisma.$disconnect();
    },
  };
}
