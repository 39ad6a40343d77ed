// Quality of people in GraphQL: a campaign's qualification settings and labelling credential (ops), taking the
// qualification test (annotators, who see reference answers only of finished attempts), and the pilot report of a
// batch (ops and QA).
import { builder } from './builder.ts';
import { NotFoundError } from '../errors.ts';
import {
  answerQualificationItem,
  attemptView,
  batchPilotReport,
  finishQualification,
  myQualification,
  pendingQualifications,
  setCampaignLabelCredential,
  setCampaignQualification,
  startQualification,
  type PilotReportView,
  type QualificationAttemptView,
  type QualificationItemView,
  type QualificationMistake,
  type QualificationStatus,
} from '../services/qualification.ts';
import { MANAGES, requireCampaignRole, requireRoleOn } from '../services/tenancy.ts';
import type { PilotClass, PilotConfusion, PilotPair } from '@suture/workflows/annotation/pilot-report';

const REPORT_READERS = ['ADMIN', 'OPS_MANAGER', 'QA_AUDITOR'] as const;

builder.prismaObjectFields('Campaign', (t) => ({
  labelCredential: t.exposeString('labelCredential', { nullable: true, description: 'Credential (unexpired) an annotator needs to claim labelling work; null: none' }),
  qualificationRequired: t.exposeBoolean('qualificationRequired', { description: 'Annotators claim labelling work only after passing the qualification test' }),
  qualificationSkill: t.relation('qualificationSkill', { nullable: true, description: 'Skill a pass grants (at qualificationLevel, never lowering a level held)' }),
  qualificationLevel: t.exposeInt('qualificationLevel'),
  qualificationPassAccuracy: t.exposeFloat('qualificationPassAccuracy', { description: 'Share (0..1) of items answered right needed to pass' }),
  qualificationMaxAttempts: t.exposeInt('qualificationMaxAttempts'),
}));

builder.prismaObjectFields('Batch', (t) => ({
  pilot: t.exposeBoolean('pilot', { description: 'A pilot batch: its agreement report guides the guidelines before the campaign scales' }),
}));

const QualificationItemRef = builder.objectRef<QualificationItemView>('QualificationItem').implement({
  description: 'One item of a qualification test: the media to label, never its answer.',
  fields: (t) => ({
    goldItemId: t.exposeID('goldItemId'),
    frameIndex: t.exposeInt('frameIndex', { nullable: true }),
    answered: t.exposeBoolean('answered'),
    asset: t.prismaField({
      type: 'Asset',
      resolve: (query, item, _args, ctx) => ctx.services.prisma.asset.findUniqueOrThrow({ ...query, where: { id: item.assetId } }),
    }),
  }),
});

const QualificationMistakeRef = builder.objectRef<QualificationMistake>('QualificationMistake').implement({
  description: 'An item of a finished attempt answered wrong: your answer beside the reference, why, and the guideline section.',
  fields: (t) => ({
    goldItemId: t.exposeID('goldItemId'),
    frameIndex: t.exposeInt('frameIndex', { nullable: true }),
    myAnswer: t.expose('myAnswer', { type: 'JSON' }),
    referenceAnswer: t.expose('referenceAnswer', { type: 'JSON' }),
    score: t.exposeFloat('score', { description: "Agreement of your answer with the reference (the annotation type's metric)" }),
    explanation: t.exposeString('explanation'),
    guidelineSection: t.exposeString('guidelineSection', { nullable: true }),
    asset: t.prismaField({
      type: 'Asset',
      resolve: (query, m, _args, ctx) => ctx.services.prisma.asset.findUniqueOrThrow({ ...query, where: { id: m.assetId } }),
    }),
  }),
});

const QualificationAttemptRef = builder.objectRef<QualificationAttemptView>('QualificationAttempt').implement({
  description: 'One sitting of a qualification test. While it runs: its items; once finished: the score and the mistakes.',
  fields: (t) => ({
    id: t.exposeID('id'),
    campaignId: t.exposeID('campaignId'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    total: t.exposeInt('total'),
    answered: t.exposeInt('answered'),
    correct: t.exposeInt('correct', { nullable: true, description: 'Null until finished' }),
    accuracy: t.exposeFloat('accuracy', { nullable: true, description: 'Null until finished' }),
    passed: t.exposeBoolean('passed', { nullable: true, description: 'Null until finished' }),
    items: t.field({ type: [QualificationItemRef], resolve: (a) => a.items }),
    mistakes: t.field({ type: [QualificationMistakeRef], resolve: (a) => a.mistakes }),
  }),
});

const QualificationStatusRef = builder.objectRef<QualificationStatus>('QualificationStatus').implement({
  description: "Your standing on a campaign's qualification test.",
  fields: (t) => ({
    campaignId: t.exposeID('campaignId'),
    campaignName: t.exposeString('campaignName'),
    required: t.exposeBoolean('required'),
    passed: t.exposeBoolean('passed'),
    passAccuracy: t.exposeFloat('passAccuracy'),
    maxAttempts: t.exposeInt('maxAttempts'),
    attemptsUsed: t.exposeInt('attemptsUsed'),
    attemptsLeft: t.exposeInt('attemptsLeft'),
    itemCount: t.exposeInt('itemCount'),
    current: t.field({ type: QualificationAttemptRef, nullable: true, resolve: (s) => s.current }),
    attempts: t.field({ type: [QualificationAttemptRef], resolve: (s) => s.attempts }),
  }),
});

type Named<T> = T & { names: Map<string, string> };
const PilotPairRef = builder.objectRef<Named<PilotPair>>('PilotPair').implement({
  fields: (t) => ({
    annotatorA: t.exposeID('a'),
    annotatorB: t.exposeID('b'),
    nameA: t.string({ resolve: (p) => p.names.get(p.a) ?? p.a }),
    nameB: t.string({ resolve: (p) => p.names.get(p.b) ?? p.b }),
    tasks: t.exposeInt('tasks', { description: 'Tasks both labelled' }),
    meanAgreement: t.exposeFloat('meanAgreement', { description: "Mean of the annotation type's pairwise agreement over those tasks" }),
    metric: t.exposeString('metric'),
  }),
});
const PilotClassRef = builder.objectRef<PilotClass>('PilotClass').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    pairs: t.exposeInt('pairs', { description: 'Pairs of labels of one task where at least one annotator gave this class' }),
    agreed: t.exposeInt('agreed', { description: 'Of those, pairs where both gave it' }),
    rate: t.exposeFloat('rate', { nullable: true }),
  }),
});
const PilotConfusionRef = builder.objectRef<PilotConfusion>('PilotConfusion').implement({
  fields: (t) => ({
    classA: t.exposeString('a'),
    classB: t.exposeString('b'),
    count: t.exposeInt('count'),
    exampleTaskIds: t.exposeIDList('exampleTaskIds'),
  }),
});
const PilotReportRef = builder.objectRef<PilotReportView>('PilotReport').implement({
  description: "Agreement of a batch's submitted labels: per annotator pair, per class, and the classes annotators confuse.",
  fields: (t) => ({
    batchId: t.exposeID('batchId'),
    pilot: t.exposeBoolean('pilot'),
    geometry: t.exposeString('geometry'),
    tasks: t.exposeInt('tasks', { description: 'Tasks with at least one submitted label' }),
    classSource: t.exposeString('classSource', { description: "'classes': each label's class (majority class of its objects); 'none': the type names no classes" }),
    pairs: t.field({ type: [PilotPairRef], resolve: (r) => r.pairs.map((p) => ({ ...p, names: r.names })) }),
    classes: t.field({ type: [PilotClassRef], resolve: (r) => r.classes }),
    confusions: t.field({ type: [PilotConfusionRef], resolve: (r) => r.confusions }),
  }),
});

/** The caller must annotate the campaign of the attempt (an attempt not theirs reads as not found in the service). */
async function attemptCampaign(ctx: Parameters<typeof requireCampaignRole>[0], attemptId: string): Promise<void> {
  const attempt = /^[0-9a-f-]{36}$/i.test(attemptId)
    ? await ctx.services.prisma.qualificationAttempt.findUnique({ where: { id: attemptId }, select: { campaignId: true, userId: true } })
    : null;
  if (!attempt || attempt.userId !== ctx.user?.id) throw new NotFoundError('qualification attempt');
  await requireCampaignRole(ctx, attempt.campaignId, ['ANNOTATOR']);
}

builder.queryFields((t) => ({
  myQualification: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: QualificationStatusRef,
    errors: {},
    description: "Your standing on the campaign's qualification test: passed or not, attempts left, the attempt under way, and the mistakes of finished attempts.",
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), ['ANNOTATOR']);
      return myQualification(ctx.services, ctx.user, String(args.campaignId));
    },
  }),
  myPendingQualifications: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: [QualificationStatusRef],
    description: 'Active campaigns you annotate whose qualification test you must pass before claiming their work.',
    resolve: (_root, _args, ctx) => pendingQualifications(ctx.services, ctx.user),
  }),
  pilotReport: t.withAuth({ anyRole: [...REPORT_READERS] }).field({
    type: PilotReportRef,
    errors: {},
    description: "Agreement of a batch's submitted labels per annotator pair and per class, and the class confusions; for the campaign's ops and QA.",
    args: { batchId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireRoleOn(ctx, 'batch', String(args.batchId), REPORT_READERS);
      return batchPilotReport(ctx.services, ctx.user, String(args.batchId));
    },
  }),
}));

builder.mutationFields((t) => ({
  setCampaignQualification: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Sets whether labelling needs a passed qualification test, its pass mark (0..1), the attempts allowed and the skill (and level) a pass grants.',
    args: {
      campaignId: t.arg.id(),
      required: t.arg.boolean(),
      skillKey: t.arg.string({ required: false }),
      level: t.arg.int(),
      passAccuracy: t.arg.float(),
      maxAttempts: t.arg.int(),
    },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      const id = await setCampaignQualification(ctx.services, ctx.user, campaignId, {
        required: args.required,
        skillKey: args.skillKey ?? null,
        level: args.level,
        passAccuracy: args.passAccuracy,
        maxAttempts: args.maxAttempts,
      });
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  setCampaignLabelCredential: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Sets the credential (held and unexpired) an annotator needs to claim labelling work; null: none.',
    args: { campaignId: t.arg.id(), kind: t.arg.string({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      const id = await setCampaignLabelCredential(ctx.services, ctx.user, campaignId, args.kind ?? null);
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  startQualification: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: QualificationAttemptRef,
    errors: {},
    description: "Starts (or resumes) your attempt at the campaign's qualification test.",
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), ['ANNOTATOR']);
      return attemptView(ctx.services, ctx.user, await startQualification(ctx.services, ctx.user, String(args.campaignId)));
    },
  }),
  answerQualificationItem: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: QualificationAttemptRef,
    errors: {},
    description: 'Answers one item of your attempt (checked like a label; one answer per item; scored when you finish).',
    args: { attemptId: t.arg.id(), goldItemId: t.arg.id(), data: t.arg({ type: 'JSON' }) },
    resolve: async (_root, args, ctx) => {
      await attemptCampaign(ctx, String(args.attemptId));
      const id = await answerQualificationItem(ctx.services, ctx.user, { attemptId: String(args.attemptId), goldItemId: String(args.goldItemId), data: args.data });
      return attemptView(ctx.services, ctx.user, id);
    },
  }),
  finishQualification: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: QualificationAttemptRef,
    errors: {},
    description: 'Finishes your attempt once every item is answered: the score, pass or fail, and your mistakes.',
    args: { attemptId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await attemptCampaign(ctx, String(args.attemptId));
      return attemptView(ctx.services, ctx.user, await finishQualification(ctx.services, ctx.user, String(args.attemptId)));
    },
  }),
}));
