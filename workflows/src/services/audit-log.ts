// Append-only, hash-chained audit log. Each event's hash covers the previous hash and the event, so
// any edit or deletion breaks the chain. Events carry ids and counts only, never PHI.
import { createHash } from 'node:crypto';
import type { Prisma, PrismaClient } from '@suture/db';

export interface AuditEventInput {
  actorId?: string | null;
  action: string;
  entityType: string;
  entityId: string;
  data?: Record<string, string | number | boolean | null | string[]>;
}

type Tx = Prisma.TransactionClient | PrismaClient;

const GENESIS = '0'.repeat(64);
/** Serialises appends so the chain never forks; the lock is released with the transaction. */
const CHAIN_LOCK = 7_201_411;

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

export function auditHash(prevHash: string, e: { at: Date; actorId: string | null; action: string; entityType: string; entityId: string; data: unknown }): string {
  const body = canonical({ at: e.at.toISOString(), actorId: e.actorId, action: e.action, entityType: e.entityType, entityId: e.entityId, data: e.data });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Appends inside the caller's transaction (so the event commits with the change it records). */
export async function appendAudit(tx: Prisma.TransactionClient, event: AuditEventInput): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`;
  const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
  const prevHash = last?.hash ?? GENESIS;
  const at = new Date();
  const actorId = event.actorId ?? null;
  const data = event.data ?? {};
  const hash = auditHash(prevHash, { at, actorId, action: event.action, entityType: event.entityType, entityId: event.entityId, data });
  await tx.auditEvent.create({ data: { at, actorId, action: event.action, entityType: event.entityType, entityId: event.entityId, data, prevHash, hash } });
}

/** Appends in a transaction of its own. */
export async function recordAudit(prisma: PrismaClient, event: AuditEventInput): Promise<void> {
  await prisma.$transaction((tx) => appendAudit(tx, event));
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  /** First sequence number whose hash does not match, if any. */
  brokenAt: bigint | null;
}

/** Recomputes every hash from the start; an auditor runs this to prove nothing was changed. */
export async function verifyAuditChain(prisma: Tx): Promise<ChainVerification> {
  let prevHash = GENESIS;
  let cursor: bigint | undefined;
  let events = 0;
  for (;;) {
    const page = await prisma.auditEvent.findMany({ orderBy: { seq: 'asc' }, take: 1000, ...(cursor !== undefined ? { cursor: { seq: cursor }, skip: 1 } : {}) });
    if (page.length === 0) break;
    for (const e of page) {
      const expected = auditHash(prevHash, { at: e.at, actorId: e.actorId, action: e.action, entityType: e.entityType, entityId: e.entityId, data: e.data });
      if (e.prevHash !== prevHash || e.hash !== expected) return { ok: false, events, brokenAt: e.seq };
      prevHash = e.hash;
      events += 1;
    }
    cursor = page[page.length - 1]!.seq;
  }
  return { ok: true, events, brokenAt: null };
}
