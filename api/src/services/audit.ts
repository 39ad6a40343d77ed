// The auditor's view of the audit log: filtered listing with cursor paging, a streamed export (JSON lines or
// CSV) and verification of the chain. ADMIN and QA_AUDITOR only; each export and verification is itself audited.
import type { Prisma } from '@suture/db';
import { appendAudit, verifyAuditChain, type ChainVerification } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, InvalidInputError } from '../errors.ts';
import { DEFAULT_ORGANIZATION_ID } from './tenancy.ts';

export const AUDITOR_ROLES = ['ADMIN', 'QA_AUDITOR'] as const;

export interface AuditFilter {
  actorId?: string | null;
  /** Exact action, or a prefix ending in '.' (e.g. `user.`). */
  action?: string | null;
  entityType?: string | null;
  entityId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

export interface AuditRow {
  seq: bigint;
  at: Date;
  actorId: string | null;
  actorName: string | null;
  action: string;
  entityType: string;
  entityId: string;
  data: unknown;
  /** Position in the chain once the sealer chained it; null while pending. */
  chainPosition: bigint | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertAuditor(user: AuthUser): void {
  if (!user.roles.some((r) => (AUDITOR_ROLES as readonly string[]).includes(r))) throw new DomainError('FORBIDDEN', 'reading the audit log needs the ADMIN or QA_AUDITOR role');
}

export function auditWhere(filter: AuditFilter = {}): Prisma.AuditEventWhereInput {
  const where: Prisma.AuditEventWhereInput = {};
  if (filter.actorId) {
    if (!UUID.test(filter.actorId)) throw new InvalidInputError(`actorId '${filter.actorId}' is not a user id`);
    where.actorId = filter.actorId;
  }
  if (filter.action) where.action = filter.action.endsWith('.') ? { startsWith: filter.action } : filter.action;
  if (filter.entityType) where.entityType = filter.entityType;
  if (filter.entityId) where.entityId = filter.entityId;
  if (filter.from || filter.to) where.at = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) };
  return where;
}

function parseCursor(after: string | null | undefined): bigint | null {
  if (!after) return null;
  if (!/^\d{1,19}$/.test(after)) throw new InvalidInputError(`'${after}' is not a cursor of auditEvents`);
  return BigInt(after);
}

/**
 * An auditor reads their organisation's events only (the database stamps each event with it). Events that
 * concern no organisation (skills, events written before tenancy) belong to the default organisation's view.
 */
function organizationWhere(user: AuthUser): Prisma.AuditEventWhereInput {
  return user.organizationId === DEFAULT_ORGANIZATION_ID ? { OR: [{ organizationId: user.organizationId }, { organizationId: null }] } : { organizationId: user.organizationId };
}

/** One page, newest first; `after` is the endCursor of the previous page. */
async function page(services: Services, user: AuthUser, filter: AuditFilter, first: number, after: bigint | null): Promise<AuditRow[]> {
  const { prisma } = services;
  const events = await prisma.auditEvent.findMany({
    where: { AND: [organizationWhere(user), auditWhere(filter), ...(after !== null ? [{ seq: { lt: after } }] : [])] },
    orderBy: { seq: 'desc' },
    take: first,
  });
  const seqs = events.map((e) => e.seq);
  const actorIds = [...new Set(events.map((e) => e.actorId).filter((a): a is string => a !== null))];
  const [seals, actors] = await Promise.all([
    seqs.length ? prisma.auditSeal.findMany({ where: { eventSeq: { in: seqs } }, select: { eventSeq: true, pos: true } }) : [],
    actorIds.length ? prisma.user.findMany({ where: { id: { in: actorIds } }, select: { id: true, name: true } }) : [],
  ]);
  const posOf = new Map(seals.map((s) => [s.eventSeq, s.pos]));
  const nameOf = new Map(actors.map((u) => [u.id, u.name]));
  return events.map((e) => ({
    seq: e.seq,
    at: e.at,
    actorId: e.actorId,
    actorName: e.actorId ? (nameOf.get(e.actorId) ?? null) : null,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    data: e.data,
    chainPosition: posOf.get(e.seq) ?? null,
  }));
}

export interface AuditPage {
  nodes: AuditRow[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export async function listAuditEvents(services: Services, user: AuthUser, filter: AuditFilter, first = 50, after: string | null = null): Promise<AuditPage> {
  assertAuditor(user);
  if (!Number.isInteger(first) || first < 1 || first > 500) throw new InvalidInputError('first must be between 1 and 500');
  const rows = await page(services, user, filter, first + 1, parseCursor(after));
  const nodes = rows.slice(0, first);
  return { nodes, endCursor: nodes.length ? nodes[nodes.length - 1]!.seq.toString() : null, hasNextPage: rows.length > first };
}

/** Every matching event, newest first, a page at a time (the export streams these). */
export async function* exportAuditEvents(services: Services, user: AuthUser, filter: AuditFilter): AsyncGenerator<AuditRow> {
  assertAuditor(user);
  auditWhere(filter); // refuses a bad filter before anything is sent
  await appendAudit(services.prisma, { actorId: user.id, action: 'audit.exported', entityType: 'AuditLog', entityId: 'audit', data: filterSummary(filter) });
  let after: bigint | null = null;
  for (;;) {
    const rows = await page(services, user, filter, 1000, after);
    for (const r of rows) yield r;
    if (rows.length < 1000) return;
    after = rows[rows.length - 1]!.seq;
  }
}

function filterSummary(filter: AuditFilter): Record<string, string | null> {
  return {
    actorId: filter.actorId ?? null,
    action: filter.action ?? null,
    entityType: filter.entityType ?? null,
    entityId: filter.entityId ?? null,
    from: filter.from?.toISOString() ?? null,
    to: filter.to?.toISOString() ?? null,
  };
}

export async function verifyAuditLog(services: Services, user: AuthUser): Promise<ChainVerification> {
  assertAuditor(user);
  if (!services.audit) throw new DomainError('CONFLICT', 'this API has no SUTURE_AUDIT_KEY: the audit chain cannot be verified here');
  const result = await verifyAuditChain(services.prisma, services.audit);
  await appendAudit(services.prisma, {
    actorId: user.id,
    action: 'audit.verified',
    entityType: 'AuditLog',
    entityId: 'audit',
    data: { ok: result.ok, events: result.events, problem: result.problem?.code ?? null },
  });
  return result;
}

export const CSV_COLUMNS = ['seq', 'at', 'actorId', 'actorName', 'action', 'entityType', 'entityId', 'chainPosition', 'data'] as const;

function csvCell(value: string): string {
  // Cells starting with = + - @ are prefixed so spreadsheets do not run them as formulas.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function auditRowJson(r: AuditRow): Record<string, unknown> {
  return {
    seq: r.seq.toString(),
    at: r.at.toISOString(),
    actorId: r.actorId,
    actorName: r.actorName,
    action: r.action,
    entityType: r.entityType,
    entityId: r.entityId,
    chainPosition: r.chainPosition?.toString() ?? null,
    data: r.data,
  };
}

export function auditRowCsv(r: AuditRow): string {
  const j = auditRowJson(r);
  return CSV_COLUMNS.map((c) => csvCell(c === 'data' ? JSON.stringify(j.data) : j[c] === null ? '' : String(j[c]))).join(',');
}
