// Finance: dated pay rates, campaign budgets (alert and hard cap), the finance read model (spend, burn rate,
// forecast, cost per accepted label by component, per annotator) and payout runs with their CSV export.
//
// Rules:
//   - A rate change adds a rate effective from now (or a later date); it is never backdated, so entries already
//     earned keep their price. The ledger prices each event by the rate in force at its time (services/ledger.ts).
//   - A budget above 0 is a hard cap: reaching it blocks labelling claims (Campaign.budgetBlockedAt) until finance
//     raises it above the spend. Spend counts the ledger in the campaign's currency.
//   - A payout run pays every unpaid ledger entry of the organisation's campaigns in one currency created before its
//     cutoff, each at most once (PayoutItem's primary key), summed per person. A second person approves it (the
//     four-eyes rule: the creator cannot approve their own run, nor can anyone paid by it).
import { z } from 'zod';
import type { PayUnit, Prisma } from '@suture/db';
import { appendAudit } from '@suture/workflows/services/audit-log';
import { campaignSpendCents, enforceBudget, thresholdCents } from '@suture/workflows/services/ledger';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { MIN_RATE_ACTIVE_SECONDS } from './metrics.ts';
import { payoutCsv, type PayoutCsvLine } from './payout-csv.ts';

/** How far back the burn rate looks, in days. */
export const BURN_DAYS = 7;
/** Days of spend the trend chart shows. */
export const TREND_DAYS = 30;
/** A rate dated this far in the past is refused as a backdated change (clock skew between browser and server). */
const BACKDATE_TOLERANCE_MS = 60_000;

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidInputError(
    `invalid ${what}`,
    result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  );
}

const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'a currency is an ISO 4217 code such as USD');

/** Units each kind of work can be measured in: an audit has no assignment of its own, so no active time. */
const UNITS_BY_KIND: Record<'LABEL' | 'REVIEW' | 'AUDIT' | 'REWORK', readonly PayUnit[]> = {
  LABEL: ['TASK', 'HOUR', 'OBJECT', 'VIDEO_MINUTE'],
  REWORK: ['TASK', 'HOUR', 'OBJECT', 'VIDEO_MINUTE'],
  REVIEW: ['TASK', 'HOUR', 'OBJECT', 'VIDEO_MINUTE'],
  AUDIT: ['TASK', 'OBJECT', 'VIDEO_MINUTE'],
};

const payRateSchema = z
  .object({
    campaignId: z.uuid('campaignId is not an id').nullish(),
    userId: z.uuid('userId is not an id').nullish(),
    kind: z.enum(['LABEL', 'REVIEW', 'AUDIT', 'REWORK']),
    unit: z.enum(['TASK', 'HOUR', 'OBJECT', 'VIDEO_MINUTE']).default('TASK'),
    amountCents: z.number().int('amountCents is whole cents').min(0).max(10_000_000),
    currency: currencySchema.nullish(),
    effectiveFrom: z.date().nullish(),
  })
  .refine((r) => r.campaignId || r.userId, { message: 'a rate is for a campaign, a person, or a person in a campaign: give campaignId, userId or both' })
  .refine((r) => UNITS_BY_KIND[r.kind].includes(r.unit), { message: 'an AUDIT rate cannot be per HOUR (audits record no active time)', path: ['unit'] });
export type PayRateInput = z.input<typeof payRateSchema>;

/**
 * Adds a dated rate. The caller's right to set it was checked by the resolver (campaign rates: ADMIN, OPS_MANAGER or
 * FINANCE of the campaign; a person's own rate: ADMIN or FINANCE of the organisation). Returns the rate's id.
 */
export async function setPayRate(services: Services, actor: AuthUser, input: PayRateInput): Promise<string> {
  const data = parseOrThrow(payRateSchema, input, 'pay rate');
  if (data.effectiveFrom && data.effectiveFrom.getTime() < Date.now() - BACKDATE_TOLERANCE_MS) {
    throw new InvalidInputError('a rate cannot be backdated: effectiveFrom must be now or later (what was earned keeps its price)');
  }
  return services.prisma.$transaction(async (tx) => {
    let currency = data.currency ?? 'USD';
    if (data.campaignId) {
      const campaign = await tx.campaign.findUnique({ where: { id: data.campaignId }, select: { organizationId: true, currency: true } });
      if (!campaign || campaign.organizationId !== actor.organizationId) throw new NotFoundError('campaign');
      if (data.currency && data.currency !== campaign.currency) throw new InvalidInputError(`the campaign pays in ${campaign.currency}; its rates must be in ${campaign.currency}`);
      currency = campaign.currency;
    }
    if (data.userId) {
      const user = await tx.user.findUnique({ where: { id: data.userId }, select: { organizationId: true } });
      if (!user || user.organizationId !== actor.organizationId) throw new NotFoundError('user');
    }
    const rate = await tx.payRate.create({
      data: {
        campaignId: data.campaignId ?? null,
        userId: data.userId ?? null,
        kind: data.kind,
        unit: data.unit,
        amountCents: data.amountCents,
        currency,
        ...(data.effectiveFrom ? { effectiveFrom: data.effectiveFrom } : {}),
      },
      select: { id: true, effectiveFrom: true },
    });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'pay-rate.set',
      entityType: data.campaignId ? 'Campaign' : 'User',
      entityId: (data.campaignId ?? data.userId)!,
      data: {
        rateId: rate.id,
        userId: data.userId ?? null,
        kind: data.kind,
        unit: data.unit,
        amountCents: data.amountCents,
        currency,
        effectiveFrom: rate.effectiveFrom.toISOString(),
      },
    });
    return rate.id;
  });
}

const budgetSchema = z.object({
  budgetCents: z.number().int('budgetCents is whole cents').min(0, 'a budget is 0 (none) or more').max(Number.MAX_SAFE_INTEGER),
  alertPercent: z.number().int().min(1, 'the alert is at 1 to 100 percent of the budget').max(100, 'the alert is at 1 to 100 percent of the budget'),
});

/**
 * Sets a campaign's budget and alert threshold. Raising the budget above the spend reopens claims
 * (budgetBlockedAt cleared) and re-arms the alert; a budget at or below the spend blocks claims at once.
 */
export async function setCampaignBudget(services: Services, actor: AuthUser, campaignId: string, input: { budgetCents: number; alertPercent: number }): Promise<string> {
  const data = parseOrThrow(budgetSchema, input, 'budget');
  return services.prisma.$transaction(async (tx) => {
    // The row lock orders this change with the budget check of concurrent payables (which update the same row).
    const [locked] = await tx.$queryRaw<Array<{ budgetCents: number; currency: string; budgetBlockedAt: Date | null }>>`
      SELECT "budgetCents", currency, "budgetBlockedAt" FROM "Campaign" WHERE id = ${campaignId}::uuid FOR NO KEY UPDATE`;
    if (!locked) throw new NotFoundError('campaign');
    const spent = await campaignSpendCents(tx, campaignId, locked.currency);
    const hasBudget = data.budgetCents > 0;
    await tx.campaign.update({
      where: { id: campaignId },
      data: {
        budgetCents: data.budgetCents,
        budgetAlertPercent: data.alertPercent,
        // Cleared flags are set again at once by enforceBudget below when the new figures are still reached.
        ...(hasBudget && spent >= thresholdCents(data.budgetCents, data.alertPercent) ? {} : { budgetAlertedAt: null }),
        ...(hasBudget && spent >= data.budgetCents ? {} : { budgetBlockedAt: null }),
      },
    });
    const state = await enforceBudget(tx, campaignId);
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'campaign.budget-set',
      entityType: 'Campaign',
      entityId: campaignId,
      data: { budgetCents: data.budgetCents, previousBudgetCents: locked.budgetCents, alertPercent: data.alertPercent, spentCents: spent, blocked: state.blocked },
    });
    return campaignId;
  });
}

export type BudgetStatus = 'NO_BUDGET' | 'OK' | 'ALERT' | 'BLOCKED';
export type CostComponent = 'LABEL' | 'REDUNDANCY' | 'REVIEW' | 'AUDIT' | 'REWORK' | 'COMPUTE' | 'BONUS';

export interface CampaignFinance {
  campaignId: string;
  currency: string;
  spentCents: number;
  budgetCents: number;
  alertPercent: number;
  alertThresholdCents: number | null;
  status: BudgetStatus;
  alertedAt: Date | null;
  blockedAt: Date | null;
  /** Mean spend per day over the last BURN_DAYS days. */
  burnRatePerDayCents: number;
  /** Days until the spend reaches the budget at the burn rate; 0 when reached, null without a budget or a burn. */
  forecastDaysToBudget: number | null;
  /** Spend per UTC day over the last TREND_DAYS days, oldest first, days without spend at 0. */
  daily: Array<{ day: string; cents: number }>;
  acceptedLabels: number;
  /** All ledger cost / accepted labels; null before the first accepted label. */
  costPerAcceptedLabelCents: number | null;
  /** The same, by component; the components add up to the total. */
  costPerAcceptedLabel: Array<{ component: CostComponent; cents: number; entries: number; perAcceptedLabelCents: number | null }>;
  annotators: AnnotatorPay[];
  qualityBonusPercent: number | null;
  qualityBonusMinAccuracy: number;
}

export interface AnnotatorPay {
  userId: string;
  name: string;
  entries: number;
  amountCents: number;
  activeHours: number;
  acceptedLabels: number;
  /** Accepted labels per active hour; null under MIN_RATE_ACTIVE_SECONDS of active time. */
  labelsPerHour: number | null;
}

const COMPONENTS: readonly CostComponent[] = ['LABEL', 'REDUNDANCY', 'REVIEW', 'AUDIT', 'REWORK', 'COMPUTE', 'BONUS'];

/** The finance page's figures for one campaign (access checked by the resolver). */
export async function campaignFinance(services: Services, campaignId: string, now = new Date()): Promise<CampaignFinance> {
  const { prisma } = services;
  const campaign = await prisma.campaign.findUnique({
    where: { id: campaignId },
    select: { currency: true, budgetCents: true, budgetAlertPercent: true, budgetAlertedAt: true, budgetBlockedAt: true, qualityBonusPercent: true, qualityBonusMinAccuracy: true },
  });
  if (!campaign) throw new NotFoundError('campaign');
  const trendStart = startOfUtcDay(new Date(now.getTime() - (TREND_DAYS - 1) * 86_400_000));
  const burnStart = new Date(now.getTime() - BURN_DAYS * 86_400_000);
  const [parts, [accepted], days, [burn], pay, work] = await Promise.all([
    // The first label of a task is its LABEL cost; every further one is the price of redundancy (overlap).
    prisma.$queryRaw<Array<{ component: CostComponent; cents: bigint; entries: bigint }>>`
      SELECT component, sum("amountCents")::bigint AS cents, count(*)::bigint AS entries FROM (
        SELECT "amountCents",
               CASE WHEN kind = 'LABEL' AND row_number() OVER (PARTITION BY kind, "taskId" ORDER BY "createdAt", id) > 1 THEN 'REDUNDANCY' ELSE kind::text END AS component
        FROM "LedgerEntry" WHERE "campaignId" = ${campaignId}::uuid AND currency = ${campaign.currency}) e
      GROUP BY component`,
    prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*)::bigint AS n FROM "Task" WHERE "campaignId" = ${campaignId}::uuid AND status = 'ACCEPTED'`,
    prisma.$queryRaw<Array<{ day: string; cents: bigint }>>`
      SELECT to_char(date_trunc('day', "createdAt"), 'YYYY-MM-DD') AS day, sum("amountCents")::bigint AS cents
      FROM "LedgerEntry" WHERE "campaignId" = ${campaignId}::uuid AND currency = ${campaign.currency} AND "createdAt" >= ${trendStart}
      GROUP BY 1`,
    prisma.$queryRaw<Array<{ cents: bigint | null }>>`
      SELECT sum("amountCents")::bigint AS cents FROM "LedgerEntry"
      WHERE "campaignId" = ${campaignId}::uuid AND currency = ${campaign.currency} AND "createdAt" >= ${burnStart} AND "createdAt" <= ${now}`,
    prisma.$queryRaw<Array<{ userId: string; name: string; entries: bigint; cents: bigint }>>`
      SELECT l."userId", u.name, count(*)::bigint AS entries, sum(l."amountCents")::bigint AS cents
      FROM "LedgerEntry" l JOIN "User" u ON u.id = l."userId"
      WHERE l."campaignId" = ${campaignId}::uuid AND l.currency = ${campaign.currency}
      GROUP BY l."userId", u.name`,
    prisma.$queryRaw<Array<{ userId: string; active: bigint; accepted: bigint }>>`
      SELECT a."userId", coalesce(sum(a."activeSeconds"), 0)::bigint AS active,
             count(*) FILTER (WHERE a.kind IN ('LABEL', 'REWORK') AND t.status = 'ACCEPTED' AND t.round = a.round)::bigint AS accepted
      FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE t."campaignId" = ${campaignId}::uuid AND a.status = 'SUBMITTED'
      GROUP BY a."userId"`,
  ]);
  const spentCents = parts.reduce((s, p) => s + Number(p.cents), 0);
  const acceptedLabels = Number(accepted?.n ?? 0);
  const per = (cents: number) => (acceptedLabels > 0 ? cents / acceptedLabels : null);
  const burnRatePerDayCents = Number(burn?.cents ?? 0) / BURN_DAYS;
  const hasBudget = campaign.budgetCents > 0;
  const threshold = hasBudget ? thresholdCents(campaign.budgetCents, campaign.budgetAlertPercent) : null;
  const byDay = new Map(days.map((d) => [d.day, Number(d.cents)]));
  const daily = Array.from({ length: TREND_DAYS }, (_, i) => {
    const day = new Date(trendStart.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    return { day, cents: byDay.get(day) ?? 0 };
  });
  const workOf = new Map(work.map((w) => [w.userId, w]));
  return {
    campaignId,
    currency: campaign.currency,
    spentCents,
    budgetCents: campaign.budgetCents,
    alertPercent: campaign.budgetAlertPercent,
    alertThresholdCents: threshold,
    status: !hasBudget ? 'NO_BUDGET' : campaign.budgetBlockedAt ? 'BLOCKED' : threshold !== null && spentCents >= threshold ? 'ALERT' : 'OK',
    alertedAt: campaign.budgetAlertedAt,
    blockedAt: campaign.budgetBlockedAt,
    burnRatePerDayCents,
    forecastDaysToBudget: !hasBudget ? null : spentCents >= campaign.budgetCents ? 0 : burnRatePerDayCents > 0 ? (campaign.budgetCents - spentCents) / burnRatePerDayCents : null,
    daily,
    acceptedLabels,
    costPerAcceptedLabelCents: per(spentCents),
    costPerAcceptedLabel: COMPONENTS.map((component) => {
      const p = parts.find((x) => x.component === component);
      const cents = Number(p?.cents ?? 0);
      return { component, cents, entries: Number(p?.entries ?? 0), perAcceptedLabelCents: per(cents) };
    }),
    annotators: pay
      .map((p) => {
        const w = workOf.get(p.userId);
        const activeSeconds = Number(w?.active ?? 0);
        const acceptedByUser = Number(w?.accepted ?? 0);
        return {
          userId: p.userId,
          name: p.name,
          entries: Number(p.entries),
          amountCents: Number(p.cents),
          activeHours: activeSeconds / 3600,
          acceptedLabels: acceptedByUser,
          labelsPerHour: activeSeconds >= MIN_RATE_ACTIVE_SECONDS ? acceptedByUser / (activeSeconds / 3600) : null,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId)),
    qualityBonusPercent: campaign.qualityBonusPercent,
    qualityBonusMinAccuracy: campaign.qualityBonusMinAccuracy,
  };
}

function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** Serialises payout-run creation per organisation (runs are rare; PayoutItem's key stays the arbiter). */
const PAYOUT_LOCK = 'suture:payout-run:';

const payoutRunSchema = z.object({ currency: currencySchema, cutoff: z.date().nullish() });

/**
 * Creates a DRAFT payout run for the actor's organisation: every ledger entry of its campaigns in `currency`, made
 * before `cutoff` (default now; never in the future), paid to a person and not in any run yet, summed per person.
 * One transaction: the run, its items, its lines and its total appear together or not at all.
 */
export async function createPayoutRun(services: Services, actor: AuthUser, input: { currency: string; cutoff?: Date | null }): Promise<string> {
  const data = parseOrThrow(payoutRunSchema, input, 'payout run');
  const cutoff = data.cutoff ?? new Date();
  if (cutoff.getTime() > Date.now()) throw new InvalidInputError('the cutoff of a payout run cannot be in the future: entries made later would be left out unseen');
  const org = actor.organizationId;
  return services.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext(${PAYOUT_LOCK + org}))) l`;
    const run = await tx.payoutRun.create({ data: { organizationId: org, currency: data.currency, cutoff, totalCents: 0, createdById: actor.id }, select: { id: true } });
    // ON CONFLICT: should a run of another path ever take an entry first, the primary key keeps it paid once.
    const entries = await tx.$executeRaw`
      INSERT INTO "PayoutItem" ("ledgerEntryId", "payoutRunId")
      SELECT l.id, ${run.id}::uuid
      FROM "LedgerEntry" l JOIN "Campaign" c ON c.id = l."campaignId"
      WHERE c."organizationId" = ${org}::uuid AND l.currency = ${data.currency} AND l."createdAt" < ${cutoff} AND l."userId" IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM "PayoutItem" p WHERE p."ledgerEntryId" = l.id)
      ORDER BY l.id
      ON CONFLICT ("ledgerEntryId") DO NOTHING`;
    if (entries === 0) throw new DomainError('CONFLICT', `nothing to pay: no unpaid ${data.currency} ledger entries before the cutoff`);
    const bonuses = await addQualityBonuses(tx, run.id, cutoff);
    const lines = await tx.$executeRaw`
      INSERT INTO "PayoutLine" ("id", "payoutRunId", "userId", "amountCents", "entries")
      SELECT gen_random_uuid(), ${run.id}::uuid, l."userId", sum(l."amountCents"), count(*)
      FROM "PayoutItem" p JOIN "LedgerEntry" l ON l.id = p."ledgerEntryId"
      WHERE p."payoutRunId" = ${run.id}::uuid
      GROUP BY l."userId"`;
    const [total] = await tx.$queryRaw<Array<{ cents: bigint }>>`
      SELECT coalesce(sum("amountCents"), 0)::bigint AS cents FROM "PayoutLine" WHERE "payoutRunId" = ${run.id}::uuid`;
    const totalCents = Number(total?.cents ?? 0n);
    if (!Number.isSafeInteger(totalCents) || totalCents > 2_147_483_647) throw new InvalidInputError('the run is too large for one payout: choose an earlier cutoff');
    await tx.payoutRun.update({ where: { id: run.id }, data: { totalCents } });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'payout.created',
      entityType: 'PayoutRun',
      entityId: run.id,
      data: { currency: data.currency, cutoff: cutoff.toISOString(), totalCents, lines, entries, bonuses },
    });
    return run.id;
  });
}

/**
 * The quality bonus of a run, added to the ledger and paid by the run itself: for each campaign with a
 * qualityBonusPercent, each person whose LABEL and REWORK pay is in the run and whose gold accuracy on the
 * campaign (honeypot answers before the cutoff, at least the campaign's goldMinSamples of them) reaches
 * qualityBonusMinAccuracy earns that percent of that pay, rounded half up to the cent. A person without
 * enough gold answers earns no bonus: quality that was not measured is not rewarded. Bonus entries are
 * ordinary ledger entries (kind BONUS, one per campaign and person and run): the ledger stays append-only,
 * and the run's lines and total include them. Returns how many were added.
 */
async function addQualityBonuses(tx: Prisma.TransactionClient, runId: string, cutoff: Date): Promise<number> {
  const earned = await tx.$queryRaw<Array<{ id: string }>>`
    WITH pay AS (
      SELECT l."campaignId", l."userId", l.currency, sum(l."amountCents")::bigint AS cents
      FROM "PayoutItem" p JOIN "LedgerEntry" l ON l.id = p."ledgerEntryId"
      WHERE p."payoutRunId" = ${runId}::uuid AND l.kind IN ('LABEL', 'REWORK') AND l."userId" IS NOT NULL
      GROUP BY l."campaignId", l."userId", l.currency
    ),
    due AS (
      SELECT pay.*, c."qualityBonusPercent" AS pct
      FROM pay JOIN "Campaign" c ON c.id = pay."campaignId"
      CROSS JOIN LATERAL (
        SELECT count(*) AS n, count(*) FILTER (WHERE g.correct) AS ok
        FROM "GoldResult" g WHERE g."campaignId" = pay."campaignId" AND g."userId" = pay."userId" AND g."createdAt" < ${cutoff}
      ) gold
      WHERE c."qualityBonusPercent" IS NOT NULL AND c."qualityBonusPercent" > 0
        AND gold.n >= GREATEST(c."goldMinSamples", 1) AND gold.ok::float8 / gold.n >= c."qualityBonusMinAccuracy"
    ),
    entries AS (
      INSERT INTO "LedgerEntry" ("id", "campaignId", "userId", "kind", "amountCents", "currency", "idempotencyKey", "createdAt")
      SELECT gen_random_uuid(), due."campaignId", due."userId", 'BONUS', ((due.cents * due.pct + 50) / 100)::int, due.currency,
             'bonus:' || ${runId} || ':' || due."campaignId" || ':' || due."userId", now()
      FROM due
      WHERE (due.cents * due.pct + 50) / 100 > 0
      RETURNING id
    )
    INSERT INTO "PayoutItem" ("ledgerEntryId", "payoutRunId") SELECT id, ${runId}::uuid FROM entries RETURNING "ledgerEntryId" AS id`;
  return earned.length;
}

const qualityBonusSchema = z.object({
  percent: z.number().int('the bonus is a whole percent').min(1, 'a bonus is 1 to 100 percent (or none)').max(100, 'a bonus is 1 to 100 percent (or none)').nullable(),
  minAccuracy: z.number().min(0, 'the gold accuracy threshold is between 0 and 1').max(1, 'the gold accuracy threshold is between 0 and 1'),
});

/** Sets (or, with percent null, removes) a campaign's quality bonus; it applies to payout runs created from now on. */
export async function setCampaignQualityBonus(services: Services, actor: AuthUser, campaignId: string, input: { percent: number | null; minAccuracy: number }): Promise<string> {
  const data = parseOrThrow(qualityBonusSchema, input, 'quality bonus');
  return services.prisma.$transaction(async (tx) => {
    const found = await tx.campaign.findUnique({ where: { id: campaignId }, select: { qualityBonusPercent: true } });
    if (!found) throw new NotFoundError('campaign');
    await tx.campaign.update({ where: { id: campaignId }, data: { qualityBonusPercent: data.percent, qualityBonusMinAccuracy: data.minAccuracy } });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'campaign.quality-bonus-set',
      entityType: 'Campaign',
      entityId: campaignId,
      data: { percent: data.percent, previousPercent: found.qualityBonusPercent, minAccuracy: data.minAccuracy },
    });
    return campaignId;
  });
}

/** A payout run of the actor's organisation, or NOT_FOUND (another organisation's runs do not exist for them). */
async function runOf(tx: Prisma.TransactionClient, actor: AuthUser, runId: string, lock = false) {
  if (!z.uuid().safeParse(runId).success) throw new NotFoundError('payout run');
  if (lock) await tx.$queryRaw`SELECT id FROM "PayoutRun" WHERE id = ${runId}::uuid FOR UPDATE`;
  const run = await tx.payoutRun.findUnique({
    where: { id: runId },
    select: { id: true, organizationId: true, status: true, createdById: true, currency: true, totalCents: true },
  });
  if (!run || run.organizationId !== actor.organizationId) throw new NotFoundError('payout run');
  return run;
}

/** Approves a DRAFT run: someone other than its creator, and not paid by it. */
export async function approvePayoutRun(services: Services, actor: AuthUser, runId: string): Promise<string> {
  return services.prisma.$transaction(async (tx) => {
    const run = await runOf(tx, actor, runId, true);
    if (run.status !== 'DRAFT') throw new DomainError('CONFLICT', 'this payout run is already approved');
    if (run.createdById === actor.id) throw new ForbiddenError('a second person approves a payout run: you created this one');
    const paid = await tx.payoutLine.count({ where: { payoutRunId: run.id, userId: actor.id } });
    if (paid > 0) throw new ForbiddenError('you are paid by this run; someone else must approve it');
    await tx.payoutRun.update({ where: { id: run.id }, data: { status: 'APPROVED', approvedById: actor.id, approvedAt: new Date() } });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'payout.approved',
      entityType: 'PayoutRun',
      entityId: run.id,
      data: { totalCents: run.totalCents, currency: run.currency },
    });
    return run.id;
  });
}

/** The run's lines as CSV (one row per person); the caller records the read. */
export async function payoutRunCsv(services: Services, actor: AuthUser, runId: string): Promise<{ csv: string; lines: number }> {
  const run = await runOf(services.prisma, actor, runId);
  const lines = await services.prisma.payoutLine.findMany({
    where: { payoutRunId: run.id },
    select: { userId: true, entries: true, amountCents: true, user: { select: { name: true, email: true } } },
    orderBy: [{ user: { name: 'asc' } }, { userId: 'asc' }],
  });
  const rows: PayoutCsvLine[] = lines.map((l) => ({
    userId: l.userId,
    name: l.user.name,
    email: l.user.email,
    entries: l.entries,
    amountCents: l.amountCents,
    currency: run.currency,
  }));
  return { csv: payoutCsv(rows), lines: rows.length };
}
