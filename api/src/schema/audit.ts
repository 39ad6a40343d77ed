// The audit log for auditors (ADMIN, QA_AUDITOR): filtered, paged listing and verification of the chain.
// The export streams over HTTP (GET /audit/export, see audit-export.ts); the console links to it.
import type { ChainVerification, AuditProblem } from '@suture/workflows/services/audit-log';
import { builder } from './builder.ts';
import { AUDITOR_ROLES, listAuditEvents, verifyAuditLog, type AuditPage, type AuditRow } from '../services/audit.ts';

const AuditEventRef = builder.objectRef<AuditRow>('AuditEvent').implement({
  description: 'One audit event: who did or read what, as ids and counts (never PHI, never label content).',
  fields: (t) => ({
    seq: t.field({ type: 'BigInt', resolve: (e) => e.seq }),
    at: t.expose('at', { type: 'DateTime' }),
    actorId: t.exposeID('actorId', { nullable: true, description: 'The user who acted; null for the system (worker)' }),
    actorName: t.exposeString('actorName', { nullable: true }),
    action: t.exposeString('action'),
    entityType: t.exposeString('entityType'),
    entityId: t.exposeString('entityId'),
    data: t.expose('data', { type: 'JSON' }),
    chainPosition: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Its position in the hash chain; null while the sealer has not chained it yet (about a second)',
      resolve: (e) => e.chainPosition,
    }),
  }),
});

const AuditPageInfo = builder.objectRef<AuditPage>('AuditEventPageInfo').implement({
  fields: (t) => ({
    endCursor: t.exposeString('endCursor', { nullable: true }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
  }),
});

const AuditConnection = builder.objectRef<AuditPage>('AuditEventConnection').implement({
  fields: (t) => ({
    nodes: t.field({ type: [AuditEventRef], resolve: (p) => p.nodes }),
    pageInfo: t.field({ type: AuditPageInfo, resolve: (p) => p }),
  }),
});

const AuditFilterInput = builder.inputType('AuditEventFilter', {
  fields: (t) => ({
    actorId: t.id({ required: false }),
    action: t.string({ required: false, description: "An action, or a prefix ending in '.' (user., asset.)" }),
    entityType: t.string({ required: false }),
    entityId: t.string({ required: false }),
    from: t.field({ type: 'DateTime', required: false, description: 'At or after' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Before' }),
  }),
});

const AuditProblemRef = builder.objectRef<AuditProblem>('AuditProblem').implement({
  fields: (t) => ({
    code: t.exposeString('code', {
      description: 'SEAL_MISSING, EVENT_MISSING, HASH_MISMATCH, CHAIN_BROKEN, TAIL_CUT, ANCHOR_MISMATCH, ANCHOR_FORGED or EVENT_NOT_SEALED',
    }),
    message: t.exposeString('message'),
    position: t.field({ type: 'BigInt', nullable: true, resolve: (p) => p.pos }),
    seq: t.field({ type: 'BigInt', nullable: true, resolve: (p) => p.seq }),
  }),
});

const AuditVerificationRef = builder.objectRef<ChainVerification>('AuditVerification').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    events: t.exposeInt('events', { description: 'Sealed events checked' }),
    pending: t.exposeInt('pending', { description: 'Events not chained yet' }),
    headPosition: t.field({ type: 'BigInt', nullable: true, resolve: (v) => v.head?.pos ?? null }),
    anchorPosition: t.field({ type: 'BigInt', nullable: true, resolve: (v) => v.anchor?.pos ?? null }),
    anchorAt: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.anchor?.at ?? null }),
    anchorLocation: t.string({ nullable: true, resolve: (v) => v.anchor?.location ?? null }),
    problem: t.field({ type: AuditProblemRef, nullable: true, description: 'The first problem found', resolve: (v) => v.problem }),
  }),
});

builder.queryFields((t) => ({
  auditEvents: t.withAuth({ anyRole: [...AUDITOR_ROLES] }).field({
    type: AuditConnection,
    errors: {},
    description: 'The audit log, newest first, filtered; page with first/after (pageInfo.endCursor).',
    args: { filter: t.arg({ type: AuditFilterInput, required: false }), first: t.arg.int({ required: false }), after: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) =>
      listAuditEvents(ctx.services, ctx.user, { ...args.filter, actorId: args.filter?.actorId ? String(args.filter.actorId) : null }, args.first ?? 50, args.after ?? null),
  }),
  verifyAuditLog: t.withAuth({ anyRole: [...AUDITOR_ROLES] }).field({
    type: AuditVerificationRef,
    errors: {},
    description: "Recomputes the audit chain with the deployment's key and compares its head with the anchor kept outside the database.",
    resolve: (_root, _args, ctx) => verifyAuditLog(ctx.services, ctx.user),
  }),
}));
