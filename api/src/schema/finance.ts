// Finance in GraphQL: dated pay rates, campaign budgets, the finance read model and payout runs (services/finance.ts).
import { builder } from './builder.ts';
import { auditRead } from '../audit-reads.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import {
  approvePayoutRun,
  campaignFinance,
  createPayoutRun,
  payoutRunCsv,
  setCampaignBudget,
  setCampaignQualityBonus,
  setPayRate,
  type AnnotatorPay,
  type CampaignFinance,
  type CostComponent,
} from '../services/finance.ts';
import { requireCampaignRole } from '../services/tenancy.ts';

/** Who sets a campaign's rates (as they set them when creating it) and who sees its money. */
const SETS_CAMPAIGN_RATES = ['ADMIN', 'OPS_MANAGER', 'FINANCE'] as const;
const FINANCE_ROLES = ['ADMIN', 'FINANCE'] as const;

const PayUnitEnum = builder.enumType('PayUnit', {
  description: 'What one rate amount pays for: a task, an hour of active time, an object of the label, a minute of video.',
  values: ['TASK', 'HOUR', 'OBJECT', 'VIDEO_MINUTE'] as const,
});
const PayableWorkKind = builder.enumType('PayableWorkKind', { values: ['LABEL', 'REVIEW', 'AUDIT', 'REWORK'] as const });
const BudgetStatusEnum = builder.enumType('BudgetStatus', { values: ['NO_BUDGET', 'OK', 'ALERT', 'BLOCKED'] as const });
const CostComponentEnum = builder.enumType('CostComponent', {
  description: 'A part of the cost per accepted label; REDUNDANCY is every label of a task beyond its first, BONUS the quality bonuses paid.',
  values: ['LABEL', 'REDUNDANCY', 'REVIEW', 'AUDIT', 'REWORK', 'COMPUTE', 'BONUS'] as const satisfies readonly CostComponent[],
});
const PayoutStatusEnum = builder.enumType('PayoutStatus', { values: ['DRAFT', 'APPROVED'] as const });

builder.prismaObject('PayRate', {
  description: 'A dated rate: in force from effectiveFrom until a later rate of the same scope and kind.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind'),
    unit: t.field({ type: PayUnitEnum, resolve: (r) => r.unit }),
    amountCents: t.exposeInt('amountCents'),
    currency: t.exposeString('currency'),
    effectiveFrom: t.expose('effectiveFrom', { type: 'DateTime' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    user: t.relation('user', { nullable: true }),
  }),
});

builder.prismaObject('PayoutRun', {
  fields: (t) => ({
    id: t.exposeID('id'),
    currency: t.exposeString('currency'),
    cutoff: t.expose('cutoff', { type: 'DateTime' }),
    status: t.field({ type: PayoutStatusEnum, resolve: (r) => r.status }),
    totalCents: t.exposeInt('totalCents'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    createdById: t.exposeID('createdById', { nullable: true }),
    approvedById: t.exposeID('approvedById', { nullable: true }),
    approvedAt: t.expose('approvedAt', { type: 'DateTime', nullable: true }),
    lines: t.relation('lines', { query: { orderBy: [{ user: { name: 'asc' } }, { userId: 'asc' }] } }),
  }),
});

builder.prismaObject('PayoutLine', {
  fields: (t) => ({
    userId: t.exposeID('userId'),
    name: t.string({ select: { user: { select: { name: true } } }, resolve: (l) => l.user.name }),
    amountCents: t.exposeInt('amountCents'),
    entries: t.exposeInt('entries'),
  }),
});

const CostPart = builder.objectRef<CampaignFinance['costPerAcceptedLabel'][number]>('CostPart').implement({
  fields: (t) => ({
    component: t.field({ type: CostComponentEnum, resolve: (p) => p.component }),
    cents: t.exposeInt('cents'),
    entries: t.exposeInt('entries'),
    perAcceptedLabelCents: t.exposeFloat('perAcceptedLabelCents', { nullable: true }),
  }),
});

const DailySpend = builder.objectRef<CampaignFinance['daily'][number]>('DailySpend').implement({
  fields: (t) => ({ day: t.exposeString('day', { description: 'UTC day, YYYY-MM-DD' }), cents: t.exposeInt('cents') }),
});

const AnnotatorPayRef = builder.objectRef<AnnotatorPay>('AnnotatorPay').implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    name: t.exposeString('name'),
    entries: t.exposeInt('entries'),
    amountCents: t.exposeInt('amountCents'),
    activeHours: t.exposeFloat('activeHours'),
    acceptedLabels: t.exposeInt('acceptedLabels'),
    labelsPerHour: t.exposeFloat('labelsPerHour', { nullable: true, description: 'Accepted labels per active hour; null under a minute of active time.' }),
  }),
});

const CampaignFinanceRef = builder.objectRef<CampaignFinance>('CampaignFinance').implement({
  description: "A campaign's spend against its budget, its burn rate and forecast, and what each accepted label cost.",
  fields: (t) => ({
    campaignId: t.exposeID('campaignId'),
    currency: t.exposeString('currency'),
    spentCents: t.exposeInt('spentCents'),
    budgetCents: t.exposeInt('budgetCents'),
    alertPercent: t.exposeInt('alertPercent'),
    alertThresholdCents: t.exposeInt('alertThresholdCents', { nullable: true }),
    status: t.field({ type: BudgetStatusEnum, resolve: (f) => f.status }),
    alertedAt: t.expose('alertedAt', { type: 'DateTime', nullable: true }),
    blockedAt: t.expose('blockedAt', { type: 'DateTime', nullable: true }),
    burnRatePerDayCents: t.exposeFloat('burnRatePerDayCents', { description: 'Mean spend per day over the last 7 days' }),
    forecastDaysToBudget: t.exposeFloat('forecastDaysToBudget', { nullable: true, description: 'Days until the budget is reached at the burn rate (0: reached)' }),
    daily: t.field({ type: [DailySpend], resolve: (f) => f.daily }),
    acceptedLabels: t.exposeInt('acceptedLabels'),
    costPerAcceptedLabelCents: t.exposeFloat('costPerAcceptedLabelCents', { nullable: true }),
    costPerAcceptedLabel: t.field({ type: [CostPart], resolve: (f) => f.costPerAcceptedLabel }),
    annotators: t.field({ type: [AnnotatorPayRef], resolve: (f) => f.annotators }),
    qualityBonusPercent: t.exposeInt('qualityBonusPercent', { nullable: true, description: 'Percent of labelling pay added as a bonus in payout runs; null: no bonus' }),
    qualityBonusMinAccuracy: t.exposeFloat('qualityBonusMinAccuracy', { description: 'Gold accuracy (0..1) a person needs on the campaign to earn the bonus' }),
  }),
});

const PayoutCsv = builder.objectRef<{ runId: string; csv: string; lines: number }>('PayoutCsv').implement({
  fields: (t) => ({ runId: t.exposeID('runId'), csv: t.exposeString('csv'), lines: t.exposeInt('lines') }),
});

const SetPayRateInput = builder.inputType('SetPayRateInput', {
  fields: (t) => ({
    campaignId: t.id({ required: false, description: 'The campaign the rate is for; without it, the person’s own rate' }),
    userId: t.id({ required: false, description: 'The person the rate is for; with campaignId, it beats the campaign’s rate for them' }),
    kind: t.field({ type: PayableWorkKind }),
    unit: t.field({ type: PayUnitEnum, required: false }),
    amountCents: t.int(),
    currency: t.string({ required: false }),
    effectiveFrom: t.field({ type: 'DateTime', required: false, description: 'Default now; never in the past' }),
  }),
});

function hasOrgRole(roles: readonly string[], wanted: readonly string[]): boolean {
  return wanted.some((r) => roles.includes(r));
}

builder.queryFields((t) => ({
  campaignFinance: t.withAuth({ anyRole: [...FINANCE_ROLES] }).field({
    type: CampaignFinanceRef,
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, FINANCE_ROLES);
      const finance = await campaignFinance(ctx.services, campaignId);
      auditRead(ctx, { action: 'ledger.read', entityType: 'Campaign', entityId: campaignId, data: { report: 'finance' } });
      return finance;
    },
  }),
  payRates: t.withAuth({ anyRole: [...SETS_CAMPAIGN_RATES] }).prismaField({
    type: ['PayRate'],
    description: "A campaign's rates, every dated version, newest first (the person-specific ones with their person).",
    args: { campaignId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, SETS_CAMPAIGN_RATES);
      return ctx.services.prisma.payRate.findMany({ ...query, where: { campaignId }, orderBy: [{ effectiveFrom: 'desc' }, { createdAt: 'desc' }], take: 1000 });
    },
  }),
  payoutRuns: t.withAuth({ anyRole: [...FINANCE_ROLES] }).prismaField({
    type: ['PayoutRun'],
    description: "The organisation's payout runs, newest first.",
    args: { take: t.arg.int({ required: false }) },
    resolve: (query, _root, args, ctx) =>
      ctx.services.prisma.payoutRun.findMany({
        ...query,
        where: { organizationId: ctx.user.organizationId },
        orderBy: { createdAt: 'desc' },
        take: Math.min(Math.max(args.take ?? 50, 1), 500),
      }),
  }),
  payoutCsv: t.withAuth({ anyRole: [...FINANCE_ROLES] }).field({
    type: PayoutCsv,
    errors: {},
    description: 'A payout run as CSV (user id, name, email, entries, amount, currency) for the payroll system.',
    args: { runId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const runId = String(args.runId);
      const { csv, lines } = await payoutRunCsv(ctx.services, ctx.user, runId);
      auditRead(ctx, { action: 'payout.exported', entityType: 'PayoutRun', entityId: runId, data: { lines } });
      return { runId, csv, lines };
    },
  }),
}));

builder.mutationFields((t) => ({
  setPayRate: t.withAuth({ anyRole: [...SETS_CAMPAIGN_RATES] }).prismaField({
    type: 'PayRate',
    errors: {},
    description: 'Adds a dated rate (campaign, person in a campaign, or a person’s own); entries already earned keep their price.',
    args: { input: t.arg({ type: SetPayRateInput }) },
    resolve: async (query, _root, args, ctx) => {
      const { input } = args;
      if (input.campaignId) await requireCampaignRole(ctx, String(input.campaignId), SETS_CAMPAIGN_RATES);
      else if (!hasOrgRole(ctx.user.roles, FINANCE_ROLES)) throw new ForbiddenError('a person’s own rate is set by finance or an admin');
      const id = await setPayRate(ctx.services, ctx.user, {
        campaignId: input.campaignId ? String(input.campaignId) : null,
        userId: input.userId ? String(input.userId) : null,
        kind: input.kind,
        unit: input.unit ?? 'TASK',
        amountCents: input.amountCents,
        currency: input.currency ?? null,
        effectiveFrom: input.effectiveFrom ?? null,
      });
      return ctx.services.prisma.payRate.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  setCampaignBudget: t.withAuth({ anyRole: [...FINANCE_ROLES] }).field({
    type: CampaignFinanceRef,
    errors: {},
    description: 'Sets the budget (0 = none; above 0 a hard cap on labelling claims) and the alert threshold in percent. Raising it above the spend reopens claims.',
    args: { campaignId: t.arg.id(), budgetCents: t.arg.int(), alertPercent: t.arg.int({ required: false }) },
    resolve: async (_root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, FINANCE_ROLES);
      const current = await ctx.services.prisma.campaign.findUnique({ where: { id: campaignId }, select: { budgetAlertPercent: true } });
      if (!current) throw new NotFoundError('campaign');
      await setCampaignBudget(ctx.services, ctx.user, campaignId, { budgetCents: args.budgetCents, alertPercent: args.alertPercent ?? current.budgetAlertPercent });
      return campaignFinance(ctx.services, campaignId);
    },
  }),
  setCampaignQualityBonus: t.withAuth({ anyRole: [...FINANCE_ROLES] }).field({
    type: CampaignFinanceRef,
    errors: {},
    description:
      'Sets the quality bonus (percent of a person’s labelling pay in each payout run, null for none) and the gold accuracy that earns it; people without enough gold answers earn none.',
    args: { campaignId: t.arg.id(), percent: t.arg.int({ required: false }), minAccuracy: t.arg.float() },
    resolve: async (_root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, FINANCE_ROLES);
      await setCampaignQualityBonus(ctx.services, ctx.user, campaignId, { percent: args.percent ?? null, minAccuracy: args.minAccuracy });
      return campaignFinance(ctx.services, campaignId);
    },
  }),
  createPayoutRun: t.withAuth({ anyRole: [...FINANCE_ROLES] }).prismaField({
    type: 'PayoutRun',
    errors: {},
    description: "Pays every unpaid ledger entry of the organisation's campaigns in a currency made before the cutoff (default now), summed per person.",
    args: { currency: t.arg.string(), cutoff: t.arg({ type: 'DateTime', required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await createPayoutRun(ctx.services, ctx.user, { currency: args.currency, cutoff: args.cutoff ?? null });
      return ctx.services.prisma.payoutRun.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  approvePayoutRun: t.withAuth({ anyRole: [...FINANCE_ROLES] }).prismaField({
    type: 'PayoutRun',
    errors: {},
    description: 'Approves a draft run; a second person (not its creator, not paid by it) approves.',
    args: { runId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const id = await approvePayoutRun(ctx.services, ctx.user, String(args.runId));
      return ctx.services.prisma.payoutRun.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));
