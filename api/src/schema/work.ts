import { builder } from './builder.ts';
import { canSeeAnnotation, canSeeWorkOnTask, SEES_ALL, seesAllWorkOnTask } from './access.ts';
import { hasRoleOn, requireCampaignRole, requireRoleOn, visibleCampaigns } from '../services/tenancy.ts';
import { claimNextReview, claimNextTask, heartbeat, saveDraft, submitAnnotation, submitAuditVerdict, submitReview } from '../services/work.ts';
import { DomainError } from '../errors.ts';
import { auditRead } from '../audit-reads.ts';

builder.prismaObject('Task', {
  fields: (t) => ({
    id: t.exposeID('id'),
    // A gold task is EXCLUDED from its batch's counts (services/gold.ts) but reads as open work: nothing tells it apart.
    status: t.string({ resolve: (task) => (task.goldItemId ? 'OPEN' : task.status) }),
    round: t.exposeInt('round'),
    frameIndex: t.exposeInt('frameIndex', { nullable: true }),
    sourceFrame: t.exposeInt('sourceFrame', {
      nullable: true,
      description: 'The frame in the uploaded source video (frameIndex counts frames of the proxy the workspace plays); set once the video is ingested.',
    }),
    requiredLevel: t.exposeInt('requiredLevel'),
    prelabel: t.expose('prelabel', { type: 'JSON', nullable: true }),
    modelConfidence: t.exposeFloat('modelConfidence', { nullable: true }),
    asset: t.relation('asset', { nullable: true }),
    campaign: t.relation('campaign'),
    // What the annotators together produced is visible only to those who may see everyone's work.
    agreement: t.exposeFloat('agreement', { nullable: true, authScopes: (task, _args, ctx) => canSeeWorkOnTask(ctx, task.id) }),
    agreementMetric: t.exposeString('agreementMetric', { nullable: true, authScopes: (task, _args, ctx) => canSeeWorkOnTask(ctx, task.id) }),
    consensus: t.field({
      type: 'JSON',
      nullable: true,
      authScopes: (task, _args, ctx) => canSeeWorkOnTask(ctx, task.id),
      resolve: (task, _args, ctx) => {
        if (task.consensus !== null) auditRead(ctx, { action: 'consensus.read', entityType: 'Task', entityId: task.id, data: { round: task.round } });
        return task.consensus;
      },
    }),
    consensusMethod: t.exposeString('consensusMethod', { nullable: true, authScopes: (task, _args, ctx) => canSeeWorkOnTask(ctx, task.id) }),
    reviewReason: t.exposeString('reviewReason', {
      nullable: true,
      description: 'Why the task went to expert review (low agreement, or labels the quality engine refused).',
      authScopes: (task, _args, ctx) => canSeeWorkOnTask(ctx, task.id),
    }),
    // A field of its own (not a preloadable relation): the filter needs the task's current round.
    submittedLabels: t.prismaField({
      type: ['Annotation'],
      description: "Every annotator's submitted label in the current round. Experts reviewing the task, QA and ops only.",
      authScopes: (task, _args, ctx) => canSeeWorkOnTask(ctx, task.id),
      resolve: async (query, task, _args, ctx) => {
        const labels = await ctx.services.prisma.annotation.findMany({
          ...query,
          where: { taskId: task.id, submitted: true, assignment: { round: task.round, status: 'SUBMITTED', kind: { in: ['LABEL', 'REWORK'] } } },
          orderBy: { createdAt: 'asc' },
        });
        auditRead(ctx, { action: 'labels.read', entityType: 'Task', entityId: task.id, data: { round: task.round, labels: labels.length } });
        return labels;
      },
    }),
  }),
});

builder.prismaObject('Assignment', {
  authScopes: (a, ctx) => a.userId === ctx.user?.id || seesAllWorkOnTask(ctx, a.taskId),
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind'),
    status: t.exposeString('status'),
    round: t.exposeInt('round'),
    slot: t.exposeInt('slot'),
    leaseExpiresAt: t.expose('leaseExpiresAt', { type: 'DateTime' }),
    claimedAt: t.expose('claimedAt', { type: 'DateTime' }),
    submittedAt: t.expose('submittedAt', { type: 'DateTime', nullable: true }),
    activeSeconds: t.exposeInt('activeSeconds'),
    /** The task's id without loading the task (e.g. straight after a claim). */
    taskId: t.exposeID('taskId'),
    task: t.relation('task'),
    /** The newest version (draft or submitted) of the assignee's own label. */
    latestAnnotation: t.prismaField({
      type: 'Annotation',
      nullable: true,
      authScopes: (a, _args, ctx) => a.userId === ctx.user?.id || canSeeWorkOnTask(ctx, a.taskId),
      resolve: (query, a, _args, ctx) => ctx.services.prisma.annotation.findFirst({ ...query, where: { assignmentId: a.id }, orderBy: { version: 'desc' } }),
    }),
  }),
});

builder.prismaObject('Annotation', {
  // Defence in depth for double-blind: whatever path reaches an annotation, this check runs.
  authScopes: (an, ctx) => canSeeAnnotation(ctx, an),
  fields: (t) => ({
    id: t.exposeID('id'),
    version: t.exposeInt('version'),
    data: t.field({
      type: 'JSON',
      // Someone else's label read (an expert, QA, ops): recorded; the author reading their own draft is not.
      resolve: (an, _args, ctx) => {
        if (an.userId !== ctx.user?.id) auditRead(ctx, { action: 'label.read', entityType: 'Annotation', entityId: an.id, data: { taskId: an.taskId, version: an.version } });
        return an.data;
      },
    }),
    submitted: t.exposeBoolean('submitted'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    annotator: t.relation('user'),
  }),
});

builder.prismaObject('Review', {
  fields: (t) => ({
    id: t.exposeID('id'),
    decision: t.exposeString('decision'),
    data: t.field({
      type: 'JSON',
      resolve: (r, _args, ctx) => {
        if (r.reviewerId !== ctx.user?.id) auditRead(ctx, { action: 'review.read', entityType: 'Review', entityId: r.id, data: { taskId: r.taskId } });
        return r.data;
      },
    }),
    comment: t.exposeString('comment'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('QaAudit', {
  fields: (t) => ({
    id: t.exposeID('id'),
    qaRound: t.exposeInt('qaRound'),
    stratum: t.exposeString('stratum'),
    verdict: t.exposeString('verdict', { nullable: true }),
    notes: t.exposeString('notes'),
    auditedAt: t.expose('auditedAt', { type: 'DateTime', nullable: true }),
    task: t.relation('task'),
    batch: t.relation('batch'),
  }),
});

builder.prismaObject('LedgerEntry', {
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind'),
    amountCents: t.exposeInt('amountCents'),
    currency: t.exposeString('currency'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    user: t.relation('user', { nullable: true }),
  }),
});

const Verdict = builder.enumType('QaVerdict', { values: ['PASS', 'FAIL'] as const });

builder.queryFields((t) => ({
  myAssignments: t.withAuth({ authenticated: true }).prismaField({
    type: ['Assignment'],
    args: { active: t.arg.boolean({ required: false }) },
    resolve: (query, _root, args, ctx) =>
      ctx.services.prisma.assignment.findMany({
        ...query,
        where: { userId: ctx.user.id, ...(args.active ? { status: 'ACTIVE' } : {}) },
        orderBy: { claimedAt: 'desc' },
        take: 200,
      }),
  }),
  assignment: t.withAuth({ authenticated: true }).prismaField({
    type: 'Assignment',
    nullable: true,
    errors: {},
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const a = await ctx.services.prisma.assignment.findUnique({ ...query, where: { id: String(args.id) } });
      // Others' assignments look exactly like missing ones.
      if (!a || (a.userId !== ctx.user.id && !(await seesAllWorkOnTask(ctx, a.taskId)))) throw new DomainError('NOT_FOUND', `assignment ${String(args.id)} was not found`);
      return a;
    },
  }),
  task: t.withAuth({ authenticated: true }).prismaField({
    type: 'Task',
    nullable: true,
    errors: {},
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const mine = await ctx.services.prisma.assignment.findFirst({ where: { taskId: id, userId: ctx.user.id }, select: { id: true } });
      if (!mine && !(await hasRoleOn(ctx, 'task', id, SEES_ALL))) throw new DomainError('NOT_FOUND', `task ${id} was not found`);
      return ctx.services.prisma.task.findUnique({ ...query, where: { id } });
    },
  }),
  reviewQueue: t.withAuth({ role: 'EXPERT' }).prismaField({
    type: ['Assignment'],
    resolve: (query, _root, _args, ctx) =>
      ctx.services.prisma.assignment.findMany({ ...query, where: { userId: ctx.user.id, kind: 'REVIEW', status: 'ACTIVE' }, orderBy: { claimedAt: 'asc' } }),
  }),
  auditQueue: t.withAuth({ anyRole: ['QA_AUDITOR', 'ADMIN'] }).prismaField({
    type: ['QaAudit'],
    args: { batchId: t.arg.id({ required: false }) },
    resolve: (query, _root, args, ctx) =>
      ctx.services.prisma.qaAudit.findMany({
        ...query,
        where: {
          verdict: null,
          batch: { stage: 'QA', campaign: visibleCampaigns(ctx.user, ['QA_AUDITOR', 'ADMIN']) },
          ...(args.batchId ? { batchId: String(args.batchId) } : {}),
          task: { assignments: { none: { userId: ctx.user.id } } },
        },
        orderBy: [{ batchId: 'asc' }, { taskId: 'asc' }],
        take: 500,
      }),
  }),
  ledger: t.withAuth({ anyRole: ['FINANCE', 'ADMIN'] }).prismaField({
    type: ['LedgerEntry'],
    args: { campaignId: t.arg.id(), take: t.arg.int({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), ['FINANCE', 'ADMIN']);
      const entries = await ctx.services.prisma.ledgerEntry.findMany({
        ...query,
        where: { campaignId: String(args.campaignId) },
        orderBy: { createdAt: 'desc' },
        take: Math.min(args.take ?? 200, 1000),
      });
      auditRead(ctx, { action: 'ledger.read', entityType: 'Campaign', entityId: String(args.campaignId), data: { entries: entries.length } });
      return entries;
    },
  }),
}));

/** Whether a Pothos prisma query (include or select) asks for nothing beyond the model's own columns. */
export function selectsColumnsOnly(query: { include?: Record<string, unknown>; select?: Record<string, unknown> }): boolean {
  if (query.select) return false;
  return !query.include || Object.keys(query.include).length === 0;
}

builder.mutationFields((t) => ({
  claimNextTask: t.withAuth({ role: 'ANNOTATOR' }).prismaField({
    type: 'Assignment',
    errors: {},
    description: 'Claims a blind slot of the next task your skills match (or returns your active claim).',
    args: { campaignId: t.arg.id({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const claim = await claimNextTask(ctx.services, ctx.user, args.campaignId ? String(args.campaignId) : null);
      // The claim statement returns every column of the assignment: only a selection that reaches into
      // relations (the task, its asset) needs a second query. This is the hot path of every annotator.
      return selectsColumnsOnly(query) ? claim : ctx.services.prisma.assignment.findUniqueOrThrow({ ...query, where: { id: claim.id } });
    },
  }),
  heartbeat: t.withAuth({ authenticated: true }).prismaField({
    type: 'Assignment',
    errors: {},
    description: 'Keeps the claim alive; `active` (interaction since the last beat) decides whether the gap counts as active time.',
    args: {
      assignmentId: t.arg.id(),
      active: t.arg.boolean({ required: true, description: 'Did the person interact (pointer, key, wheel, touch, media playing) since the last beat?' }),
    },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.assignment.findUniqueOrThrow({ ...query, where: { id: await heartbeat(ctx.services, ctx.user, String(args.assignmentId), args.active) } }),
  }),
  saveDraft: t.withAuth({ authenticated: true }).prismaField({
    type: 'Annotation',
    errors: {},
    args: { assignmentId: t.arg.id(), data: t.arg({ type: 'JSON' }) },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.annotation.findUniqueOrThrow({ ...query, where: { id: await saveDraft(ctx.services, ctx.user, String(args.assignmentId), args.data) } }),
  }),
  submitAnnotation: t.withAuth({ authenticated: true }).prismaField({
    type: 'Annotation',
    errors: {},
    args: { assignmentId: t.arg.id(), data: t.arg({ type: 'JSON' }), idempotencyKey: t.arg.string() },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.annotation.findUniqueOrThrow({
        ...query,
        where: { id: await submitAnnotation(ctx.services, ctx.user, { assignmentId: String(args.assignmentId), data: args.data, idempotencyKey: args.idempotencyKey }) },
      }),
  }),
  claimNextReview: t.withAuth({ role: 'EXPERT' }).prismaField({
    type: 'Assignment',
    errors: {},
    resolve: async (query, _root, _args, ctx) => ctx.services.prisma.assignment.findUniqueOrThrow({ ...query, where: { id: await claimNextReview(ctx.services, ctx.user) } }),
  }),
  submitReview: t.withAuth({ role: 'EXPERT' }).prismaField({
    type: 'Review',
    errors: {},
    args: {
      assignmentId: t.arg.id(),
      chosenAnnotationId: t.arg.id({ required: false }),
      correctedData: t.arg({ type: 'JSON', required: false }),
      comment: t.arg.string({ required: false }),
      idempotencyKey: t.arg.string(),
    },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.review.findUniqueOrThrow({
        ...query,
        where: {
          id: await submitReview(ctx.services, ctx.user, {
            assignmentId: String(args.assignmentId),
            chosenAnnotationId: args.chosenAnnotationId ? String(args.chosenAnnotationId) : null,
            correctedData: args.correctedData,
            comment: args.comment ?? null,
            idempotencyKey: args.idempotencyKey,
          }),
        },
      }),
  }),
  submitAuditVerdict: t.withAuth({ role: 'QA_AUDITOR' }).prismaField({
    type: 'QaAudit',
    errors: {},
    args: { auditId: t.arg.id(), verdict: t.arg({ type: Verdict }), notes: t.arg.string({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'qaAudit', String(args.auditId), ['QA_AUDITOR']);
      return ctx.services.prisma.qaAudit.findUniqueOrThrow({
        ...query,
        where: { id: await submitAuditVerdict(ctx.services, ctx.user, { auditId: String(args.auditId), verdict: args.verdict, notes: args.notes ?? null }) },
      });
    },
  }),
}));
