// `suture api`: boots the API from the environment.
import { Client, Connection } from '@temporalio/client';
import { createPrisma } from '@suture/db';
import { createS3 } from '@suture/workflows/services/s3';
import { SessionStore } from './auth/sessions.ts';
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

export async function startApiFromEnv(env: Record<string, string | undefined>): Promise<{ url: string; close(): Promise<void> }> {
  const config = parseApiConfig(env);
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
    config,
    log: jsonLogger('api'),
  };
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
