// Queues: campaign caps and stage SLAs, a batch's place in the queue, annotators' skips, and alerts for ops.
import { builder } from './builder.ts';
import { NotFoundError } from '../errors.ts';
import { hasCampaignRole, MANAGES, requireCampaignRole, requireRoleOn } from '../services/tenancy.ts';
import { acknowledgeAlert, releaseTask, setBatchSchedule, setCampaignQueueSettings, SKIP_REASONS, skipCategoryOf } from '../services/queues.ts';

/** Who reads a campaign's queue settings, alerts and skip reasons: those who run it. */
const RUNS: readonly ['ADMIN', 'OPS_MANAGER'] = ['ADMIN', 'OPS_MANAGER'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Alerts and skip reasons listed at most (newest first). */
const LIST_LIMIT = 200;

builder.prismaObject('Alert', {
  description: 'Something ops must act on (a stage SLA breached, a budget threshold, an annotator paused). Ids and counts only.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind'),
    data: t.expose('data', { type: 'JSON' }),
    batchId: t.exposeID('batchId', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    acknowledgedAt: t.expose('acknowledgedAt', { type: 'DateTime', nullable: true }),
  }),
});

interface SkipView {
  assignmentId: string;
  taskId: string;
  round: number;
  reason: string;
  releasedAt: Date;
}

const TaskSkipRef = builder.objectRef<SkipView>('TaskSkip').implement({
  description: 'An annotator skipped a task (released their claim) with a reason.',
  fields: (t) => ({
    assignmentId: t.exposeID('assignmentId'),
    taskId: t.exposeID('taskId'),
    round: t.exposeInt('round'),
    reason: t.exposeString('reason', { description: 'In the annotator’s words' }),
    category: t.string({ description: 'IMAGE_UNREADABLE, OUTSIDE_EXPERTISE, GUIDELINE_UNCLEAR or OTHER', resolve: (s) => skipCategoryOf(s.reason) }),
    releasedAt: t.expose('releasedAt', { type: 'DateTime' }),
  }),
});

const SKIP_SELECT = { id: true, taskId: true, round: true, releaseReason: true, releasedAt: true } as const;
function skipViewOf(a: { id: string; taskId: string; round: number; releaseReason: string | null; releasedAt: Date | null }): SkipView {
  return { assignmentId: a.id, taskId: a.taskId, round: a.round, reason: a.releaseReason ?? '', releasedAt: a.releasedAt ?? new Date(0) };
}

builder.prismaObjectFields('Campaign', (t) => ({
  capPerBatch: t.exposeInt('capPerBatch', { nullable: true, description: 'At most this many labels per annotator in one batch (null: no cap)' }),
  capSharePerBatch: t.exposeFloat('capSharePerBatch', { nullable: true, description: "At most this share (0..1] of a batch's label slots per annotator (null: no cap)" }),
  reviewSlaSeconds: t.exposeInt('reviewSlaSeconds', { description: 'Seconds a disagreement may wait for an expert before an alert' }),
  qaSlaSeconds: t.exposeInt('qaSlaSeconds', { description: 'Seconds a sampled task may wait for its QA verdict before an alert' }),
  alerts: t.prismaField({
    type: ['Alert'],
    description: "The campaign's alerts, newest first (at most 200); for its operations managers and admins.",
    authScopes: (c, _args, ctx) => hasCampaignRole(ctx, c.id, RUNS),
    args: { unacknowledgedOnly: t.arg.boolean({ required: false }) },
    resolve: (query, c, args, ctx) =>
      ctx.services.prisma.alert.findMany({
        ...query,
        where: { campaignId: c.id, ...(args.unacknowledgedOnly ? { acknowledgedAt: null } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        take: LIST_LIMIT,
      }),
  }),
}));

builder.prismaObjectFields('Batch', (t) => ({
  priority: t.exposeInt('priority', { description: 'Queue order across batches: higher first' }),
  deadline: t.expose('deadline', { type: 'DateTime', nullable: true, description: 'Within a priority, the earlier deadline first; none goes last' }),
  skips: t.field({
    type: [TaskSkipRef],
    description: "Tasks annotators skipped, with their reasons, newest first (at most 200); for the campaign's operations managers and admins.",
    authScopes: (b, _args, ctx) => hasCampaignRole(ctx, b.campaignId, RUNS),
    resolve: async (b, _args, ctx) => {
      const rows = await ctx.services.prisma.assignment.findMany({
        where: { task: { batchId: b.id }, status: 'RELEASED', releaseReason: { not: null } },
        select: SKIP_SELECT,
        orderBy: [{ releasedAt: 'desc' }, { id: 'asc' }],
        take: LIST_LIMIT,
      });
      return rows.map(skipViewOf);
    },
  }),
}));

builder.prismaObjectFields('Task', (t) => ({
  skips: t.field({
    type: [TaskSkipRef],
    description: 'Why annotators skipped this task, every round; for its campaign’s operations managers and admins.',
    authScopes: (task, _args, ctx) => hasCampaignRole(ctx, task.campaignId, RUNS),
    resolve: async (task, _args, ctx) => {
      const rows = await ctx.services.prisma.assignment.findMany({
        where: { taskId: task.id, status: 'RELEASED', releaseReason: { not: null } },
        select: SKIP_SELECT,
        orderBy: [{ releasedAt: 'desc' }, { id: 'asc' }],
      });
      return rows.map(skipViewOf);
    },
  }),
}));

const QueueSettingsInput = builder.inputType('QueueSettingsInput', {
  description: 'Fields left out keep their value; null clears a cap.',
  fields: (t) => ({
    capPerBatch: t.int({ required: false }),
    capSharePerBatch: t.float({ required: false }),
    reviewSlaSeconds: t.int({ required: false }),
    qaSlaSeconds: t.int({ required: false }),
  }),
});

builder.queryFields((t) => ({
  skipReasons: t.withAuth({ authenticated: true }).stringList({
    description: 'The common reasons the workspace offers for skipping a task (any other text is allowed too).',
    resolve: () => Object.values(SKIP_REASONS),
  }),
}));

builder.mutationFields((t) => ({
  releaseTask: t.withAuth({ role: 'ANNOTATOR' }).prismaField({
    type: 'Assignment',
    errors: {},
    description:
      'Skips the task you hold: your claim is released with the reason (1-500 characters), the slot goes to someone else, and the task is not offered to you again this round.',
    args: { assignmentId: t.arg.id(), reason: t.arg.string() },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.assignment.findUniqueOrThrow({ ...query, where: { id: await releaseTask(ctx.services, ctx.user, String(args.assignmentId), args.reason) } }),
  }),
  setBatchSchedule: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Batch',
    errors: {},
    description: "Sets a batch's place in its campaign's queue: priority (higher first, -1000..1000), then deadline (earlier first; null: none).",
    args: { batchId: t.arg.id(), priority: t.arg.int(), deadline: t.arg({ type: 'DateTime', required: false }) },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'batch', String(args.batchId), MANAGES);
      const id = await setBatchSchedule(ctx.services, ctx.user, String(args.batchId), { priority: args.priority, deadline: args.deadline ?? null });
      return ctx.services.prisma.batch.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  setCampaignQueueSettings: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Sets caps per annotator per batch and the review and QA stage SLAs.',
    args: { campaignId: t.arg.id(), settings: t.arg({ type: QueueSettingsInput }) },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      // Only the fields sent: GraphQL gives null for an explicit null (clear a cap) and undefined for one left out.
      const settings = Object.fromEntries(Object.entries(args.settings).filter(([, v]) => v !== undefined));
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: await setCampaignQueueSettings(ctx.services, ctx.user, campaignId, settings) } });
    },
  }),
  acknowledgeAlert: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Alert',
    errors: {},
    args: { alertId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const alertId = String(args.alertId);
      const alert = UUID.test(alertId) ? await ctx.services.prisma.alert.findUnique({ where: { id: alertId }, select: { campaignId: true } }) : null;
      // Someone else's campaign's alert does not exist for the caller.
      if (!alert || !(await hasCampaignRole(ctx, alert.campaignId, MANAGES))) throw new NotFoundError('alert');
      return ctx.services.prisma.alert.findUniqueOrThrow({ ...query, where: { id: await acknowledgeAlert(ctx.services, ctx.user, alertId) } });
    },
  }),
}));
