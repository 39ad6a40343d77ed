// Analytics in GraphQL: experts' reviews and campaign/batch progress for ops, QA and admins; an annotator's own numbers.
import { builder } from './builder.ts';
import { expertMetrics, myDashboard, progress, type DayValue, type DiversityDimension, type ExpertMetrics, type MyDashboard, type Progress } from '../services/analytics.ts';
import type { Eta, StageQueue } from '../services/forecast.ts';
import { requireCampaignRole } from '../services/tenancy.ts';
import { NotFoundError } from '../errors.ts';

const READERS = ['ADMIN', 'OPS_MANAGER', 'QA_AUDITOR'] as const;

const SidedWithRef = builder.objectRef<ExpertMetrics['sidedWith'][number]>('ExpertSidedWith').implement({
  fields: (t) => ({ annotatorName: t.exposeString('annotatorName'), accepted: t.exposeInt('accepted') }),
});

const ExpertMetricsRef = builder.objectRef<ExpertMetrics>('ExpertMetrics').implement({
  description: "An expert's reviews in a campaign: how many, how often corrected, how long, and whose label they accepted.",
  fields: (t) => ({
    userId: t.exposeID('userId'),
    name: t.exposeString('name'),
    reviews: t.exposeInt('reviews'),
    corrected: t.exposeInt('corrected'),
    overrideRate: t.exposeFloat('overrideRate', { nullable: true, description: 'CORRECTED share of reviews.' }),
    medianReviewSeconds: t.exposeFloat('medianReviewSeconds', { nullable: true }),
    sidedWith: t.field({ type: [SidedWithRef], resolve: (e) => e.sidedWith }),
  }),
});

const DayValueRef = builder.objectRef<DayValue>('DayValue').implement({
  fields: (t) => ({ day: t.exposeString('day', { description: 'UTC day, YYYY-MM-DD.' }), value: t.exposeFloat('value', { nullable: true }) }),
});

const EtaRef = builder.objectRef<Eta>('ProgressEta').implement({
  description: 'Days to accept the remaining tasks at the mean rate of the last 14 days, with a 95% range (normal approximation of the daily mean).',
  fields: (t) => ({
    perDay: t.exposeFloat('perDay'),
    days: t.exposeFloat('days', { nullable: true }),
    fastDays: t.exposeFloat('fastDays', { nullable: true }),
    slowDays: t.exposeFloat('slowDays', { nullable: true }),
  }),
});

const StageQueueRef = builder.objectRef<StageQueue>('StageQueue').implement({
  fields: (t) => ({
    stage: t.exposeString('stage', { description: 'LABELING, REVIEW or QA.' }),
    depth: t.exposeInt('depth'),
    medianWaitSeconds: t.exposeFloat('medianWaitSeconds', { nullable: true }),
  }),
});

const StatusCountRef = builder.objectRef<Progress['tasksByStatus'][number]>('TaskStatusCount').implement({
  fields: (t) => ({ status: t.exposeString('status'), tasks: t.exposeInt('tasks') }),
});

const DiversityCountRef = builder.objectRef<DiversityDimension['counts'][number]>('DiversityCount').implement({
  fields: (t) => ({ value: t.exposeString('value'), tasks: t.exposeInt('tasks') }),
});

const DiversityRef = builder.objectRef<DiversityDimension>('DiversityDimension').implement({
  fields: (t) => ({
    dimension: t.exposeString('dimension'),
    available: t.exposeBoolean('available', { description: 'False: the de-identified metadata keeps nothing for this dimension.' }),
    counts: t.field({ type: [DiversityCountRef], resolve: (d) => d.counts }),
  }),
});

const ProgressRef = builder.objectRef<Progress>('Progress').implement({
  fields: (t) => ({
    tasksByStatus: t.field({ type: [StatusCountRef], resolve: (p) => p.tasksByStatus }),
    labelsDone: t.exposeInt('labelsDone'),
    labelsNeeded: t.exposeInt('labelsNeeded'),
    remainingTasks: t.exposeInt('remainingTasks'),
    burnDown: t.field({ type: [DayValueRef], resolve: (p) => p.burnDown }),
    eta: t.field({ type: EtaRef, resolve: (p) => p.eta }),
    stages: t.field({ type: [StageQueueRef], resolve: (p) => p.stages }),
    bottleneck: t.exposeString('bottleneck', { nullable: true }),
    agreementByDay: t.field({ type: [DayValueRef], resolve: (p) => p.agreementByDay }),
    diversity: t.field({ type: [DiversityRef], resolve: (p) => p.diversity }),
  }),
});

const RateIntervalRef = builder.objectRef<{ estimate: number; lower: number | null; upper: number | null }>('RateInterval').implement({
  fields: (t) => ({ estimate: t.exposeFloat('estimate'), lower: t.exposeFloat('lower', { nullable: true }), upper: t.exposeFloat('upper', { nullable: true }) }),
});

const WeekCentsRef = builder.objectRef<MyDashboard['earningsByWeek'][number]>('WeekEarnings').implement({
  fields: (t) => ({ week: t.exposeString('week', { description: 'Monday of the week, YYYY-MM-DD.' }), cents: t.exposeInt('cents') }),
});

const MyDashboardRef = builder.objectRef<MyDashboard>('MyDashboard').implement({
  fields: (t) => ({
    labels: t.exposeInt('labels'),
    accepted: t.exposeInt('accepted'),
    activeHours: t.exposeFloat('activeHours'),
    secondsPerTask: t.exposeFloat('secondsPerTask', { nullable: true }),
    agreementWithConsensus: t.exposeFloat('agreementWithConsensus', { nullable: true }),
    goldAccuracy: t.field({
      type: RateIntervalRef,
      nullable: true,
      description: 'Your gold accuracy over answers at least a day old, with its Wilson interval.',
      resolve: (d) => (d.gold && d.gold.accuracy !== null ? { estimate: d.gold.accuracy, lower: d.gold.lower, upper: d.gold.upper } : null),
    }),
    goldAnswered: t.int({ resolve: (d) => d.gold?.answered ?? 0 }),
    qaPassed: t.exposeInt('qaPassed'),
    qaAudited: t.exposeInt('qaAudited'),
    qaPassRate: t.field({ type: RateIntervalRef, nullable: true, description: 'QA pass rate with a 95% Wilson interval.', resolve: (d) => d.qaPassRate }),
    earningsByWeek: t.field({ type: [WeekCentsRef], resolve: (d) => d.earningsByWeek }),
    labelsByDay: t.field({ type: [DayValueRef], resolve: (d) => d.labelsByDay }),
  }),
});

builder.queryFields((t) => ({
  expertMetrics: t.withAuth({ anyRole: [...READERS] }).field({
    type: [ExpertMetricsRef],
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), READERS);
      return expertMetrics(ctx.services, String(args.campaignId));
    },
  }),
  campaignProgress: t.withAuth({ anyRole: [...READERS] }).field({
    type: ProgressRef,
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), READERS);
      return progress(ctx.services, { campaignId: String(args.campaignId) });
    },
  }),
  batchProgress: t.withAuth({ anyRole: [...READERS] }).field({
    type: ProgressRef,
    errors: {},
    args: { batchId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const batch = await ctx.services.prisma.batch.findUnique({ where: { id: String(args.batchId) }, select: { campaignId: true } });
      if (!batch) throw new NotFoundError('batch');
      await requireCampaignRole(ctx, batch.campaignId, READERS);
      return progress(ctx.services, { batchId: String(args.batchId) });
    },
  }),
  myDashboard: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: MyDashboardRef,
    errors: {},
    description: 'Your own numbers: labels, accepted, active time, agreement, gold and QA with intervals, earnings, labels per day.',
    args: { campaignId: t.arg.id({ required: false }) },
    resolve: async (_root, args, ctx) => {
      if (args.campaignId) await requireCampaignRole(ctx, String(args.campaignId), ['ANNOTATOR']);
      return myDashboard(ctx.services, ctx.user, args.campaignId ? String(args.campaignId) : null);
    },
  }),
}));
