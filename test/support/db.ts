// An isolated PostgreSQL database per test file, migrated with the project's own migrations.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { repoRoot } from './paths.ts';

export const ADMIN_URL = process.env.SUTURE_TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** The owner's URL (migrations ran as this role): what a DBA would use. */
  url: string;
  /** The application's least-privileged role (suture_app, made by the migrations): what the API and worker use. */
  appUrl: string;
  name: string;
  drop(): Promise<void>;
}

/** The application role the migrations create (see prisma/migrations/*_audit_seal). */
export const APP_ROLE = 'suture_app';

function urlFor(name: string, user?: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  if (user) {
    u.username = user;
    u.password = process.env.SUTURE_TEST_PG_APP_PASSWORD ?? '';
  }
  return u.toString();
}

export function runPrisma(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(repoRoot, 'prisma', 'scripts', 'prisma.ts'), ...args], {
      cwd: join(repoRoot, 'prisma'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

export async function createTestDatabase(prefix = 'suture_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  const migrated = await runPrisma(['migrate', 'deploy'], { DATABASE_URL: url });
  if (migrated.code !== 0) throw new Error(`migrate deploy failed for ${name}:\n${migrated.output}`);
  return {
    url,
    appUrl: urlFor(name, APP_ROLE),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
