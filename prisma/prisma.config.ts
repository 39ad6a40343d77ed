// Prisma 7 config. The datasource url lives here (not in schema.prisma). `process.env` rather than
// `env()` so that commands without a database (`prisma generate`, `prisma format`) work with no
// DATABASE_URL set; migrate/db commands fail with a clear error when it is missing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  schema: path.join(here, 'schema.prisma'),
  migrations: {
    path: path.join(here, 'migrations'),
  },
  datasource: {
    url: process.env.DATABASE_URL,
    ...(process.env.SHADOW_DATABASE_URL ? { shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL } : {}),
  },
});
