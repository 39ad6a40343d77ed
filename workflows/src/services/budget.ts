// A campaign's budget: its spend (the ledger in the campaign's currency), the alert at budgetAlertPercent and the
// hard cap at budgetCents. Checked after every payable the ledger records, in the same transaction.
//
// Cost of the check: one SUM over the campaign's ledger entries (index LedgerEntry(campaignId, kind), then the
// heap), i.e. O(entries of the campaign), and skipped entirely when the campaign has no budget or has already
// alerted and blocked (nothing more can happen until finance changes the budget). An index-only path would need an
// index (campaignId) INCLUDE (amountCents, currency) or a running total column, both schema changes.
//
// Concurrency: no lock is taken for the SUM (a campaign-wide lock would serialise every submission of the
// campaign). Two payables committing at the same moment may each see the other's entry missing and neither cross
// the line; the next payable sees both. Setting the flags is an UPDATE ... WHERE flag IS NULL, so each is set
// once, and alerts are deduplicated by their key.
import type { Prisma } from '@suture/db';
import { appendAudit } from './audit-log.ts';

/** The alert threshold in cents for a budget and a percentage (rounded up: the alert never comes early). */
export function thresholdCents(budgetCents: number, alertPercent: number): number {
  return Math.ceil((budgetCents * alertPercent) / 100);
}

/** Everything the ledger holds for the campaign in its own currency, in cents. */
export async function campaignSpendCents(tx: Prisma.TransactionClient, campaignId: string, currency: string): Promise<number> {
  const [row] = await tx.$queryRaw<Array<{ cents: bigint | null }>>`
    SELECT sum("amountCents")::bigint AS cents FROM "LedgerEntry" WHERE "campaignId" = ${campaignId}::uuid AND currency = ${currency}`;
  return Number(row?.cents ?? 0n);
}

export interface BudgetState {
  budgetCents: number;
  alertPercent: number;
  spentCents: number | null;
  alerted: boolean;
  blocked: boolean;
}

/**
 * Raises the campaign's budget alert (once per threshold) when its spend reached budgetAlertPercent of the budget,
 * and blocks labelling claims (budgetBlockedAt, once) when the spend reached the budget, each with an Alert and an
 * audit event. A budget of 0 is no budget.
 */
export async function enforceBudget(tx: Prisma.TransactionClient, campaignId: string): Promise<BudgetState> {
  const campaign = await tx.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { budgetCents: true, budgetAlertPercent: true, budgetAlertedAt: true, budgetBlockedAt: true, currency: true },
  });
  const state: BudgetState = {
    budgetCents: campaign.budgetCents,
    alertPercent: campaign.budgetAlertPercent,
    spentCents: null,
    alerted: campaign.budgetAlertedAt !== null,
    blocked: campaign.budgetBlockedAt !== null,
  };
  if (campaign.budgetCents <= 0 || (state.alerted && state.blocked)) return state;
  const spent = await campaignSpendCents(tx, campaignId, campaign.currency);
  state.spentCents = spent;
  const threshold = thresholdCents(campaign.budgetCents, campaign.budgetAlertPercent);
  const figures = { spentCents: spent, budgetCents: campaign.budgetCents, alertPercent: campaign.budgetAlertPercent };
  if (!state.alerted && spent >= threshold) {
    const flagged = await tx.campaign.updateMany({ where: { id: campaignId, budgetAlertedAt: null }, data: { budgetAlertedAt: new Date() } });
    if (flagged.count > 0) {
      await raiseAlert(tx, campaignId, 'budget.threshold', `budget.threshold:${campaignId}:${threshold}`, { ...figures, thresholdCents: threshold });
      await appendAudit(tx, { action: 'budget.threshold-reached', entityType: 'Campaign', entityId: campaignId, data: { ...figures, thresholdCents: threshold } });
    }
    state.alerted = true;
  }
  if (!state.blocked && spent >= campaign.budgetCents) {
    const blocked = await tx.campaign.updateMany({ where: { id: campaignId, budgetBlockedAt: null }, data: { budgetBlockedAt: new Date() } });
    if (blocked.count > 0) {
      await raiseAlert(tx, campaignId, 'budget.exceeded', `budget.exceeded:${campaignId}:${campaign.budgetCents}`, figures);
      await appendAudit(tx, { action: 'budget.exceeded', entityType: 'Campaign', entityId: campaignId, data: figures });
    }
    state.blocked = true;
  }
  return state;
}

async function raiseAlert(tx: Prisma.TransactionClient, campaignId: string, kind: string, dedupeKey: string, data: Record<string, number>): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "Alert" ("id", "campaignId", "kind", "data", "dedupeKey", "createdAt")
    VALUES (gen_random_uuid(), ${campaignId}::uuid, ${kind}, ${JSON.stringify(data)}::jsonb, ${dedupeKey}, now())
    ON CONFLICT ("dedupeKey") DO NOTHING`;
}
