// Lists that page: tasks, assets, annotations and ledger entries of a campaign as Relay connections (first/after,
// cursors from pageInfo.endCursor), with filters; and a task's whole history for the task browser. Audit events
// page the same way in audit.ts. Each list is ordered by (createdAt, id), so that a cursor is a stable position
// even while rows are added, and each order has its index ((campaignId, createdAt, id) on Task and LedgerEntry).
import type { Prisma } from '@suture/db';
import { builder } from './builder.ts';
import { canSeeWorkOnTask, SEES_ALL, seesAllWorkOnTask } from './access.ts';
import { requireCampaignRole, UUID } from '../services/tenancy.ts';
import { InvalidInputError } from '../errors.ts';
import { auditRead } from '../audit-reads.ts';

const TASK_STATUSES = ['PENDING', 'OPEN', 'LABELED', 'IN_REVIEW', 'ACCEPTED', 'EXCLUDED'] as const;
const ASSET_STATUSES = ['AWAITING_UPLOAD', 'QUARANTINED', 'READY', 'FAILED'] as const;
const ASSET_KINDS = ['IMAGE', 'VIDEO', 'DICOM', 'NIFTI'] as const;
const PRIVACY_STATUSES = ['NOT_REQUIRED', 'PENDING_REVIEW', 'RELEASED', 'REJECTED'] as const;
const LEDGER_KINDS = ['LABEL', 'REVIEW', 'AUDIT', 'REWORK', 'COMPUTE', 'BONUS'] as const;

const TaskStatusFilter = builder.enumType('TaskStatusFilter', { values: TASK_STATUSES });
const AssetStatusFilter = builder.enumType('AssetStatusFilter', { values: ASSET_STATUSES });
const AssetKindFilter = builder.enumType('AssetKindFilter', { values: ASSET_KINDS });
const PrivacyStatusFilter = builder.enumType('PrivacyStatusFilter', { values: PRIVACY_STATUSES });
const LedgerKindFilter = builder.enumType('LedgerKindFilter', { values: LEDGER_KINDS });

/** Pages hold at most this many rows; 50 when `first` is not given. */
const PAGE = { defaultSize: 50, maxSize: 500 } as const;

/** An id filter: a malformed id is a clear error, not a database failure. */
function idFilter(value: string | number | null | undefined, what: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  const id = String(value);
  if (!UUID.test(id)) throw new InvalidInputError(`${what} '${id.slice(0, 64)}' is not an id`);
  return id;
}

function dateRange(from: Date | null | undefined, to: Date | null | undefined): Prisma.DateTimeFilter | undefined {
  if (!from && !to) return undefined;
  if (from && to && from > to) throw new InvalidInputError('the range starts after it ends (from > to)');
  return { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) };
}

const ORDER = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];

builder.queryFields((t) => ({
  tasksPage: t.withAuth({ anyRole: [...SEES_ALL] }).prismaConnection(
    {
      type: 'Task',
      cursor: 'id',
      ...PAGE,
      errors: {},
      description: "A campaign's tasks, oldest first, a page at a time (first/after); for its admins, operations managers and QA auditors.",
      args: {
        campaignId: t.arg.id(),
        batchId: t.arg.id({ required: false }),
        status: t.arg({ type: TaskStatusFilter, required: false }),
        assetId: t.arg.id({ required: false }),
        round: t.arg.int({ required: false, description: 'Only tasks in this rework round (0: first labelling)' }),
        gold: t.arg.boolean({ required: false, description: 'true: only honeypot gold tasks; false or absent: only real work' }),
      },
      resolve: async (query, _root, args, ctx) => {
        const campaignId = idFilter(args.campaignId, 'campaign')!;
        await requireCampaignRole(ctx, campaignId, SEES_ALL);
        const where: Prisma.TaskWhereInput = {
          campaignId,
          batchId: idFilter(args.batchId, 'batch'),
          assetId: idFilter(args.assetId, 'asset'),
          ...(args.status ? { status: args.status } : {}),
          ...(args.round !== null && args.round !== undefined ? { round: args.round } : {}),
          goldItemId: args.gold ? { not: null } : null,
        };
        return ctx.services.prisma.task.findMany({ ...query, where, orderBy: ORDER });
      },
    },
    {},
    {},
  ),
  assetsPage: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaConnection(
    {
      type: 'Asset',
      cursor: 'id',
      ...PAGE,
      errors: {},
      description: "A campaign's media, oldest first, a page at a time; filter by kind, status, privacy status or file name.",
      args: {
        campaignId: t.arg.id(),
        kind: t.arg({ type: AssetKindFilter, required: false }),
        status: t.arg({ type: AssetStatusFilter, required: false }),
        privacyStatus: t.arg({ type: PrivacyStatusFilter, required: false }),
        fileName: t.arg.string({ required: false, description: 'Part of the file name, any case' }),
      },
      resolve: async (query, _root, args, ctx) => {
        const campaignId = idFilter(args.campaignId, 'campaign')!;
        await requireCampaignRole(ctx, campaignId, ['ADMIN', 'OPS_MANAGER']);
        if (args.fileName && args.fileName.length > 255) throw new InvalidInputError('a file name filter has at most 255 characters');
        const where: Prisma.AssetWhereInput = {
          campaignId,
          ...(args.kind ? { kind: args.kind } : {}),
          ...(args.status ? { status: args.status } : {}),
          ...(args.privacyStatus ? { privacyStatus: args.privacyStatus } : {}),
          ...(args.fileName ? { fileName: { contains: args.fileName, mode: 'insensitive' as const } } : {}),
        };
        return ctx.services.prisma.asset.findMany({ ...query, where, orderBy: ORDER });
      },
    },
    {},
    {},
  ),
  annotationsPage: t.withAuth({ anyRole: [...SEES_ALL] }).prismaConnection(
    {
      type: 'Annotation',
      cursor: 'id',
      ...PAGE,
      errors: {},
      description: "A campaign's labels (every version, drafts too unless submitted is set), oldest first; every page read is audited.",
      args: {
        campaignId: t.arg.id(),
        taskId: t.arg.id({ required: false }),
        userId: t.arg.id({ required: false }),
        submitted: t.arg.boolean({ required: false }),
        from: t.arg({ type: 'DateTime', required: false }),
        to: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: async (query, _root, args, ctx) => {
        const campaignId = idFilter(args.campaignId, 'campaign')!;
        await requireCampaignRole(ctx, campaignId, SEES_ALL);
        const where: Prisma.AnnotationWhereInput = {
          task: { campaignId },
          taskId: idFilter(args.taskId, 'task'),
          userId: idFilter(args.userId, 'user'),
          ...(args.submitted !== null && args.submitted !== undefined ? { submitted: args.submitted } : {}),
          createdAt: dateRange(args.from, args.to),
        };
        const rows = await ctx.services.prisma.annotation.findMany({ ...query, where, orderBy: ORDER });
        auditRead(ctx, { action: 'labels.listed', entityType: 'Campaign', entityId: campaignId, data: { labels: rows.length } });
        return rows;
      },
    },
    {},
    {},
  ),
  ledgerPage: t.withAuth({ anyRole: ['FINANCE', 'ADMIN'] }).prismaConnection(
    {
      type: 'LedgerEntry',
      cursor: 'id',
      ...PAGE,
      errors: {},
      description: "A campaign's ledger, oldest first, a page at a time; filter by kind, person and time.",
      args: {
        campaignId: t.arg.id(),
        kind: t.arg({ type: LedgerKindFilter, required: false }),
        userId: t.arg.id({ required: false }),
        from: t.arg({ type: 'DateTime', required: false }),
        to: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: async (query, _root, args, ctx) => {
        const campaignId = idFilter(args.campaignId, 'campaign')!;
        await requireCampaignRole(ctx, campaignId, ['FINANCE', 'ADMIN']);
        const where: Prisma.LedgerEntryWhereInput = {
          campaignId,
          ...(args.kind ? { kind: args.kind } : {}),
          userId: idFilter(args.userId, 'user'),
          createdAt: dateRange(args.from, args.to),
        };
        const rows = await ctx.services.prisma.ledgerEntry.findMany({ ...query, where, orderBy: ORDER });
        auditRead(ctx, { action: 'ledger.read', entityType: 'Campaign', entityId: campaignId, data: { entries: rows.length } });
        return rows;
      },
    },
    {},
    {},
  ),
}));

// The task browser: one task's whole history, for those who see all work on it.
builder.prismaObjectFields('Task', (t) => ({
  batch: t.relation('batch', { authScopes: (task, _args, ctx) => seesAllWorkOnTask(ctx, task.id) }),
  createdAt: t.expose('createdAt', { type: 'DateTime' }),
  acceptedAt: t.expose('acceptedAt', { type: 'DateTime', nullable: true, authScopes: (task, _args, ctx) => seesAllWorkOnTask(ctx, task.id) }),
  history: t.relation('assignments', {
    description: 'Every claim on the task in every round (labels, rework, reviews, audits), oldest first',
    authScopes: (task, _args, ctx) => seesAllWorkOnTask(ctx, task.id),
    query: { orderBy: [{ claimedAt: 'asc' }, { id: 'asc' }] },
  }),
  reviews: t.relation('reviews', {
    description: "Experts' adjudications, one per round that went to review",
    authScopes: (task, _args, ctx) => canSeeWorkOnTask(ctx, task.id),
    query: { orderBy: { round: 'asc' } },
  }),
  audits: t.relation('audits', {
    description: 'QA spot checks of the task, one per QA round that drew it',
    authScopes: (task, _args, ctx) => seesAllWorkOnTask(ctx, task.id),
    query: { orderBy: { qaRound: 'asc' } },
  }),
}));

builder.prismaObjectFields('Assignment', (t) => ({
  assignee: t.relation('user', { description: 'Who holds or held the claim (the Assignment itself is visible only to them and to ops)' }),
  releaseReason: t.exposeString('releaseReason', { nullable: true }),
  releasedAt: t.expose('releasedAt', { type: 'DateTime', nullable: true }),
  versions: t.relation('annotations', {
    description: 'Every version of the label written in this claim (drafts and the submitted one), oldest first',
    authScopes: (a, _args, ctx) => a.userId === ctx.user?.id || canSeeWorkOnTask(ctx, a.taskId),
    query: { orderBy: { version: 'asc' } },
  }),
}));

builder.prismaObjectFields('Review', (t) => ({
  round: t.exposeInt('round'),
  reviewer: t.relation('reviewer', { authScopes: (r, _args, ctx) => seesAllWorkOnTask(ctx, r.taskId) }),
}));

builder.prismaObjectFields('QaAudit', (t) => ({
  auditor: t.relation('auditor', { nullable: true, authScopes: (a, _args, ctx) => seesAllWorkOnTask(ctx, a.taskId) }),
}));
