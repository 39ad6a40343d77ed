import { builder } from './builder.ts';
import { auditRead } from '../audit-reads.ts';
import { createCampaign, setCampaignMediaPolicy, setCampaignStatus, updateGuidelines } from '../services/admin.ts';
import { annotatorMetrics, campaignAgreement, costReport, type AnnotatorMetrics, type CampaignAgreement, type CostReport } from '../services/metrics.ts';

const CampaignStatusEnum = builder.enumType('CampaignStatus', { values: ['DRAFT', 'ACTIVE', 'PAUSED', 'CLOSED'] as const });

builder.prismaObject('Campaign', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    status: t.field({ type: CampaignStatusEnum, resolve: (c) => c.status }),
    labelSchema: t.expose('labelSchema', { type: 'JSON' }),
    guidelines: t.exposeString('guidelines'),
    guidelinesVersion: t.exposeInt('guidelinesVersion'),
    overlap: t.exposeInt('overlap'),
    agreementThreshold: t.exposeFloat('agreementThreshold'),
    qaSettings: t.expose('qaSettings', { type: 'JSON' }),
    budgetCents: t.exposeInt('budgetCents', { authScopes: { anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE'] } }),
    claimSlaSeconds: t.exposeInt('claimSlaSeconds'),
    reviewCredential: t.exposeString('reviewCredential', { nullable: true }),
    hasPrelabelModel: t.boolean({ resolve: (c) => c.prelabelModelKey !== null }),
    mediaPolicy: t.expose('mediaPolicy', {
      type: 'JSON',
      description:
        "What ingest does with originals and proxies: { originals: 'DELETE' | 'RETAIN_ENCRYPTED', sse?: 'AES256' | 'aws:kms', normalizeBrightness?: boolean | { brightness?, contrast? } }",
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    requiredSkills: t.relation('skills'),
    batches: t.relation('batches', { authScopes: { anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] }, query: { orderBy: { createdAt: 'desc' } } }),
  }),
});

builder.prismaObject('CampaignSkill', {
  fields: (t) => ({
    minLevel: t.exposeInt('minLevel'),
    skill: t.relation('skill'),
  }),
});

const AnnotatorMetricsRef = builder.objectRef<AnnotatorMetrics>('AnnotatorMetrics').implement({
  description: 'Per-annotator figures; definitions in README.md (Metric definitions).',
  fields: (t) => ({
    userId: t.exposeID('userId'),
    name: t.exposeString('name'),
    labelsSubmitted: t.exposeInt('labelsSubmitted'),
    acceptedLabels: t.exposeInt('acceptedLabels'),
    activeHours: t.exposeFloat('activeHours'),
    throughputPerHour: t.exposeFloat('throughputPerHour', { nullable: true }),
    throughputPerDay: t.exposeFloat('throughputPerDay', { nullable: true }),
    secondsPerTask: t.exposeFloat('secondsPerTask', { nullable: true }),
    costCents: t.exposeInt('costCents'),
    costPerAcceptedLabelCents: t.exposeFloat('costPerAcceptedLabelCents', { nullable: true }),
    agreementWithConsensus: t.exposeFloat('agreementWithConsensus', { nullable: true }),
    agreementWithPeers: t.exposeFloat('agreementWithPeers', { nullable: true }),
    kappaWithPeers: t.exposeFloat('kappaWithPeers', {
      nullable: true,
      description: "Cohen's kappa with each peer on shared tasks, weighted by shared tasks (classification campaigns)",
    }),
    qaPassRate: t.exposeFloat('qaPassRate', { nullable: true }),
  }),
});

const CampaignAgreementRef = builder.objectRef<CampaignAgreement>('CampaignAgreement').implement({
  fields: (t) => ({
    krippendorffAlpha: t.exposeFloat('krippendorffAlpha', { nullable: true }),
    meanAgreement: t.exposeFloat('meanAgreement', { nullable: true, description: "Mean pairwise agreement over tasks, in the annotation type's metric." }),
    metric: t.exposeString('metric', { nullable: true }),
    labels: t.exposeInt('labels'),
    tasks: t.exposeInt('tasks'),
  }),
});

const CostLine = builder.objectRef<CostReport['byKind'][number]>('CostLine').implement({
  fields: (t) => ({ kind: t.exposeString('kind'), cents: t.exposeInt('cents'), entries: t.exposeInt('entries') }),
});

const CostReportRef = builder.objectRef<CostReport>('CostReport').implement({
  fields: (t) => ({
    totalCents: t.exposeInt('totalCents'),
    byKind: t.field({ type: [CostLine], resolve: (r) => r.byKind }),
    acceptedLabels: t.exposeInt('acceptedLabels'),
    costPerAcceptedLabelCents: t.exposeFloat('costPerAcceptedLabelCents', { nullable: true }),
    budgetCents: t.exposeInt('budgetCents'),
  }),
});

const SkillRequirement = builder.inputType('SkillRequirementInput', { fields: (t) => ({ key: t.string(), minLevel: t.int() }) });
const PayRateInput = builder.inputType('PayRateInput', { fields: (t) => ({ kind: t.string(), amountCents: t.int() }) });
const CreateCampaignInput = builder.inputType('CreateCampaignInput', {
  fields: (t) => ({
    name: t.string(),
    description: t.string({ required: false }),
    labelSchema: t.field({ type: 'JSON' }),
    guidelines: t.string({ required: false }),
    overlap: t.int(),
    agreementThreshold: t.float(),
    qaSettings: t.field({ type: 'JSON', required: false }),
    budgetCents: t.int({ required: false }),
    claimSlaSeconds: t.int({ required: false }),
    reviewCredential: t.string({ required: false }),
    prelabelModelKey: t.string({ required: false }),
    requiredSkills: t.field({ type: [SkillRequirement], required: false }),
    payRates: t.field({ type: [PayRateInput], required: false }),
    mediaPolicy: t.field({ type: 'JSON', required: false, description: "Default { originals: 'DELETE' }; see Campaign.mediaPolicy" }),
  }),
});

builder.queryFields((t) => ({
  campaigns: t.withAuth({ authenticated: true }).prismaField({
    type: ['Campaign'],
    resolve: (query, _root, _args, ctx) => ctx.services.prisma.campaign.findMany({ ...query, orderBy: { createdAt: 'desc' } }),
  }),
  campaign: t.withAuth({ authenticated: true }).prismaField({
    type: 'Campaign',
    nullable: true,
    args: { id: t.arg.id() },
    resolve: (query, _root, args, ctx) => ctx.services.prisma.campaign.findUnique({ ...query, where: { id: String(args.id) } }),
  }),
  annotatorMetrics: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] }).field({
    type: [AnnotatorMetricsRef],
    errors: { directResult: false },
    args: { campaignId: t.arg.id() },
    resolve: (_root, args, ctx) => annotatorMetrics(ctx.services, String(args.campaignId)),
  }),
  campaignAgreement: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] }).field({
    type: CampaignAgreementRef,
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: (_root, args, ctx) => campaignAgreement(ctx.services, String(args.campaignId)),
  }),
  costReport: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE'] }).field({
    type: CostReportRef,
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const report = await costReport(ctx.services, String(args.campaignId));
      auditRead(ctx, { action: 'ledger.read', entityType: 'Campaign', entityId: String(args.campaignId), data: { report: 'cost' } });
      return report;
    },
  }),
}));

builder.mutationFields((t) => ({
  createCampaign: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Campaign',
    errors: {},
    args: { input: t.arg({ type: CreateCampaignInput }) },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: await createCampaign(ctx.services, ctx.user, args.input) } }),
  }),
  setCampaignStatus: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Campaign',
    errors: {},
    args: { id: t.arg.id(), status: t.arg({ type: CampaignStatusEnum }) },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: await setCampaignStatus(ctx.services, ctx.user, String(args.id), args.status) } }),
  }),
  setCampaignMediaPolicy: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Sets what ingest does with the originals and proxies of assets ingested from now on.',
    args: { campaignId: t.arg.id(), policy: t.arg({ type: 'JSON' }) },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: await setCampaignMediaPolicy(ctx.services, ctx.user, String(args.campaignId), args.policy) } }),
  }),
  updateGuidelines: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Campaign',
    errors: {},
    args: { id: t.arg.id(), guidelines: t.arg.string() },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: await updateGuidelines(ctx.services, ctx.user, String(args.id), args.guidelines) } }),
  }),
}));
