// Stage SLAs of a batch, checked by the worker's periodic progress reads (no timer per task): an expert's
// review claim whose lease ran out goes back to the review queue, and a disagreement waiting for an expert
// longer than the campaign's reviewSlaSeconds, or a sampled task unjudged longer than its qaSlaSeconds,
// raises one Alert (its dedupeKey makes a second raise a no-op) and one audit event. Ids and counts only.
import type { PrismaClient } from '@suture/db';
import { appendAudit } from '../services/audit-log.ts';

/** Breaches raised per kind per sweep at most: a large late batch alerts over a few sweeps, each statement stays small. */
export const SLA_PAGE = 200;

export interface StageSlaSweep {
  /** Expert review claims whose lease ran out, released back to the review queue. */
  reviewClaimsReleased: number;
  /** New alerts: tasks waiting for an expert past reviewSlaSeconds. */
  reviewBreaches: number;
  /** New alerts: QA audits unjudged past qaSlaSeconds. */
  qaBreaches: number;
}

export const REVIEW_SLA_ALERT = 'REVIEW_SLA_BREACHED';
export const QA_SLA_ALERT = 'QA_SLA_BREACHED';

/** Idempotent: a second sweep finds the claims released and the alerts raised, and changes nothing. */
export async function sweepStageSlas(prisma: PrismaClient, batchId: string): Promise<StageSlaSweep> {
  const reviewClaimsReleased = await releaseExpiredReviewClaims(prisma, batchId);
  const reviewBreaches = await raiseReviewBreaches(prisma, batchId);
  const qaBreaches = await raiseQaBreaches(prisma, batchId);
  return { reviewClaimsReleased, reviewBreaches, qaBreaches };
}

/**
 * An expert's review claim whose lease ran out: the live-review unique index would otherwise keep every other
 * expert off the task until the batch's next lease sweep. The expert's own next claim skips it (claimNextReview).
 */
async function releaseExpiredReviewClaims(prisma: PrismaClient, batchId: string): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const released = await tx.$queryRaw<Array<{ taskId: string; round: number }>>`
      UPDATE "Assignment" a SET status = 'EXPIRED', "releasedAt" = now()
      FROM "Task" t
      WHERE a."taskId" = t.id AND t."batchId" = ${batchId}::uuid AND a.kind = 'REVIEW' AND a.status = 'ACTIVE' AND a."leaseExpiresAt" < now()
      RETURNING a."taskId"::text AS "taskId", a.round`;
    for (const r of released) await appendAudit(tx, { action: 'review.expired', entityType: 'Task', entityId: r.taskId, data: { round: r.round } });
    return released.length;
  });
}

/**
 * Tasks IN_REVIEW with no submitted review of their round, waiting since their round's last label longer than
 * the campaign's reviewSlaSeconds. One alert per task round.
 */
async function raiseReviewBreaches(prisma: PrismaClient, batchId: string): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const raised = await tx.$queryRaw<Array<{ taskId: string; round: number; campaignId: string; waitedSeconds: number }>>`
      WITH late AS (
        SELECT t.id, t.round, t."campaignId", w.since
        FROM "Task" t JOIN "Campaign" c ON c.id = t."campaignId"
        CROSS JOIN LATERAL (
          SELECT COALESCE(max(a."submittedAt"), t."createdAt") AS since FROM "Assignment" a
          WHERE a."taskId" = t.id AND a.round = t.round AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED') w
        WHERE t."batchId" = ${batchId}::uuid AND t.status = 'IN_REVIEW'
          AND w.since < now() - make_interval(secs => c."reviewSlaSeconds")
          AND NOT EXISTS (SELECT 1 FROM "Assignment" r WHERE r."taskId" = t.id AND r.round = t.round AND r.kind = 'REVIEW' AND r.status = 'SUBMITTED')
          AND NOT EXISTS (SELECT 1 FROM "Alert" al WHERE al."dedupeKey" = 'review-sla:' || t.id::text || ':' || t.round::text)
        ORDER BY w.since, t.id
        LIMIT ${SLA_PAGE}
      )
      INSERT INTO "Alert" (id, "campaignId", "batchId", kind, data, "dedupeKey")
      SELECT gen_random_uuid(), late."campaignId", ${batchId}::uuid, ${REVIEW_SLA_ALERT},
             jsonb_build_object('taskId', late.id::text, 'round', late.round, 'waitedSeconds', floor(extract(epoch FROM now() - late.since))::int),
             'review-sla:' || late.id::text || ':' || late.round::text
      FROM late
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING data->>'taskId' AS "taskId", (data->>'round')::int AS round, "campaignId"::text AS "campaignId", (data->>'waitedSeconds')::int AS "waitedSeconds"`;
    for (const r of raised) {
      await appendAudit(tx, { action: 'sla.review-breached', entityType: 'Task', entityId: r.taskId, data: { round: r.round, waitedSeconds: r.waitedSeconds } });
    }
    return raised.length;
  });
}

/** QA audits of the batch's current round still without a verdict longer than the campaign's qaSlaSeconds. One alert per audit. */
async function raiseQaBreaches(prisma: PrismaClient, batchId: string): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const raised = await tx.$queryRaw<Array<{ auditId: string; taskId: string; qaRound: number; waitedSeconds: number }>>`
      WITH late AS (
        SELECT q.id, q."taskId", q."qaRound", q."createdAt", b."campaignId"
        FROM "QaAudit" q JOIN "Batch" b ON b.id = q."batchId" JOIN "Campaign" c ON c.id = b."campaignId"
        WHERE q."batchId" = ${batchId}::uuid AND q."qaRound" = b."qaRound" AND b.stage = 'QA' AND q.verdict IS NULL
          AND q."createdAt" < now() - make_interval(secs => c."qaSlaSeconds")
          AND NOT EXISTS (SELECT 1 FROM "Alert" al WHERE al."dedupeKey" = 'qa-sla:' || q.id::text)
        ORDER BY q."createdAt", q.id
        LIMIT ${SLA_PAGE}
      )
      INSERT INTO "Alert" (id, "campaignId", "batchId", kind, data, "dedupeKey")
      SELECT gen_random_uuid(), late."campaignId", ${batchId}::uuid, ${QA_SLA_ALERT},
             jsonb_build_object('auditId', late.id::text, 'taskId', late."taskId"::text, 'qaRound', late."qaRound",
                                'waitedSeconds', floor(extract(epoch FROM now() - late."createdAt"))::int),
             'qa-sla:' || late.id::text
      FROM late
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING data->>'auditId' AS "auditId", data->>'taskId' AS "taskId", (data->>'qaRound')::int AS "qaRound", (data->>'waitedSeconds')::int AS "waitedSeconds"`;
    for (const r of raised) {
      await appendAudit(tx, {
        action: 'sla.qa-breached',
        entityType: 'Task',
        entityId: r.taskId,
        data: { auditId: r.auditId, qaRound: r.qaRound, waitedSeconds: r.waitedSeconds },
      });
    }
    return raised.length;
  });
}
