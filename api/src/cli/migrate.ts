// `suture migrate`: creates the database if absent and applies the checked-in migrations, as the schema's
// owner (MIGRATION_DATABASE_URL, else DATABASE_URL). The migrations make the application's role suture_app.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name '${name}' must be letters, digits and _`);
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } finally {
    await client.end();
  }
}

export function migrateDeploy(databaseUrl: string): void {
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cli');
  const res = spawnSync(process.execPath, [tsx, join(repoRoot, 'prisma', 'scripts', 'prisma.ts'), 'migrate', 'deploy'], {
    cwd: join(repoRoot, 'prisma'),
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`migrate deploy failed:\n${res.stdout}\n${res.stderr}`);
}

/** The application's URL for a local install: the owner's URL with the least-privileged role the migrations make. */
export function appDatabaseUrl(ownerUrl: string): string {
  const url = new URL(ownerUrl);
  url.username = 'suture_app';
  url.password = '';
  return url.toString();
}

export async function run(): Promise<number> {
  // Migrations run as the schema's owner; the API and the worker use DATABASE_URL as suture_app.
  const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) {
    console.error('MIGRATION_DATABASE_URL (the schema owner) or DATABASE_URL is required');
    return 2;
  }
  if (await ensureDatabase(url)) console.log('created the database');
  migrateDeploy(url);
  console.log('migrations applied');
  return 0;
}
