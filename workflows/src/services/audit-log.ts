// The audit log: append-only events, chained afterwards by one sealer and anchored outside the database.
// Events carry ids and counts only, never PHI and never label content.
//
// Design (why not a hash per append): chaining at append time needs the previous hash, so every audited
// write of the whole system had to take one lock held to commit. Instead:
//
// - appendAudit is one INSERT and takes no lock. Each event records its transaction (txid, the column's
//   default pg_current_xact_id()).
// - The sealer (sealAuditLog; a loop in the worker, startAuditSealer) chains events into AuditSeal in
//   (txid, seq) order, but only events of transactions that have finished: those with txid below the
//   oldest transaction still running (pg_snapshot_xmin). No event can later appear behind that point, so
//   a late commit is never skipped, and the chain order is fixed once sealed. Position n seals one event:
//   hash_n = HMAC-SHA256(SUTURE_AUDIT_KEY, "suture-audit-v1", n, hash_{n-1}, the event with its seq).
//   Only a holder of the key can make a hash: the database (its owner included) cannot re-chain
//   after an edit, a deletion, a reordering, or an event slipped into sealed history.
// - After each seal the head (position, hash, time; with its own HMAC) is written to an anchor outside the
//   database (an S3 object or a file). Cutting the tail (deleting the newest events and their seals) leaves
//   a chain that is consistent in itself but shorter than the anchor: verifyAuditChain reports it.
// One sealer works at a time (a transaction-scoped advisory lock taken with try: another sealer skips).
// Events not sealed yet are 'pending': the window in which they are not tamper-evident is the sealing
// interval (1 s in the worker), plus any transaction left open that holds the horizon back.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Prisma, type PrismaClient } from '@suture/db';

export interface AuditEventInput {
  actorId?: string | null;
  action: string;
  entityType: string;
  entityId: string;
  data?: Record<string, string | number | boolean | null | string[]>;
}

type Tx = Prisma.TransactionClient | PrismaClient;

export const GENESIS = '0'.repeat(64);
/** Only the sealer takes this lock (with try): appends never wait for it. */
const SEAL_LOCK = 7_201_412;
const VERSION = 'suture-audit-v1';

export function canonical(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

export interface SealableEvent {
  seq: bigint;
  at: Date;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  data: unknown;
}

/** The keyed hash of chain position `pos`, sealing `event` after `prevHash`. */
export function sealHash(key: string, pos: bigint, prevHash: string, e: SealableEvent): string {
  const body = canonical({ seq: e.seq, at: e.at.toISOString(), actorId: e.actorId, action: e.action, entityType: e.entityType, entityId: e.entityId, data: e.data });
  return createHmac('sha256', key).update(`${VERSION}\n${pos}\n${prevHash}\n`).update(body).digest('hex');
}

export function assertAuditKey(key: string | undefined): asserts key is string {
  if (!key || key.length < 32) throw new Error('SUTURE_AUDIT_KEY must be a secret of at least 32 characters (it keys the audit chain)');
}

/**
 * Appends inside the caller's transaction, so the event commits with the change it records. One INSERT,
 * no lock and no read: the sealer chains it once the transaction has finished.
 */
export async function appendAudit(tx: Tx, event: AuditEventInput): Promise<void> {
  await tx.auditEvent.create({ data: rowOf(event), select: { seq: true } });
}

function rowOf(event: AuditEventInput) {
  return { actorId: event.actorId ?? null, action: event.action, entityType: event.entityType, entityId: event.entityId, data: event.data ?? {} };
}

/** Appends on its own (one statement, its own transaction). */
export async function recordAudit(prisma: Tx, event: AuditEventInput): Promise<void> {
  await appendAudit(prisma, event);
}

/** Appends many events in one statement (reads recorded at the end of a request). */
export async function recordAudits(prisma: Tx, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await prisma.auditEvent.createMany({ data: events.map(rowOf) });
}

// ---------------------------------------------------------------------------------------------------
// The anchor: the chain's head, kept where the database cannot rewrite it.

export interface AuditAnchor {
  pos: string;
  hash: string;
  at: string;
  mac: string;
}

export interface AnchorStore {
  /** Where it lives, for messages (s3://bucket/key, file:///path). */
  readonly location: string;
  read(): Promise<AuditAnchor | null>;
  write(anchor: AuditAnchor): Promise<void>;
}

export function anchorMac(key: string, a: Pick<AuditAnchor, 'pos' | 'hash' | 'at'>): string {
  return createHmac('sha256', key).update(`${VERSION}-anchor\n${a.pos}\n${a.hash}\n${a.at}`).digest('hex');
}

export function makeAnchor(key: string, pos: bigint, hash: string, at = new Date()): AuditAnchor {
  const body = { pos: pos.toString(), hash, at: at.toISOString() };
  return { ...body, mac: anchorMac(key, body) };
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function s3AnchorStore(s3: S3Client, bucket: string, key = 'audit/anchor.json'): AnchorStore {
  return {
    location: `s3://${bucket}/${key}`,
    async read() {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse(await res.Body!.transformToString()) as AuditAnchor;
      } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
        throw error;
      }
    },
    async write(anchor) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(anchor), ContentType: 'application/json' }));
    },
  };
}

export function fileAnchorStore(path: string): AnchorStore {
  return {
    location: `file://${path}`,
    async read() {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as AuditAnchor;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(anchor) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(anchor), { mode: 0o600 });
      await rename(tmp, path);
    },
  };
}

/**
 * The anchor store a setting names: `s3://bucket/key` (on the deployment's S3 client), `file:///abs/path`,
 * or, when unset, s3://<default bucket>/audit/anchor.json.
 */
export function anchorStoreFrom(setting: string | undefined, s3: S3Client, defaultBucket: string): AnchorStore {
  if (!setting) return s3AnchorStore(s3, defaultBucket);
  const url = new URL(setting);
  if (url.protocol === 's3:') return s3AnchorStore(s3, url.host, url.pathname.replace(/^\//, '') || 'audit/anchor.json');
  if (url.protocol === 'file:') return fileAnchorStore(decodeURIComponent(url.pathname));
  throw new Error(`SUTURE_AUDIT_ANCHOR must be s3://bucket/key or file:///path (got ${setting})`);
}

export interface AuditChainConfig {
  /** SUTURE_AUDIT_KEY: keys every hash of the chain and the anchor. */
  key: string;
  /** Where the head is anchored; without one a cut tail cannot be detected. */
  anchors: AnchorStore | null;
}

// ---------------------------------------------------------------------------------------------------
// Sealing.

export interface SealResult {
  /** Events chained by this call. */
  sealed: number;
  /** The chain's head after it (null: empty chain). */
  head: { pos: bigint; hash: string } | null;
  /** False when another sealer held the lock. */
  ran: boolean;
}

const SEAL_BATCH = 2000;

/** Chains every event of finished transactions not chained yet, then anchors the head. Safe to run from anywhere, any number of times. */
export async function sealAuditLog(prisma: PrismaClient, config: AuditChainConfig, options: { maxBatches?: number } = {}): Promise<SealResult> {
  assertAuditKey(config.key);
  let total = 0;
  let head: SealResult['head'] = null;
  let ran = false;
  for (let batch = 0; batch < (options.maxBatches ?? 50); batch++) {
    const result = await prisma.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<Array<{ ok: boolean }>>`SELECT pg_try_advisory_xact_lock(${SEAL_LOCK}) AS ok`;
      if (!lock?.ok) return null;
      const last = await tx.auditSeal.findFirst({ orderBy: { pos: 'desc' } });
      const cursor = last ? Prisma.sql`(e.txid, e.seq) > (${last.eventTxid}, ${last.eventSeq})` : Prisma.sql`TRUE`;
      // One statement, one snapshot: every transaction below its xmin has finished.
      const events = await tx.$queryRaw<Array<SealableEvent & { txid: bigint }>>`
        SELECT e.seq, e.txid, e.at, e."actorId", e.action, e."entityType", e."entityId", e.data
        FROM "AuditEvent" e
        WHERE ${cursor} AND e.txid < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
        ORDER BY e.txid, e.seq
        LIMIT ${SEAL_BATCH}`;
      let pos = last?.pos ?? 0n;
      let prevHash = last?.hash ?? GENESIS;
      const rows = events.map((e) => {
        pos += 1n;
        const hash = sealHash(config.key, pos, prevHash, e);
        const row = { pos, eventSeq: e.seq, eventTxid: e.txid, prevHash, hash };
        prevHash = hash;
        return row;
      });
      if (rows.length > 0) await tx.auditSeal.createMany({ data: rows });
      return { sealed: rows.length, head: pos > 0n ? { pos, hash: prevHash } : null };
    });
    if (!result) break;
    ran = true;
    total += result.sealed;
    head = result.head;
    if (result.sealed < SEAL_BATCH) break;
  }
  // Anchored after the commit: an anchor ahead of the database would be a false alarm. Never moved back
  // (two sealers finishing in turn).
  if (ran && head && config.anchors) {
    const current = await config.anchors.read().catch(() => null);
    if (!current || BigInt(current.pos) < head.pos) await config.anchors.write(makeAnchor(config.key, head.pos, head.hash));
  }
  return { sealed: total, head, ran };
}

/** The worker's sealer: seals every `intervalMs` until stopped. Failures are logged and retried next round. */
export function startAuditSealer(
  prisma: PrismaClient,
  config: AuditChainConfig,
  options: { intervalMs?: number; log?: (level: 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void } = {},
): { stop(): Promise<void> } {
  assertAuditKey(config.key);
  const interval = options.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = sealAuditLog(prisma, config)
      .then(() => undefined)
      .catch((error: unknown) => options.log?.('error', 'audit sealing failed', { error: (error as Error).message }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, interval);
      });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Verification.

export type AuditProblemCode =
  /** A chain position is missing (a seal was deleted). */
  | 'SEAL_MISSING'
  /** A sealed event is gone (deleted). */
  | 'EVENT_MISSING'
  /** A sealed event's content or position no longer matches its hash (changed, reordered, or a forged seal). */
  | 'HASH_MISMATCH'
  /** A seal does not link to the one before it. */
  | 'CHAIN_BROKEN'
  /** The chain ends before the anchored head (the tail was cut), or differs from it at the anchored position. */
  | 'TAIL_CUT'
  | 'ANCHOR_MISMATCH'
  /** The anchor's own MAC is wrong (written without the key). */
  | 'ANCHOR_FORGED'
  /** An event sits in sealed history without a seal (inserted behind the sealer). */
  | 'EVENT_NOT_SEALED';

export interface AuditProblem {
  code: AuditProblemCode;
  message: string;
  /** The chain position concerned, if any. */
  pos: bigint | null;
  /** The event concerned, if any. */
  seq: bigint | null;
}

export interface ChainVerification {
  ok: boolean;
  /** Sealed events checked. */
  events: number;
  /** Events not sealed yet (newest first appear here for up to the sealing interval). */
  pending: number;
  head: { pos: bigint; hash: string } | null;
  anchor: { pos: bigint; at: Date; location: string } | null;
  /** The first problem found. */
  problem: AuditProblem | null;
  /** Sequence number of the first event concerned, if any (kept for older callers). */
  brokenAt: bigint | null;
}

const PAGE = 1000;

/**
 * Recomputes the whole chain with the key: every position present and linked, every sealed event present
 * and unchanged, no event hidden in sealed history, and the chain reaching the anchored head.
 */
export async function verifyAuditChain(prisma: Tx, config: AuditChainConfig): Promise<ChainVerification> {
  assertAuditKey(config.key);
  // The anchor first: the chain only grows, so the chain read afterwards reaches at least this far.
  const rawAnchor = config.anchors ? await config.anchors.read() : null;
  const anchor = rawAnchor ? { pos: BigInt(rawAnchor.pos), at: new Date(rawAnchor.at), location: config.anchors!.location } : null;
  let events = 0;
  let head: ChainVerification['head'] = null;
  let headEvent: { txid: bigint; seq: bigint } | null = null;
  const finish = async (problem: AuditProblem | null): Promise<ChainVerification> => {
    const pending = headEvent
      ? await prisma.auditEvent.count({ where: { OR: [{ txid: { gt: headEvent.txid } }, { txid: headEvent.txid, seq: { gt: headEvent.seq } }] } })
      : await prisma.auditEvent.count();
    return { ok: problem === null, events, pending, head, anchor, problem, brokenAt: problem?.seq ?? null };
  };
  const fail = (code: AuditProblemCode, message: string, pos: bigint | null, seq: bigint | null) => finish({ code, message, pos, seq });

  if (rawAnchor && !sameHex(rawAnchor.mac ?? '', anchorMac(config.key, rawAnchor))) {
    return fail('ANCHOR_FORGED', `the anchor at ${config.anchors!.location} does not carry a valid MAC: it was not written by the sealer`, null, null);
  }
  let expected = 1n;
  let prevHash = GENESIS;
  for (;;) {
    const seals = await prisma.auditSeal.findMany({ where: { pos: { gte: expected } }, orderBy: { pos: 'asc' }, take: PAGE });
    if (seals.length === 0) break;
    const found = await prisma.auditEvent.findMany({ where: { seq: { in: seals.map((s) => s.eventSeq) } } });
    const bySeq = new Map(found.map((e) => [e.seq, e]));
    for (const s of seals) {
      if (s.pos !== expected) return fail('SEAL_MISSING', `chain position ${expected} is missing (the next present is ${s.pos}): sealed history was deleted`, expected, null);
      if (s.prevHash !== prevHash) return fail('CHAIN_BROKEN', `chain position ${s.pos} does not link to position ${s.pos - 1n}`, s.pos, s.eventSeq);
      const e = bySeq.get(s.eventSeq);
      if (!e) return fail('EVENT_MISSING', `event ${s.eventSeq} (chain position ${s.pos}) was deleted`, s.pos, s.eventSeq);
      if (!sameHex(s.hash, sealHash(config.key, s.pos, prevHash, e))) {
        return fail('HASH_MISMATCH', `event ${s.eventSeq} at chain position ${s.pos} does not match its hash: it was changed, moved, or sealed without the key`, s.pos, s.eventSeq);
      }
      if (anchor && s.pos === anchor.pos && !sameHex(s.hash, rawAnchor!.hash)) {
        return fail('ANCHOR_MISMATCH', `chain position ${s.pos} differs from the head anchored at ${anchor.location}`, s.pos, s.eventSeq);
      }
      prevHash = s.hash;
      head = { pos: s.pos, hash: s.hash };
      headEvent = { txid: s.eventTxid, seq: s.eventSeq };
      events += 1;
      expected += 1n;
    }
  }
  if (anchor && (head?.pos ?? 0n) < anchor.pos) {
    return fail(
      'TAIL_CUT',
      `the chain ends at position ${head?.pos ?? 0n} but ${anchor.location} anchored position ${anchor.pos} at ${anchor.at.toISOString()}: the newest events were deleted`,
      (head?.pos ?? 0n) + 1n,
      null,
    );
  }
  if (headEvent) {
    const hidden = await prisma.$queryRaw<Array<{ seq: bigint }>>`
      SELECT e.seq FROM "AuditEvent" e
      WHERE (e.txid, e.seq) < (${headEvent.txid}, ${headEvent.seq})
        AND NOT EXISTS (SELECT 1 FROM "AuditSeal" s WHERE s."eventSeq" = e.seq)
      ORDER BY e.txid, e.seq LIMIT 1`;
    if (hidden[0]) return fail('EVENT_NOT_SEALED', `event ${hidden[0].seq} sits in sealed history without a seal: it was inserted afterwards`, null, hidden[0].seq);
  }
  return finish(null);
}
