import { builder } from './builder.ts';
import { auditRead } from '../audit-reads.ts';
import { createCampaign, setCampaignMediaPolicy, setCampaignStatus } from '../services/admin.ts';
import { publishGuidelines } from '../services/guidelines.ts';
import { campaignAccess, hasCampaignRole, MANAGES, requireCampaignRole, setCampaignMember, visibleCampaigns } from '../services/tenancy.ts';
import { RoleEnum } from './user.ts';
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
    budgetCents: t.exposeInt('budgetCents', { authScopes: (c, _args, ctx) => hasCampaignRole(ctx, c.id, ['ADMIN', 'OPS_MANAGER', 'FINANCE']) }),
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
    batches: t.relation('batches', {
      authScopes: (c, _args, ctx) => hasCampaignRole(ctx, c.id, ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR']),
      query: { orderBy: { createdAt: 'desc' } },
    }),
    myRoles: t.field({
      type: [RoleEnum],
      description: 'The roles the caller acts in within this campaign (ADMIN: they administer its organisation).',
      resolve: async (c, _args, ctx) => [...((await campaignAccess(ctx, c.id))?.roles ?? [])],
    }),
    members: t.relation('members', {
      description: 'Who works on the campaign and as what; for its operations managers and admins.',
      authScopes: (c, _args, ctx) => hasCampaignRole(ctx, c.id, MANAGES),
      query: { orderBy: { addedAt: 'asc' } },
    }),
  }),
});

builder.prismaObject('CampaignMember', {
  fields: (t) => ({
    user: t.relation('user'),
    roles: t.field({ type: [RoleEnum], resolve: (m) => m.roles }),
    addedAt: t.expose('addedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('Organization', {
  description: 'A tenant (hospital, research group, labelling vendor): its users and campaigns are invisible to every other.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
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
    qaAudited: t.exposeInt('qaAudited'),
    qaPassLower: t.exposeFloat('qaPassLower', { nullable: true, description: 'Lower end of the 95% Wilson interval of qaPassRate.' }),
    qaPassUpper: t.exposeFloat('qaPassUpper', { nullable: true, description: 'Upper end of the 95% Wilson interval of qaPassRate.' }),
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
const MemberInputRef = builder.inputType('CampaignMemberInput', {
  fields: (t) => ({ userId: t.id(), roles: t.field({ type: [RoleEnum], description: 'Roles in this campaign; each must be one the user holds' }) }),
});
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
    capPerBatch: t.int({ required: false, description: 'At most this many labels per annotator in one batch; empty: no cap' }),
    capSharePerBatch: t.float({ required: false, description: "At most this share (0..1] of a batch's label slots per annotator; empty: no cap" }),
    reviewSlaSeconds: t.int({ required: false, description: 'Seconds a disagreement may wait for an expert before an alert (default a day)' }),
    qaSlaSeconds: t.int({ required: false, description: 'Seconds a sampled task may wait for its QA verdict before an alert (default a day)' }),
    reviewCredential: t.string({ required: false }),
    prelabelModelKey: t.string({ required: false }),
    requiredSkills: t.field({ type: [SkillRequirement], required: false }),
    payRates: t.field({ type: [PayRateInput], required: false }),
    mediaPolicy: t.field({ type: 'JSON', required: false, description: "Default { originals: 'DELETE' }; see Campaign.mediaPolicy" }),
    members: t.field({ type: [MemberInputRef], required: false, description: 'Who works on it and as what; the creator manages it' }),
  }),
});

builder.queryFields((t) => ({
  campaigns: t.withAuth({ authenticated: true }).prismaField({
    type: ['Campaign'],
    description: 'The campaigns the caller works on (all of their organisation for an admin); drafts only for their managers.',
    resolve: (query, _root, _args, ctx) => ctx.services.prisma.campaign.findMany({ ...query, where: visibleCampaigns(ctx.user), orderBy: { createdAt: 'desc' } }),
  }),
  campaign: t.withAuth({ authenticated: true }).prismaField({
    type: 'Campaign',
    nullable: true,
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) =>
      (await campaignAccess(ctx, String(args.id))) ? ctx.services.prisma.campaign.findUnique({ ...query, where: { id: String(args.id) } }) : null,
  }),
  annotatorMetrics: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] }).field({
    type: [AnnotatorMetricsRef],
    errors: { directResult: false },
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR']);
      return annotatorMetrics(ctx.services, String(args.campaignId));
    },
  }),
  campaignAgreement: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] }).field({
    type: CampaignAgreementRef,
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR']);
      return campaignAgreement(ctx.services, String(args.campaignId));
    },
  }),
  costReport: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE'] }).field({
    type: CostReportRef,
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), ['ADMIN', 'OPS_MANAGER', 'FINANCE']);
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
    resolve: async (query, _root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.id), MANAGES);
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: await setCampaignStatus(ctx.services, ctx.user, String(args.id), args.status) } });
    },
  }),
  setCampaignMediaPolicy: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Sets what ingest does with the originals and proxies of assets ingested from now on.',
    args: { campaignId: t.arg.id(), policy: t.arg({ type: 'JSON' }) },
    resolve: async (query, _root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), MANAGES);
      return ctx.services.prisma.campaign.findUniqueOrThrow({
        ...query,
        where: { id: await setCampaignMediaPolicy(ctx.services, ctx.user, String(args.campaignId), args.policy) },
      });
    },
  }),
  updateGuidelines: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Publishes the next guidelines version (as publishGuidelines; kept for existing callers). A changelog is required from version 2 on.',
    args: { id: t.arg.id(), guidelines: t.arg.string(), changelog: t.arg.string({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.id);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      await publishGuidelines(ctx.services, ctx.user, { campaignId, body: args.guidelines, changelog: args.changelog ?? null });
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: campaignId } });
    },
  }),
  setCampaignMember: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: "Sets a person's roles in a campaign (an empty list removes them). They must be of the campaign's organisation and hold each role.",
    args: { campaignId: t.arg.id(), userId: t.arg.id(), roles: t.arg({ type: [RoleEnum] }) },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      await setCampaignMember(ctx.services, ctx.user, campaignId, { userId: String(args.userId), roles: [...args.roles] });
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: campaignId } });
    },
  }),
}));
