// The audit log on the real database: the application's role cannot rewrite it, appends take no global
// lock, and every attack a DBA could make on sealed history (change, delete, reorder, cut the tail, slip an
// event in, forge a hash or the anchor) is caught by verifyAuditChain. Attacks run as the schema owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createPrisma, type PrismaClient } from '@suture/db';
import { appendAudit, fileAnchorStore, makeAnchor, sealAuditLog, verifyAuditChain, type AuditChainConfig } from '@suture/workflows/services/audit-log';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoRoot } from '../support/paths.ts';

interface Fixture {
  db: TestDatabase;
  /** As the application (suture_app). */
  prisma: PrismaClient;
  /** As the schema's owner: the attacker with DBA rights. */
  owner: pg.Client;
  audit: AuditChainConfig;
}

/**
 * Seals until `count` events are chained: a transaction running anywhere on the server (another test's)
 * holds the sealing horizon for a moment.
 */
async function sealUntil(prisma: PrismaClient, audit: AuditChainConfig, count: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    await sealAuditLog(prisma, audit);
    const sealed = await prisma.auditSeal.count();
    if (sealed >= count) return sealed;
    await new Promise((r) => setTimeout(r, 50));
  }
  return prisma.auditSeal.count();
}

const dir = mkdtempSync(join(tmpdir(), 'suture-audit-'));
const fixtures: Fixture[] = [];

async function fixture(events = 10): Promise<Fixture> {
  const db = await createTestDatabase('suture_audit');
  const prisma = createPrisma(db.appUrl, { max: 8 });
  const owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  const audit: AuditChainConfig = { key: randomBytes(32).toString('base64url'), anchors: fileAnchorStore(join(dir, `${db.name}.json`)) };
  for (let i = 0; i < events; i++) {
    await prisma.$transaction((tx) => appendAudit(tx, { actorId: randomUUID(), action: 'test.event', entityType: 'Test', entityId: `e${i}`, data: { i } }));
  }
  const f = { db, prisma, owner, audit };
  fixtures.push(f);
  expect(await sealUntil(prisma, audit, events)).toBe(events);
  return f;
}

/** As a DBA would: with the append-only triggers off for the length of the attack. */
async function asDba(f: Fixture, sql: string, params: unknown[] = [], ...more: Array<[string, unknown[]]>): Promise<void> {
  await f.owner.query('BEGIN');
  await f.owner.query('ALTER TABLE "AuditEvent" DISABLE TRIGGER USER');
  await f.owner.query('ALTER TABLE "AuditSeal" DISABLE TRIGGER USER');
  await f.owner.query(sql, params);
  for (const [q, p] of more) await f.owner.query(q, p);
  await f.owner.query('ALTER TABLE "AuditEvent" ENABLE TRIGGER USER');
  await f.owner.query('ALTER TABLE "AuditSeal" ENABLE TRIGGER USER');
  await f.owner.query('COMMIT');
}

afterAll(async () => {
  for (const f of fixtures) {
    await f.prisma.$disconnect();
    await f.owner.end();
    await f.db.drop();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the application role', () => {
  let f: Fixture;
  let app: pg.Client;
  beforeAll(async () => {
    f = await fixture(3);
    app = new pg.Client({ connectionString: f.db.appUrl });
    await app.connect();
  });
  afterAll(async () => {
    await app?.end();
  });

  it('is not the owner, and reads and writes ordinary tables', async () => {
    const { rows } = await app.query(`SELECT current_user AS me, (SELECT count(*)::int FROM pg_tables WHERE tableowner = current_user) AS owned,
      (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser`);
    expect(rows[0]).toEqual({ me: 'suture_app', owned: 0, superuser: false });
    await app.query(`INSERT INTO "Skill" (id, key, name) VALUES (gen_random_uuid(), 'k', 'K')`);
    await app.query(`UPDATE "Skill" SET name = 'K2' WHERE key = 'k'`);
    await app.query(`DELETE FROM "Skill" WHERE key = 'k'`);
    await expect(app.query(`SELECT * FROM "_prisma_migrations"`)).rejects.toThrow(/permission denied/);
  });

  it.each(['AuditEvent', 'AuditSeal', 'LedgerEntry'])('may only insert into and read %s', async (table) => {
    await app.query(`SELECT count(*) FROM "${table}"`);
    await expect(app.query(`TRUNCATE "${table}"`)).rejects.toThrow(/permission denied/);
    await expect(app.query(`UPDATE "${table}" SET "${table === 'AuditSeal' ? 'hash' : table === 'AuditEvent' ? 'action' : 'currency'}" = 'x'`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(app.query(`DELETE FROM "${table}"`)).rejects.toThrow(/permission denied/);
    await expect(app.query(`ALTER TABLE "${table}" DISABLE TRIGGER ALL`)).rejects.toThrow(/must be owner/);
    await expect(app.query(`ALTER TABLE "${table}" DISABLE TRIGGER USER`)).rejects.toThrow(/must be owner/);
    await expect(app.query(`DROP TABLE "${table}"`)).rejects.toThrow(/must be owner/);
    await expect(app.query(`SET session_replication_role = replica`)).rejects.toThrow(/permission denied/);
  });

  it('TRUNCATE is refused even to the owner, by the statement triggers', async () => {
    // CASCADE, because payout items reference ledger entries (a plain TRUNCATE of a referenced
    // table stops at the foreign key before any trigger fires); the triggers refuse it all the same.
    for (const table of ['AuditEvent', 'AuditSeal', 'LedgerEntry']) {
      await expect(f.owner.query(`TRUNCATE "${table}" CASCADE`)).rejects.toThrow(/append-only: TRUNCATE is not allowed/);
    }
    // Row triggers (the ledger is empty here: a DELETE of no rows fires nothing).
    for (const table of ['AuditEvent', 'AuditSeal']) await expect(f.owner.query(`DELETE FROM "${table}"`)).rejects.toThrow(/append-only: DELETE is not allowed/);
  });
});

describe('appends without a global lock', () => {
  it('an event of a transaction still open is not skipped: it is chained once it commits', async () => {
    const f = await fixture(0);
    // A transaction appends and stays open while 64 others append and commit, and the sealer runs.
    const slow = new pg.Client({ connectionString: f.db.appUrl });
    await slow.connect();
    await slow.query('BEGIN');
    try {
      await slow.query(`INSERT INTO "AuditEvent" ("actorId", action, "entityType", "entityId", data) VALUES (NULL, 'test.slow', 'Test', 'slow', '{}')`);
      await Promise.all(
        Array.from({ length: 64 }, (_, i) => f.prisma.$transaction((tx) => appendAudit(tx, { action: 'test.fast', entityType: 'Test', entityId: `f${i}`, data: { i } }))),
      );
      const first = await sealAuditLog(f.prisma, f.audit);
      // The open transaction holds the horizon: nothing that began after it is sealed yet; its own event is not visible.
      const during = await verifyAuditChain(f.prisma, f.audit);
      expect(during.ok).toBe(true);
      expect(during.events + during.pending).toBe(64);
      expect(during.events).toBe(first.head ? Number(first.head.pos) : 0);
      expect(during.pending).toBeGreaterThan(0);
      await slow.query('COMMIT');
    } finally {
      await slow.end();
    }
    await sealUntil(f.prisma, f.audit, 65);
    const after = await verifyAuditChain(f.prisma, f.audit);
    expect(after).toMatchObject({ ok: true, events: 65, pending: 0, problem: null });
    expect(after.anchor?.pos).toBe(65n);
    // The slow event is in the chain.
    const slowSeq = (await f.prisma.auditEvent.findFirstOrThrow({ where: { action: 'test.slow' } })).seq;
    expect(await f.prisma.auditSeal.count({ where: { eventSeq: slowSeq } })).toBe(1);
  });
});

describe('verifyAuditChain catches', () => {
  const middle = async (f: Fixture) => (await f.prisma.auditSeal.findUniqueOrThrow({ where: { pos: 5n } })).eventSeq;

  it('nothing on an untouched chain', async () => {
    const f = await fixture();
    expect(await verifyAuditChain(f.prisma, f.audit)).toMatchObject({ ok: true, events: 10, pending: 0, problem: null, head: { pos: 10n } });
  });

  it('a changed event', async () => {
    const f = await fixture();
    const seq = await middle(f);
    await asDba(f, `UPDATE "AuditEvent" SET data = '{"i": 99}' WHERE seq = $1`, [seq]);
    expect(await verifyAuditChain(f.prisma, f.audit)).toMatchObject({ ok: false, problem: { code: 'HASH_MISMATCH', pos: 5n, seq }, brokenAt: seq });
  });

  it('a deleted middle event (and its seal)', async () => {
    const f = await fixture();
    const seq = await middle(f);
    await asDba(f, `DELETE FROM "AuditEvent" WHERE seq = $1`, [seq]);
    expect((await verifyAuditChain(f.prisma, f.audit)).problem).toMatchObject({ code: 'EVENT_MISSING', pos: 5n, seq });
    await asDba(f, `DELETE FROM "AuditSeal" WHERE "eventSeq" = $1`, [seq]);
    expect((await verifyAuditChain(f.prisma, f.audit)).problem).toMatchObject({ code: 'SEAL_MISSING', pos: 5n });
  });

  it('reordered events', async () => {
    const f = await fixture();
    const [a, b] = await f.prisma.auditSeal.findMany({ where: { pos: { in: [3n, 4n] } }, orderBy: { pos: 'asc' } });
    // Swap which event positions 3 and 4 seal.
    await asDba(
      f,
      `UPDATE "AuditSeal" SET "eventSeq" = -1 WHERE pos = 3`,
      [],
      [`UPDATE "AuditSeal" SET "eventSeq" = $1 WHERE pos = 4`, [a!.eventSeq]],
      [`UPDATE "AuditSeal" SET "eventSeq" = $1 WHERE pos = 3`, [b!.eventSeq]],
    );
    expect((await verifyAuditChain(f.prisma, f.audit)).problem).toMatchObject({ code: 'HASH_MISMATCH', pos: 3n });
  });

  it('a cut tail, against the anchor', async () => {
    const f = await fixture();
    const tail = (await f.prisma.auditSeal.findMany({ where: { pos: { gt: 7n } } })).map((s) => s.eventSeq);
    await asDba(f, `DELETE FROM "AuditSeal" WHERE pos > 7`);
    await asDba(f, `DELETE FROM "AuditEvent" WHERE seq = ANY($1::bigint[])`, [tail.map(String)]);
    // Consistent in itself, but shorter than the head anchored outside the database.
    expect(await verifyAuditChain(f.prisma, { ...f.audit, anchors: null })).toMatchObject({ ok: true, events: 7 });
    expect(await verifyAuditChain(f.prisma, f.audit)).toMatchObject({ ok: false, events: 7, problem: { code: 'TAIL_CUT', pos: 8n } });
  });

  it('the whole log emptied (triggers off, TRUNCATE)', async () => {
    const f = await fixture();
    await f.owner.query('BEGIN');
    await f.owner.query('ALTER TABLE "AuditEvent" DISABLE TRIGGER USER');
    await f.owner.query('ALTER TABLE "AuditSeal" DISABLE TRIGGER USER');
    await f.owner.query('TRUNCATE "AuditEvent", "AuditSeal"');
    await f.owner.query('ALTER TABLE "AuditEvent" ENABLE TRIGGER USER');
    await f.owner.query('ALTER TABLE "AuditSeal" ENABLE TRIGGER USER');
    await f.owner.query('COMMIT');
    expect(await verifyAuditChain(f.prisma, f.audit)).toMatchObject({ ok: false, events: 0, problem: { code: 'TAIL_CUT' } });
  });

  it('an event inserted with a forged hash', async () => {
    const f = await fixture();
    const head = await f.prisma.auditSeal.findFirstOrThrow({ where: { pos: 10n } });
    // Even the application role can insert: the hash needs the key, which the database never sees.
    await f.prisma.$executeRawUnsafe(`INSERT INTO "AuditEvent" (action, "entityType", "entityId", data) VALUES ('user.login', 'User', 'forged', '{}')`);
    const forged = await f.prisma.auditEvent.findFirstOrThrow({ where: { entityId: 'forged' } });
    const fakeHash = randomBytes(32).toString('hex');
    await f.prisma.auditSeal.create({ data: { pos: 11n, eventSeq: forged.seq, eventTxid: forged.txid, prevHash: head.hash, hash: fakeHash } });
    expect((await verifyAuditChain(f.prisma, f.audit)).problem).toMatchObject({ code: 'HASH_MISMATCH', pos: 11n, seq: forged.seq });
  });

  it('an event slipped into sealed history without a seal', async () => {
    const f = await fixture();
    await asDba(f, `INSERT INTO "AuditEvent" (txid, action, "entityType", "entityId", data) VALUES (1, 'user.login', 'User', 'backdated', '{}')`);
    expect((await verifyAuditChain(f.prisma, f.audit)).problem).toMatchObject({ code: 'EVENT_NOT_SEALED' });
  });

  it('a forged anchor', async () => {
    const f = await fixture();
    // An older head, written by someone without the key.
    const third = await f.prisma.auditSeal.findUniqueOrThrow({ where: { pos: 3n } });
    await f.audit.anchors!.write({ ...makeAnchor('x'.repeat(32), 3n, third.hash) });
    expect((await verifyAuditChain(f.prisma, f.audit)).problem).toMatchObject({ code: 'ANCHOR_FORGED' });
    // A wrong key finds every hash wrong.
    await f.audit.anchors!.write(makeAnchor(f.audit.key, 10n, (await f.prisma.auditSeal.findUniqueOrThrow({ where: { pos: 10n } })).hash));
    expect((await verifyAuditChain(f.prisma, { ...f.audit, key: 'y'.repeat(43) })).problem?.code).toMatch(/ANCHOR_FORGED|HASH_MISMATCH/);
    expect((await verifyAuditChain(f.prisma, f.audit)).ok).toBe(true);
  });
});

/** `pnpm suture audit ...` as a child process, against the stack's API. */
function cli(stack: Stack, token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'api', 'src', 'cli', 'main.ts'), 'audit', ...args, '--api', stack.apiUrl], {
      cwd: repoRoot,
      env: { ...process.env, SUTURE_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('on the running stack', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let ann: Person;
  let auditor: Person;
  let campaignId: string;
  let taskId: string;
  let assignmentId: string;

  const EVENTS = `query($f: AuditEventFilter, $n: Int, $a: String) { auditEvents(filter: $f, first: $n, after: $a) {
    __typename ... on DomainError { code message }
    ... on AuditEventConnection { nodes { seq at actorId actorName action entityType entityId data chainPosition } pageInfo { endCursor hasNextPage } } } }`;
  type Page = {
    auditEvents: {
      code?: string;
      nodes: Array<{ seq: string; action: string; actorId: string | null; entityId: string; data: unknown; chainPosition: string | null }>;
      pageInfo: { endCursor: string | null; hasNextPage: boolean };
    };
  };
  const events = async (token: string, filter: Record<string, unknown>, first = 100, after: string | null = null) =>
    (await gql<Page>(stack.apiUrl, token, EVENTS, { f: filter, n: first, a: after })).auditEvents;

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olga Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    auditor = await register(stack, admin, 'Quinn Auditor', ['QA_AUDITOR']);
    const setup = await createCampaignWithBatch(stack, ops, { tasks: 2 });
    campaignId = setup.campaignId;
    await startBatch(stack, ops, setup.batchId);
    const claim = await waitFor('a task to claim', async () => {
      const r = await gql<{ claimNextTask: { id?: string; task?: { id: string; asset: { url: string | null } } } }>(
        stack.apiUrl,
        ann.token,
        `mutation($c: ID) { claimNextTask(campaignId: $c) { ... on Assignment { id task { id asset { url } } } ... on DomainError { code } } }`,
        { c: campaignId },
      );
      return r.claimNextTask.id ? r.claimNextTask : null;
    });
    assignmentId = claim.id!;
    taskId = claim.task!.id;
    expect(claim.task!.asset.url).toMatch(/^http/);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('records claims, drafts, label and ledger reads, presigned URLs, upload resumes and aborts, and logouts: ids and counts only', async () => {
    const draft = { label: 'grasper' };
    await gql(stack.apiUrl, ann.token, `mutation($a: ID!, $d: JSON!) { saveDraft(assignmentId: $a, data: $d) { ... on Annotation { id } } }`, { a: assignmentId, d: draft });
    await gql(
      stack.apiUrl,
      ann.token,
      `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } } }`,
      {
        a: assignmentId,
        d: draft,
        k: `audit-${randomUUID()}`,
      },
    );
    // Ops reads the submitted labels (each label's content), the finance view reads the ledger.
    const read = await gql<{ task: { submittedLabels: Array<{ id: string; data: unknown }> } }>(
      stack.apiUrl,
      ops.token,
      `query($t: ID!) { task(id: $t) { ... on Task { submittedLabels { id data } } } }`,
      { t: taskId },
    );
    expect(read.task.submittedLabels).toHaveLength(1);
    await gql(stack.apiUrl, admin.token, `query($c: ID!) { ledger(campaignId: $c) { id amountCents } }`, { c: campaignId });
    // An upload resumed and then aborted.
    const plan = await gql<{ requestAssetUpload: { assetId: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!) { requestAssetUpload(campaignId: $c, contentType: "image/png", sizeBytes: 100) { ... on UploadPlan { assetId } } }`,
      { c: campaignId },
    );
    const assetId = plan.requestAssetUpload.assetId;
    await gql(stack.apiUrl, ops.token, `mutation($a: ID!) { resumeAssetUpload(assetId: $a) { ... on UploadPlan { assetId } } }`, { a: assetId });
    await gql(stack.apiUrl, ops.token, `mutation($a: ID!) { abortAssetUpload(assetId: $a) }`, { a: assetId });
    await gql(stack.apiUrl, ann.token, `mutation { logout }`);

    const all = await stack.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    const one = (action: string, entityId: string, actorId: string) => all.filter((e) => e.action === action && e.entityId === entityId && e.actorId === actorId);
    expect(one('task.claimed', taskId, ann.id)).toHaveLength(1);
    expect(one('task.claimed', taskId, ann.id)[0]!.data).toMatchObject({ assignmentId, round: 0 });
    expect(one('media.url-presigned', (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).assetId!, ann.id)).toHaveLength(1);
    expect(one('annotation.draft-saved', taskId, ann.id)).toHaveLength(1);
    expect(one('labels.read', taskId, ops.id)).toHaveLength(1);
    expect(one('label.read', read.task.submittedLabels[0]!.id, ops.id)).toHaveLength(1);
    expect(one('ledger.read', campaignId, admin.id)).toHaveLength(1);
    expect(one('asset.upload-resumed', assetId, ops.id)).toHaveLength(1);
    expect(one('asset.upload-aborted', assetId, ops.id)).toHaveLength(1);
    expect(one('user.logout', ann.id, ann.id)).toHaveLength(1);
    // No label content (class names), no e-mail addresses, no URLs in any event.
    for (const e of all) expect(JSON.stringify(e.data)).not.toMatch(/grasper|hook|clipper|scissors|@suture\.test|https?:/);
  });

  it('lets auditors (only) read, filter and page the log', async () => {
    await expect(events(ann.token, {})).rejects.toThrow(/log in first/); // Ann logged out above
    await expect(events(ops.token, {})).rejects.toThrow(/your role does not allow this/);
    const claims = await events(auditor.token, { action: 'task.claimed', actorId: ann.id });
    expect(claims.nodes.map((n) => n.entityId)).toEqual([taskId]);
    const userEvents = await events(auditor.token, { action: 'user.' });
    expect(userEvents.nodes.every((n) => n.action.startsWith('user.'))).toBe(true);
    expect(userEvents.nodes.some((n) => n.action === 'user.logout')).toBe(true);
    const byEntity = await events(admin.token, { entityType: 'Task', entityId: taskId });
    expect(new Set(byEntity.nodes.map((n) => n.action))).toEqual(new Set(['task.claimed', 'annotation.draft-saved', 'annotation.submitted', 'labels.read']));
    expect((await events(auditor.token, { from: new Date(Date.now() + 3_600_000).toISOString() })).nodes).toHaveLength(0);
    // Paging: newest first, pages do not overlap and together hold everything.
    const total = await stack.prisma.auditEvent.count();
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page = await events(auditor.token, {}, 7, after);
      seen.push(...page.nodes.map((n) => n.seq));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.length).toBeGreaterThanOrEqual(total);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.map(BigInt)).toEqual([...seen.map(BigInt)].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  });

  it('exports the log streamed as JSON lines and CSV, and verifies it through GraphQL and the CLI', async () => {
    await stack.sealAudit();
    const jsonl = await fetch(`${stack.apiUrl}/audit/export?format=jsonl&action=user.`, { headers: { authorization: `Bearer ${auditor.token}` } });
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toMatch(/ndjson/);
    const lines = (await jsonl.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; seq: string });
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((l) => l.action.startsWith('user.'))).toBe(true);
    const csv = await (await fetch(`${stack.apiUrl}/audit/export?format=csv`, { headers: { authorization: `Bearer ${admin.token}` } })).text();
    expect(csv.split('\n')[0]).toBe('seq,at,actorId,actorName,action,entityType,entityId,chainPosition,data');
    expect((await fetch(`${stack.apiUrl}/audit/export`, { headers: { authorization: `Bearer ${ops.token}` } })).status).toBe(403);
    expect((await fetch(`${stack.apiUrl}/audit/export`)).status).toBe(401);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'audit.exported', actorId: auditor.id } })).toBe(1);

    const verified = await gql<{ verifyAuditLog: { ok: boolean; events: number; problem: unknown; anchorPosition: string | null } }>(
      stack.apiUrl,
      auditor.token,
      `query { verifyAuditLog { ... on AuditVerification { ok events pending anchorPosition problem { code message } } } }`,
    );
    expect(verified.verifyAuditLog).toMatchObject({ ok: true, problem: null });
    expect(verified.verifyAuditLog.events).toBeGreaterThan(10);
    expect(Number(verified.verifyAuditLog.anchorPosition)).toBeGreaterThan(10);

    const list = await cli(stack, auditor.token, ['list', '--action', 'task.claimed', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { nodes: Array<{ entityId: string }> }).nodes.map((n) => n.entityId)).toEqual([taskId]);
    const out = join(dir, 'export.csv');
    const exported = await cli(stack, auditor.token, ['export', '--format', 'csv', '--entity-id', taskId, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n').length).toBe(5); // header + 4 events of the task
    const ok = await cli(stack, auditor.token, ['verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problem: null });

    // A DBA cuts the tail: verify (GraphQL and CLI) reports it.
    await stack.sealAudit();
    const owner = new pg.Client({ connectionString: stack.db.url });
    await owner.connect();
    try {
      await owner.query('BEGIN');
      await owner.query('ALTER TABLE "AuditEvent" DISABLE TRIGGER USER');
      await owner.query('ALTER TABLE "AuditSeal" DISABLE TRIGGER USER');
      await owner.query(`DELETE FROM "AuditEvent" WHERE seq IN (SELECT "eventSeq" FROM "AuditSeal" ORDER BY pos DESC LIMIT 2)`);
      await owner.query(`DELETE FROM "AuditSeal" WHERE pos IN (SELECT pos FROM "AuditSeal" ORDER BY pos DESC LIMIT 2)`);
      await owner.query('ALTER TABLE "AuditEvent" ENABLE TRIGGER USER');
      await owner.query('ALTER TABLE "AuditSeal" ENABLE TRIGGER USER');
      await owner.query('COMMIT');
    } finally {
      await owner.end();
    }
    const broken = await cli(stack, auditor.token, ['verify']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, problem: { code: 'TAIL_CUT' } });
  });
});
