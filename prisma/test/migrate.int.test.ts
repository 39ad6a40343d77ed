// Prisma migrations against a real PostgreSQL, through the same wrapper the package scripts use
// (scripts/prisma.ts, spawned as a child process; offline thanks to the wasm schema-engine stand-in).
// Each test database is created here with a unique name and dropped in afterAll.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = path.join(packageDir, 'schema.prisma');
const migrationsDir = path.join(packageDir, 'migrations');
const tsx = path.join(packageDir, 'node_modules', '.bin', 'tsx');
const wrapper = path.join(packageDir, 'scripts', 'prisma.ts');

/** Server to create the test databases on (any database of it; the path is replaced). */
const serverUrl = process.env.SUTURE_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const COMMAND_TIMEOUT_MS = 60_000;

function urlFor(database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function query<T extends pg.QueryResultRow>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: urlFor(database), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx scripts/prisma.ts <args>` with DATABASE_URL pointing at `database`; killed after a bounded time. */
function prisma(args: string[], database: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [wrapper, ...args], {
      cwd: packageDir,
      env: { ...process.env, DATABASE_URL: urlFor(database), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const describeRun = (run: Run) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

/** Table names the schema maps models to (@@map honoured). */
function expectedTables(schema: string): string[] {
  const tables: string[] = [];
  for (const match of schema.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const mapped = /@@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(match[2] ?? '');
    tables.push(mapped?.[1] ?? match[1]!);
  }
  return tables;
}

async function publicTables(database: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(database, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
  return rows.map((r) => r.table_name);
}

const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
const migrateDb = `suture_test_migrate_${suffix}`;
const pushDb = `suture_test_push_${suffix}`;
const tempDir = mkdtempSync(path.join(tmpdir(), 'suture-migrate-test-'));
const schema = readFileSync(schemaPath, 'utf8');
const tables = expectedTables(schema);
const migrationNames = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

beforeAll(async () => {
  // migrateDb is created here; pushDb is left to the CLI (can-connect-to-database / create-database).
  await admin((c) => c.query(`CREATE DATABASE "${migrateDb}"`));
});

afterAll(async () => {
  rmSync(tempDir, { recursive: true, force: true });
  await admin(async (c) => {
    for (const db of [migrateDb, pushDb]) await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  });
});

describe('prisma migrations (wasm schema-engine stand-in)', () => {
  it('finds models and migrations to test', () => {
    expect(tables.length).toBeGreaterThan(0);
    expect(migrationNames.length).toBeGreaterThan(0);
  });

  it('migrate deploy applies every migration to a fresh database', async () => {
    const run = await prisma(['migrate', 'deploy'], migrateDb);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain('All migrations have been successfully applied');

    const present = await publicTables(migrateDb);
    expect(present).toEqual(expect.arrayContaining([...tables, '_prisma_migrations']));

    const applied = await query<{ migration_name: string }>(
      migrateDb,
      `SELECT migration_name FROM _prisma_migrations
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
    );
    expect(applied.map((r) => r.migration_name)).toEqual(migrationNames);
  });

  it('migrate diff finds no difference between the migrated database and schema.prisma', async () => {
    const run = await prisma(['migrate', 'diff', '--from-config-datasource', '--to-schema', schemaPath, '--exit-code'], migrateDb);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain('No difference detected');
  });

  it('migrate diff reports a difference against a schema with an extra column', async () => {
    const firstModel = /^model\s+(\w+)\s*\{[^\n]*\n/m.exec(schema);
    expect(firstModel).not.toBeNull();
    const modified = schema.slice(0, firstModel!.index + firstModel![0].length) + '  suturetestextracolumn String?\n' + schema.slice(firstModel!.index + firstModel![0].length);
    const modifiedPath = path.join(tempDir, 'schema.prisma');
    writeFileSync(modifiedPath, modified);

    const run = await prisma(['migrate', 'diff', '--from-config-datasource', '--to-schema', modifiedPath, '--exit-code'], migrateDb);
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stdout).toContain('suturetestextracolumn');

    const script = await prisma(['migrate', 'diff', '--from-config-datasource', '--to-schema', modifiedPath, '--script'], migrateDb);
    expect(script.code, describeRun(script)).toBe(0);
    expect(script.stdout).toMatch(/ALTER TABLE "\w+" ADD COLUMN\s+"suturetestextracolumn" TEXT/);
  });

  it('the migrations folder matches schema.prisma (replayed on a shadow database)', async () => {
    const run = await prisma(['migrate', 'diff', '--from-migrations', migrationsDir, '--to-schema', schemaPath, '--exit-code'], migrateDb);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain('No difference detected');
  });

  it('migrate status reports the database up to date', async () => {
    const run = await prisma(['migrate', 'status'], migrateDb);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain('Database schema is up to date');
  });

  it('db push creates a second fresh database and its schema', async () => {
    const run = await prisma(['db', 'push'], pushDb);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain(`database ${pushDb} created`);
    expect(run.stdout).toContain('in sync with your Prisma schema');

    const present = await publicTables(pushDb);
    expect(present).toEqual(expect.arrayContaining(tables));
    expect(present).not.toContain('_prisma_migrations');

    const diff = await prisma(['migrate', 'diff', '--from-config-datasource', '--to-schema', schemaPath, '--exit-code'], pushDb);
    expect(diff.code, describeRun(diff)).toBe(0);
  });
});
