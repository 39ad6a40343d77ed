// The cost ledger: one immutable entry per payable event, made exactly-once by its idempotency key, priced by the
// pay rate in force when the event happens. Rates are dated: a change adds a rate, so what was earned before keeps
// its price (the entries are never rewritten; the database refuses it).
import type { Prisma } from '@suture/db';
import { annotationType } from '../annotation/registry.ts';
import { labelSchemaSchema, qaSettingsSchema } from '../domain/label-schema.ts';
import { priceCents, videoSecondsOf, type PayMeasure, type PayUnit } from '../domain/pricing.ts';
import { enforceBudget } from './budget.ts';

export { campaignSpendCents, enforceBudget, thresholdCents, type BudgetState } from './budget.ts';

export type PayableKind = 'LABEL' | 'REVIEW' | 'AUDIT' | 'REWORK' | 'COMPUTE';

export interface PayableEvent {
  campaignId: string;
  batchId?: string | null;
  taskId?: string | null;
  userId?: string | null;
  /** The assignment the work was done in (labels, rework, reviews): HOUR and OBJECT rates measure it. */
  assignmentId?: string | null;
  kind: PayableKind;
  /** Stable key of the event, e.g. `label:<assignmentId>`; a retry writes nothing new. */
  idempotencyKey: string;
  /** Given for compute costs; people's work is priced from pay rates. */
  amountCents?: number;
}

export interface Rate {
  id: string;
  amountCents: number;
  currency: string;
  unit: PayUnit;
}

/**
 * The rate in force now (the transaction's time, which is also the entry's createdAt) for a kind of work: the
 * campaign's rate for this person, else the campaign's rate, else the person's own rate; within one of those, the
 * one with the latest effectiveFrom not in the future. Null when none applies.
 */
export async function rateFor(tx: Prisma.TransactionClient, campaignId: string, userId: string | null | undefined, kind: PayableKind): Promise<Rate | null> {
  const [rate] = await tx.$queryRaw<Rate[]>`
    SELECT id, "amountCents", currency, unit::text AS unit
    FROM "PayRate"
    WHERE kind = ${kind}::"WorkKind" AND "effectiveFrom" <= now()
      AND (("campaignId" = ${campaignId}::uuid AND ("userId" IS NULL OR "userId" = ${userId ?? null}::uuid))
           OR ("campaignId" IS NULL AND "userId" = ${userId ?? null}::uuid))
    ORDER BY (CASE WHEN "campaignId" IS NOT NULL AND "userId" IS NOT NULL THEN 0 WHEN "campaignId" IS NOT NULL THEN 1 ELSE 2 END),
             "effectiveFrom" DESC, "createdAt" DESC, id DESC
    LIMIT 1`;
  return rate ?? null;
}

/**
 * Writes the entry unless its key exists; returns whether a new entry was written. A new entry is followed by the
 * campaign's budget check (alert, hard cap) in the same transaction.
 */
export async function recordPayable(tx: Prisma.TransactionClient, event: PayableEvent): Promise<boolean> {
  const [existing] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "LedgerEntry" WHERE "idempotencyKey" = ${event.idempotencyKey}`;
  if (existing) return false;
  const campaign = await tx.campaign.findUniqueOrThrow({ where: { id: event.campaignId }, select: { currency: true, qaSettings: true, labelSchema: true } });
  const price = event.amountCents !== undefined ? { amountCents: event.amountCents, currency: campaign.currency } : await priceOf(tx, event, campaign);
  const rows = await tx.$executeRaw`
    INSERT INTO "LedgerEntry" ("id", "campaignId", "batchId", "taskId", "userId", "kind", "amountCents", "currency", "idempotencyKey", "createdAt")
    VALUES (gen_random_uuid(), ${event.campaignId}::uuid, ${event.batchId ?? null}::uuid, ${event.taskId ?? null}::uuid, ${event.userId ?? null}::uuid,
            ${event.kind}::"WorkKind", ${price.amountCents}, ${price.currency}, ${event.idempotencyKey}, now())
    ON CONFLICT ("idempotencyKey") DO NOTHING`;
  if (rows > 0) await enforceBudget(tx, event.campaignId);
  return rows > 0;
}

type CampaignPricing = { currency: string; qaSettings: unknown; labelSchema: unknown };

/** A person's work priced by the rate in force: zero when no rate applies, or when the campaign does not pay this rework. */
async function priceOf(tx: Prisma.TransactionClient, event: PayableEvent, campaign: CampaignPricing): Promise<{ amountCents: number; currency: string }> {
  const rate = await rateFor(tx, event.campaignId, event.userId, event.kind);
  if (!rate) return { amountCents: 0, currency: campaign.currency };
  if (event.kind === 'REWORK' && (await reworkIsUnpaid(tx, event, campaign.qaSettings))) return { amountCents: 0, currency: rate.currency };
  return { amountCents: priceCents(rate.unit, rate.amountCents, await measure(tx, event, rate.unit, campaign.labelSchema)), currency: rate.currency };
}

/** What the rate's unit counts for this event (nothing for TASK). */
async function measure(tx: Prisma.TransactionClient, event: PayableEvent, unit: PayUnit, labelSchema: unknown): Promise<PayMeasure> {
  switch (unit) {
    case 'TASK':
      return {};
    case 'HOUR': {
      if (!event.assignmentId) throw new Error(`an HOUR rate for ${event.kind} needs the assignment of the event (${event.idempotencyKey})`);
      const a = await tx.assignment.findUniqueOrThrow({ where: { id: event.assignmentId }, select: { activeSeconds: true } });
      return { activeSeconds: a.activeSeconds };
    }
    case 'OBJECT': {
      const label = await labelOf(tx, event);
      const schema = labelSchemaSchema.parse(labelSchema);
      return { objects: label === null ? 0 : annotationType(schema.geometry).objectCount(label) };
    }
    case 'VIDEO_MINUTE': {
      // A task without a video length (an image, a video not probed) pays nothing by the minute.
      if (!event.taskId) return { videoSeconds: 0 };
      const task = await tx.task.findUniqueOrThrow({ where: { id: event.taskId }, select: { asset: { select: { kind: true, metadata: true } } } });
      return { videoSeconds: task.asset?.kind === 'VIDEO' ? (videoSecondsOf(task.asset.metadata) ?? 0) : 0 };
    }
  }
}

/**
 * The label the event produced: a labeller's submitted annotation (LABEL, REWORK), the expert's adjudicated label
 * (REVIEW), the consensus the auditor judged (AUDIT). Null when there is none.
 */
async function labelOf(tx: Prisma.TransactionClient, event: PayableEvent): Promise<unknown> {
  if ((event.kind === 'LABEL' || event.kind === 'REWORK') && event.assignmentId) {
    const annotation = await tx.annotation.findFirst({ where: { assignmentId: event.assignmentId, submitted: true }, orderBy: { version: 'desc' }, select: { data: true } });
    return annotation?.data ?? null;
  }
  if (event.kind === 'REVIEW' && event.assignmentId) {
    const a = await tx.assignment.findUniqueOrThrow({ where: { id: event.assignmentId }, select: { taskId: true, round: true } });
    const review = await tx.review.findUnique({ where: { taskId_round: { taskId: a.taskId, round: a.round } }, select: { data: true } });
    return review?.data ?? null;
  }
  if (event.kind === 'AUDIT' && event.taskId) {
    const task = await tx.task.findUniqueOrThrow({ where: { id: event.taskId }, select: { consensus: true } });
    return task.consensus ?? null;
  }
  return null;
}

/**
 * The campaign's rework policy (qaSettings.reworkPay): under UNPAID_OWN_FAILURE a rework label is unpaid when its
 * annotator submitted a label of the same task in an earlier round and the task failed a QA audit.
 */
async function reworkIsUnpaid(tx: Prisma.TransactionClient, event: PayableEvent, qaSettings: unknown): Promise<boolean> {
  const settings = qaSettingsSchema.safeParse(qaSettings);
  if (!settings.success || settings.data.reworkPay !== 'UNPAID_OWN_FAILURE' || !event.taskId || !event.userId || !event.assignmentId) return false;
  const [row] = await tx.$queryRaw<Array<{ own: boolean }>>`
    SELECT EXISTS (
             SELECT 1 FROM "Assignment" earlier JOIN "Assignment" cur ON cur.id = ${event.assignmentId}::uuid
             WHERE earlier."taskId" = ${event.taskId}::uuid AND earlier."userId" = ${event.userId}::uuid
               AND earlier.kind IN ('LABEL', 'REWORK') AND earlier.status = 'SUBMITTED' AND earlier.round < cur.round)
           AND EXISTS (SELECT 1 FROM "QaAudit" q WHERE q."taskId" = ${event.taskId}::uuid AND q.verdict = 'FAIL') AS own`;
  return row?.own ?? false;
}
