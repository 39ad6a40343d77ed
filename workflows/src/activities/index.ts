// Lifecycle activities. Every one is idempotent: Temporal may run it again after a crash or timeout,
// and a second run finds the work done and changes nothing.
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Prisma, type PrismaClient } from '@suture/db';
import { labelSchemaSchema, qaSettingsSchema } from '../domain/label-schema.ts';
import { appendAudit } from '../services/audit-log.ts';
import { recordPayable } from '../services/ledger.ts';
import { drawSpotCheckSample, spotCheckPlan, taskAgreement, taskConsensus, type SubmittedLabel } from '../lifecycle/quality-adapter.ts';
import { clopperPearsonInterval, wilsonInterval } from '../quality/index.ts';
import { runPrelabel } from './prelabel.ts';
import { deidentifyAsset } from './ingest.ts';
import type { TextDetector } from '../media/index.ts';
import { taskWorkflowId, type BatchCounts, type BatchStageName, type QaProgress, type TaskStageName } from '../lifecycle/definitions.ts';

export interface ActivityDeps {
  prisma: PrismaClient;
  s3: S3Client;
  temporal: Client;
  config: { bucket: string; taskQueue: string; sse?: 'AES256' | 'aws:kms' | undefined; taskRecheckSeconds?: number; deidSecret: string };
  /** Burned-in text detection for de-identification (PaddleOCR det model through onnxruntime-node). */
  textDetector?: TextDetector;
}

const PAGE = 500;

export function createActivities({ prisma, s3, temporal, config, textDetector }: ActivityDeps) {
  async function loadCampaignForBatch(batchId: string) {
    const batch = await prisma.batch.findUniqueOrThrow({ where: { id: batchId }, include: { campaign: true } });
    return { batch, campaign: batch.campaign, schema: labelSchemaSchema.parse(batch.campaign.labelSchema), qa: qaSettingsSchema.parse(batch.campaign.qaSettings) };
  }

  async function startTaskWorkflow(taskId: string, round: number): Promise<void> {
    try {
      await temporal.workflow.start('taskLifecycle', {
        taskQueue: config.taskQueue,
        workflowId: taskWorkflowId(taskId, round),
        args: [{ taskId, round, recheckSeconds: config.taskRecheckSeconds }],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  return {
    async recordBatchStage(input: { batchId: string; stage: BatchStageName; qaRound: number }): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const batch = await tx.batch.findUniqueOrThrow({ where: { id: input.batchId }, select: { stage: true, qaRound: true } });
        if (batch.stage === input.stage && batch.qaRound === input.qaRound) return;
        await tx.batch.update({
          where: { id: input.batchId },
          data: { stage: input.stage, qaRound: input.qaRound, status: 'RUNNING', startedAt: batch.stage === 'CREATED' ? new Date() : undefined },
        });
        await appendAudit(tx, { action: 'batch.stage', entityType: 'Batch', entityId: input.batchId, data: { stage: input.stage, qaRound: input.qaRound } });
      });
    },

    /** De-identifies every quarantined asset of the batch; an asset that fails excludes only its tasks. */
    async ingestBatch(input: { batchId: string }): Promise<{ ready: number; failed: number }> {
      const assets = await prisma.asset.findMany({ where: { tasks: { some: { batchId: input.batchId } } }, orderBy: { id: 'asc' } });
      let ready = 0;
      let failed = 0;
      for (const asset of assets) {
        Context.current().heartbeat({ assetId: asset.id });
        const outcome =
          asset.status === 'QUARANTINED'
            ? await deidentifyAsset(
                { prisma, s3, bucket: config.bucket, sse: config.sse, deidSecret: config.deidSecret, textDetector, heartbeat: (d) => Context.current().heartbeat(d) },
                asset,
              )
            : asset.status;
        if (outcome === 'READY') ready += 1;
        else failed += 1;
      }
      if (failed > 0) {
        await prisma.$transaction(async (tx) => {
          const excluded = await tx.task.updateMany({ where: { batchId: input.batchId, status: 'PENDING', asset: { status: { not: 'READY' } } }, data: { status: 'EXCLUDED' } });
          if (excluded.count > 0)
            await appendAudit(tx, { action: 'batch.tasks-excluded', entityType: 'Batch', entityId: input.batchId, data: { tasks: excluded.count, assets: failed } });
        });
      }
      return { ready, failed };
    },

    async prelabelBatch(input: { batchId: string }): Promise<{ ran: boolean; note: string }> {
      const { batch, campaign } = await loadCampaignForBatch(input.batchId);
      if (batch.prelabelNote) return { ran: !batch.prelabelNote.startsWith('skipped'), note: batch.prelabelNote };
      const result = await runPrelabel({ prisma, s3, bucket: config.bucket, heartbeat: (d) => Context.current().heartbeat(d) }, batch.id, campaign);
      await prisma.$transaction(async (tx) => {
        await tx.batch.update({ where: { id: batch.id }, data: { prelabelNote: result.note } });
        if (result.computeCents > 0)
          await recordPayable(tx, {
            campaignId: campaign.id,
            batchId: batch.id,
            kind: 'COMPUTE',
            amountCents: result.computeCents,
            idempotencyKey: `compute:prelabel:${batch.id}`,
          });
        await appendAudit(tx, {
          action: result.ran ? 'batch.prelabeled' : 'batch.prelabel-skipped',
          entityType: 'Batch',
          entityId: batch.id,
          data: { tasks: result.tasks, note: result.note },
        });
      });
      return { ran: result.ran, note: result.note };
    },

    /** Starts each pending task's workflow, then opens the task for claims. Resumable page by page. */
    async openBatch(input: { batchId: string }): Promise<{ opened: number }> {
      const { campaign } = await loadCampaignForBatch(input.batchId);
      let opened = 0;
      for (;;) {
        const tasks = await prisma.task.findMany({ where: { batchId: input.batchId, status: 'PENDING' }, select: { id: true, round: true }, orderBy: { id: 'asc' }, take: PAGE });
        if (tasks.length === 0) break;
        for (const t of tasks) await startTaskWorkflow(t.id, t.round);
        const res = await prisma.task.updateMany({ where: { id: { in: tasks.map((t) => t.id) }, status: 'PENDING' }, data: { status: 'OPEN', openSlots: campaign.overlap } });
        opened += res.count;
        Context.current().heartbeat({ opened });
      }
      await prisma.$transaction((tx) => appendAudit(tx, { action: 'batch.opened', entityType: 'Batch', entityId: input.batchId, data: { tasks: opened } }));
      return { opened };
    },

    /** Releases claims whose lease (SLA) expired, then counts tasks by status. */
    async batchProgress(input: { batchId: string }): Promise<BatchCounts> {
      const released = await prisma.$transaction(async (tx) => {
        const expired = await tx.$queryRaw<Array<{ taskId: string; n: bigint }>>`
          WITH expired AS (
            UPDATE "Assignment" a SET status = 'EXPIRED'
            FROM "Task" t
            WHERE a."taskId" = t.id AND t."batchId" = ${input.batchId}::uuid AND a.status = 'ACTIVE' AND a."leaseExpiresAt" < now()
            RETURNING a."taskId", a.kind
          )
          SELECT "taskId", count(*)::bigint AS n FROM expired WHERE kind IN ('LABEL', 'REWORK') GROUP BY "taskId"`;
        for (const row of expired) {
          await tx.task.update({ where: { id: row.taskId }, data: { openSlots: { increment: Number(row.n) } } });
        }
        const total = expired.reduce((s, r) => s + Number(r.n), 0);
        if (total > 0) await appendAudit(tx, { action: 'claims.expired', entityType: 'Batch', entityId: input.batchId, data: { claims: total } });
        return total;
      });
      const [byStatus, [active]] = await Promise.all([
        prisma.$queryRaw<Array<{ status: string; n: bigint }>>`
          SELECT status::text AS status, count(*)::bigint AS n FROM "Task" WHERE "batchId" = ${input.batchId}::uuid AND status <> 'EXCLUDED' GROUP BY status`,
        prisma.$queryRaw<Array<{ n: bigint; next: Date | null }>>`
          SELECT count(*)::bigint AS n, min(a."leaseExpiresAt") AS next FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
          WHERE t."batchId" = ${input.batchId}::uuid AND a.status = 'ACTIVE'`,
      ]);
      const count = (s: string) => Number(byStatus.find((b) => b.status === s)?.n ?? 0);
      return {
        total: byStatus.reduce((s, b) => s + Number(b.n), 0),
        pending: count('PENDING'),
        open: count('OPEN'),
        labeled: count('LABELED'),
        inReview: count('IN_REVIEW'),
        accepted: count('ACCEPTED'),
        activeClaims: Number(active?.n ?? 0),
        releasedClaims: released,
        nextLeaseExpiry: active?.next ? new Date(active.next).getTime() : null,
      };
    },

    /** Moves one task forward as far as its stored labels and review allow. */
    async advanceTask(input: { taskId: string; round: number }): Promise<{ stage: TaskStageName; submitted: number; agreement: number | null; superseded: boolean }> {
      // Nothing to decide while labels are still missing: answer without locking the task row, which
      // claims (FOR UPDATE SKIP LOCKED) would otherwise skip as if the task had no free slot.
      const [peek] = await prisma.$queryRaw<Array<{ status: string; round: number; overlap: number; submitted: bigint }>>`
        SELECT t.status::text AS status, t.round, c.overlap,
               (SELECT count(*) FROM "Assignment" a WHERE a."taskId" = t.id AND a.round = t.round AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED')::bigint AS submitted
        FROM "Task" t JOIN "Campaign" c ON c.id = t."campaignId" WHERE t.id = ${input.taskId}::uuid`;
      if (peek && peek.round === input.round && peek.status === 'OPEN' && Number(peek.submitted) < peek.overlap) {
        return { stage: 'LABELING', submitted: Number(peek.submitted), agreement: null, superseded: false };
      }
      return prisma.$transaction(async (tx) => {
        const [task] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Task" WHERE id = ${input.taskId}::uuid FOR UPDATE`;
        if (!task) throw new Error(`task ${input.taskId} does not exist`);
        const t = await tx.task.findUniqueOrThrow({ where: { id: input.taskId }, include: { campaign: true } });
        if (t.round !== input.round) return { stage: 'ACCEPTED', submitted: 0, agreement: t.agreement, superseded: true };
        const labels = await submittedLabels(tx, t.id, t.round);
        if (t.status === 'ACCEPTED') return { stage: 'ACCEPTED', submitted: labels.length, agreement: t.agreement, superseded: false };
        const schema = labelSchemaSchema.parse(t.campaign.labelSchema);
        if (t.status === 'IN_REVIEW') {
          const review = await tx.review.findUnique({ where: { taskId_round: { taskId: t.id, round: t.round } } });
          if (!review) return { stage: 'REVIEW', submitted: labels.length, agreement: t.agreement, superseded: false };
          await tx.task.update({
            where: { id: t.id },
            data: {
              status: 'ACCEPTED',
              consensus: review.data as Prisma.InputJsonValue,
              consensusMethod: `expert-review:${review.decision.toLowerCase()}`,
              acceptedAt: new Date(),
            },
          });
          await appendAudit(tx, { action: 'task.accepted', entityType: 'Task', entityId: t.id, data: { round: t.round, via: 'review' } });
          return { stage: 'ACCEPTED', submitted: labels.length, agreement: t.agreement, superseded: false };
        }
        if (labels.length < t.campaign.overlap) return { stage: 'LABELING', submitted: labels.length, agreement: null, superseded: false };
        const agreement = taskAgreement(schema.geometry, labels);
        if (agreement.value >= t.campaign.agreementThreshold) {
          const consensus = taskConsensus(schema.geometry, labels);
          await tx.task.update({
            where: { id: t.id },
            data: {
              status: 'ACCEPTED',
              agreement: agreement.value,
              agreementMetric: agreement.metric,
              consensus: consensus.data as Prisma.InputJsonValue,
              consensusMethod: consensus.method,
              acceptedAt: new Date(),
            },
          });
          await appendAudit(tx, { action: 'task.accepted', entityType: 'Task', entityId: t.id, data: { round: t.round, via: 'agreement', agreement: agreement.value } });
          return { stage: 'ACCEPTED', submitted: labels.length, agreement: agreement.value, superseded: false };
        }
        await tx.task.update({ where: { id: t.id }, data: { status: 'IN_REVIEW', agreement: agreement.value, agreementMetric: agreement.metric } });
        await appendAudit(tx, { action: 'task.review-required', entityType: 'Task', entityId: t.id, data: { round: t.round, agreement: agreement.value } });
        return { stage: 'REVIEW', submitted: labels.length, agreement: agreement.value, superseded: false };
      });
    },

    /** Draws the round's seeded, stratified spot-check sample; a re-run finds the drawn sample. */
    async drawSpotCheck(input: { batchId: string; qaRound: number }): Promise<{ sampleSize: number; lotSize: number }> {
      const { batch, qa } = await loadCampaignForBatch(input.batchId);
      const existing = await prisma.qaAudit.count({ where: { batchId: batch.id, qaRound: input.qaRound } });
      const accepted = await prisma.task.findMany({
        where: { batchId: batch.id, status: 'ACCEPTED' },
        select: {
          id: true,
          round: true,
          agreement: true,
          modelConfidence: true,
          assignments: { where: { kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' }, select: { userId: true, round: true } },
        },
        orderBy: { id: 'asc' },
      });
      if (existing > 0) return { sampleSize: existing, lotSize: accepted.length };
      const plan = spotCheckPlan(accepted.length, qa);
      // Riskier tasks (low agreement, low model confidence) are drawn more often within their stratum.
      const items = accepted.map((t) => ({
        id: t.id,
        stratum: [...new Set(t.assignments.filter((a) => a.round === t.round).map((a) => a.userId))].sort().join('+'),
        risk: Math.max(t.agreement === null ? 0 : 1 - t.agreement, t.modelConfidence === null ? 0 : 1 - t.modelConfidence),
      }));
      const seed = `${qa.seed}:${batch.id}:${input.qaRound}`;
      // Tasks reworked since the last round are always re-audited, on top of the drawn sample.
      const reworked = accepted.filter((t) => t.round > 0 && t.round === input.qaRound - 1).map((t) => t.id);
      const drawn = drawSpotCheckSample(items, plan.sampleSize, seed, qa.minPerStratum);
      const sample = [...new Set([...drawn, ...reworked])];
      const stratumOf = new Map(items.map((i) => [i.id, i.stratum]));
      await prisma.$transaction(async (tx) => {
        await tx.qaAudit.createMany({
          data: sample.map((taskId) => ({ batchId: batch.id, taskId, qaRound: input.qaRound, stratum: stratumOf.get(taskId) ?? '' })),
          skipDuplicates: true,
        });
        const history = Array.isArray(batch.qaHistory) ? (batch.qaHistory as Prisma.JsonArray) : [];
        await tx.batch.update({
          where: { id: batch.id },
          data: { qaHistory: [...history, { qaRound: input.qaRound, seed, plan: { ...plan }, drawn: drawn.length, reworkedReaudited: reworked.length }] as Prisma.InputJsonValue },
        });
        await appendAudit(tx, {
          action: 'qa.sample-drawn',
          entityType: 'Batch',
          entityId: batch.id,
          data: { qaRound: input.qaRound, lotSize: plan.lotSize, sampleSize: sample.length, seed },
        });
      });
      return { sampleSize: sample.length, lotSize: accepted.length };
    },

    async qaProgress(input: { batchId: string; qaRound: number }): Promise<QaProgress> {
      const [row] = await prisma.$queryRaw<Array<{ sampled: bigint; audited: bigint; failed: bigint }>>`
        SELECT count(*)::bigint AS sampled, count(verdict)::bigint AS audited, count(*) FILTER (WHERE verdict = 'FAIL')::bigint AS failed
        FROM "QaAudit" WHERE "batchId" = ${input.batchId}::uuid AND "qaRound" = ${input.qaRound}`;
      return { sampled: Number(row?.sampled ?? 0), audited: Number(row?.audited ?? 0), failed: Number(row?.failed ?? 0) };
    },

    /** Accepts the lot when failures stay within the plan's acceptance number; otherwise names the tasks to rework. */
    async decideLot(input: { batchId: string; qaRound: number }): Promise<{ accepted: boolean; reworkTaskIds: string[] }> {
      const { batch } = await loadCampaignForBatch(input.batchId);
      const failedAudits = await prisma.qaAudit.findMany({
        where: { batchId: batch.id, qaRound: input.qaRound, verdict: 'FAIL' },
        select: { taskId: true },
        orderBy: { taskId: 'asc' },
      });
      const auditedCount = await prisma.qaAudit.count({ where: { batchId: batch.id, qaRound: input.qaRound, verdict: { not: null } } });
      const history = Array.isArray(batch.qaHistory) ? (batch.qaHistory as Array<{ qaRound?: number; plan?: { acceptNumber?: number }; decision?: string }>) : [];
      const entry = history.find((h) => h.qaRound === input.qaRound);
      const acceptNumber = entry?.plan?.acceptNumber ?? 0;
      const accepted = failedAudits.length <= acceptNumber;
      // Accepted lots still fix the failures found; rejected lots rework them before the next round.
      const reworkTaskIds = accepted ? [] : failedAudits.map((a) => a.taskId);
      if (entry?.decision === undefined) {
        await prisma.$transaction(async (tx) => {
          // The lot's error rate as an auditor would state it: point estimate with 95 % intervals.
          const estimate =
            auditedCount > 0
              ? {
                  errorRate: failedAudits.length / auditedCount,
                  wilson95: wilsonInterval(failedAudits.length, auditedCount, 0.95),
                  clopperPearson95: clopperPearsonInterval(failedAudits.length, auditedCount, 0.95),
                }
              : {};
          const updated = history.map((h) =>
            h.qaRound === input.qaRound ? { ...h, decision: accepted ? 'accepted' : 'rework', failed: failedAudits.length, audited: auditedCount, ...estimate } : h,
          );
          await tx.batch.update({ where: { id: batch.id }, data: { qaHistory: updated as Prisma.InputJsonValue } });
          await appendAudit(tx, {
            action: accepted ? 'qa.lot-accepted' : 'qa.lot-rejected',
            entityType: 'Batch',
            entityId: batch.id,
            data: { qaRound: input.qaRound, failed: failedAudits.length, acceptNumber },
          });
        });
      }
      return { accepted, reworkTaskIds };
    },

    /** Sends failed tasks back for a new round of blind labels; their old labels stay on record. */
    async reopenForRework(input: { batchId: string; qaRound: number; taskIds: string[] }): Promise<{ reopened: number }> {
      const { campaign } = await loadCampaignForBatch(input.batchId);
      let reopened = 0;
      for (const taskId of input.taskIds) {
        const round = await prisma.$transaction(async (tx) => {
          const t = await tx.task.findUniqueOrThrow({ where: { id: taskId }, select: { round: true, status: true } });
          // Idempotent: a task already reopened for this QA round keeps its new round.
          if (t.status !== 'ACCEPTED' || t.round >= input.qaRound) return t.round;
          const next = input.qaRound;
          await tx.task.update({
            where: { id: taskId },
            data: {
              round: next,
              status: 'OPEN',
              openSlots: campaign.overlap,
              agreement: null,
              agreementMetric: null,
              consensus: Prisma.DbNull,
              consensusMethod: null,
              acceptedAt: null,
            },
          });
          await appendAudit(tx, { action: 'task.rework', entityType: 'Task', entityId: taskId, data: { round: next, qaRound: input.qaRound } });
          reopened += 1;
          return next;
        });
        await startTaskWorkflow(taskId, round);
        Context.current().heartbeat({ reopened });
      }
      return { reopened };
    },

    /** Writes the accepted labels to S3 and closes the batch. */
    async completeBatch(input: { batchId: string }): Promise<{ exportKey: string }> {
      const { batch, campaign } = await loadCampaignForBatch(input.batchId);
      const exportKey = `exports/${campaign.id}/${batch.id}/labels.json`;
      if (batch.status === 'ACCEPTED' && batch.exportKey) return { exportKey: batch.exportKey };
      const tasks = await prisma.task.findMany({
        where: { batchId: batch.id, status: 'ACCEPTED' },
        select: { id: true, assetId: true, frameIndex: true, round: true, agreement: true, agreementMetric: true, consensus: true, consensusMethod: true },
        orderBy: { id: 'asc' },
      });
      const body = JSON.stringify({ campaignId: campaign.id, batchId: batch.id, labelSchema: campaign.labelSchema, guidelinesVersion: campaign.guidelinesVersion, tasks });
      await s3.send(
        new PutObjectCommand({ Bucket: config.bucket, Key: exportKey, Body: body, ContentType: 'application/json', ...(config.sse ? { ServerSideEncryption: config.sse } : {}) }),
      );
      await prisma.$transaction(async (tx) => {
        await tx.batch.update({ where: { id: batch.id }, data: { status: 'ACCEPTED', stage: 'DONE', completedAt: new Date(), exportKey } });
        await appendAudit(tx, { action: 'batch.accepted', entityType: 'Batch', entityId: batch.id, data: { tasks: tasks.length, exportKey } });
      });
      return { exportKey };
    },
  };
}

export type LifecycleActivities = ReturnType<typeof createActivities>;

async function submittedLabels(tx: Prisma.TransactionClient, taskId: string, round: number): Promise<SubmittedLabel[]> {
  const rows = await tx.annotation.findMany({
    where: { taskId, submitted: true, assignment: { round, kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' } },
    orderBy: { createdAt: 'asc' },
    select: { id: true, userId: true, data: true },
  });
  return rows.map((r) => ({ annotationId: r.id, userId: r.userId, data: r.data }));
}
