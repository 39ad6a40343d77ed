// The cost ledger: one immutable entry per payable event, made exactly-once by its idempotency key.
import type { Prisma } from '@suture/db';

export type PayableKind = 'LABEL' | 'REVIEW' | 'AUDIT' | 'REWORK' | 'COMPUTE';

export interface PayableEvent {
  campaignId: string;
  batchId?: string | null;
  taskId?: string | null;
  userId?: string | null;
  kind: PayableKind;
  /** Stable key of the event, e.g. `label:<assignmentId>`; a retry writes nothing new. */
  idempotencyKey: string;
  /** Given for compute costs; people's work is priced from pay rates. */
  amountCents?: number;
}

/** The rate for a unit of work: campaign rate for the kind, else the person's own rate, else zero. */
export async function rateFor(
  tx: Prisma.TransactionClient,
  campaignId: string,
  userId: string | null | undefined,
  kind: PayableKind,
): Promise<{ amountCents: number; currency: string }> {
  const rates = await tx.payRate.findMany({
    where: {
      kind,
      OR: [
        { campaignId, userId: null },
        ...(userId
          ? [
              { campaignId: null, userId },
              { campaignId, userId },
            ]
          : []),
      ],
    },
    orderBy: { createdAt: 'desc' },
  });
  const pick =
    rates.find((r) => r.campaignId === campaignId && r.userId === userId) ??
    rates.find((r) => r.campaignId === campaignId && r.userId === null) ??
    rates.find((r) => r.userId === userId);
  return pick ? { amountCents: pick.amountCents, currency: pick.currency } : { amountCents: 0, currency: 'USD' };
}

/** Writes the entry unless its key exists; returns whether a new entry was written. */
export async function recordPayable(tx: Prisma.TransactionClient, event: PayableEvent): Promise<boolean> {
  const price = event.amountCents !== undefined ? { amountCents: event.amountCents, currency: 'USD' } : await rateFor(tx, event.campaignId, event.userId, event.kind);
  const rows = await tx.$executeRaw`
    INSERT INTO "LedgerEntry" ("id", "campaignId", "batchId", "taskId", "userId", "kind", "amountCents", "currency", "idempotencyKey", "createdAt")
    VALUES (gen_random_uuid(), ${event.campaignId}::uuid, ${event.batchId ?? null}::uuid, ${event.taskId ?? null}::uuid, ${event.userId ?? null}::uuid,
            ${event.kind}::"WorkKind", ${price.amountCents}, ${price.currency}, ${event.idempotencyKey}, now())
    ON CONFLICT ("idempotencyKey") DO NOTHING`;
  return rows > 0;
}
