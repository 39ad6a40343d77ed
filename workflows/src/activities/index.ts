// Lifecycle activities. Every one is idempotent: Temporal may run it again after a crash or timeout,
// and a second run finds the work done and changes nothing.
import { Context, log } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { S3Client } from '@aws-sdk/client-s3';
import { Prisma, type PrismaClient } from '@suture/db';
import { labelSchemaSchema, qaSettingsSchema } from '../domain/label-schema.ts';
import { appendAudit } from '../services/audit-log.ts';
import { recordPayable } from '../services/ledger.ts';
import { recordQaNotes } from '../services/feedback-notes.ts';
import { drawSpotCheckSample, spotCheckPlan } from '../lifecycle/spot-check.ts';
import { scoreTask, type SubmittedLabel } from '../lifecycle/scoring.ts';
import { campaignConsensus, CrowdModels } from '../lifecycle/crowd.ts';
import { sweepStageSlas } from '../lifecycle/stage-sla.ts';
import { clopperPearsonInterval, wilsonInterval } from '../quality/index.ts';
import { runExport } from '../export/run.ts';
import { standardFormatFor } from '../export/registry.ts';
import { readObject, runPrelabel } from './prelabel.ts';
import { deidentifyAsset, derivativeKeyFor, sourceFrameOf, type ProxyFrameMap } from './ingest.ts';
import { applyPrivacyBoxes, applyPrivacyDecisions, preparePrivacyReview, type AppliedBoxes, type PrivacyGate } from './privacy.ts';
import type { TextDetector } from '../media/index.ts';
import {
  STALLED_TASK_SECONDS,
  batchNudge,
  batchWorkflowId,
  taskChanged,
  taskWorkflowId,
  type BatchCounts,
  type BatchStageName,
  type QaProgress,
  type TaskLifecycleInput,
  type TaskStageName,
} from '../lifecycle/definitions.ts';

export interface ActivityDeps {
  prisma: PrismaClient;
  s3: S3Client;
  temporal: Client;
  config: {
    bucket: string;
    taskQueue: string;
    sse?: 'AES256' | 'aws:kms' | undefined;
    taskRecheckSeconds?: number;
    deidSecret: string;
    /** SUTURE_ORIGINALS_KEY (32 bytes): wraps the data keys of originals kept encrypted; optional. */
    originalsKey?: Buffer | undefined;
  };
  /** Burned-in text detection for de-identification (PaddleOCR det model through onnxruntime-node). */
  textDetector?: TextDetector;
}

const PAGE = 500;
/** Rows per statement when an activity reads every task of a batch. */
const SAMPLING_PAGE = 5_000;
/** Stalled tasks nudged per progress read at most, and how soon the same task may be nudged again. */
const STALLED_PAGE = 200;
const STALLED_RENUDGE_MS = 60_000;
const STALLED_SWEEP_MS = 10_000;
/** Workflow starts in flight at once while a batch opens (each is one round trip to Temporal). */
const START_CONCURRENCY = 16;
/** Tasks that may open: no asset, or an asset the privacy gate does not hold (services/privacy in the API decides the rest). */
const PAST_PRIVACY_GATE = { OR: [{ assetId: null }, { asset: { privacyStatus: { in: ['NOT_REQUIRED', 'RELEASED'] } } }] } satisfies Prisma.TaskWhereInput;

/** openBatch's checkpoint: tasks opened so far and the last task id of the last finished page. */
interface OpenProgress {
  opened: number;
  after: string | null;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; the first failure rejects. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export function createActivities({ prisma, s3, temporal, config, textDetector }: ActivityDeps) {
  async function loadCampaignForBatch(batchId: string) {
    const batch = await prisma.batch.findUniqueOrThrow({ where: { id: batchId }, include: { campaign: true } });
    return { batch, campaign: batch.campaign, schema: labelSchemaSchema.parse(batch.campaign.labelSchema), qa: qaSettingsSchema.parse(batch.campaign.qaSettings) };
  }

  /** Idempotent: a task round has one workflow; a started or completed one is left alone (a failed one may start again). */
  async function startTaskWorkflow(taskId: string, round: number, checkFirst = true): Promise<void> {
    const args: TaskLifecycleInput = { taskId, round, recheckSeconds: config.taskRecheckSeconds, ...(checkFirst ? {} : { checkFirst: false }) };
    try {
      await temporal.workflow.start('taskLifecycle', {
        taskQueue: config.taskQueue,
        workflowId: taskWorkflowId(taskId, round),
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        args: [args],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  const privacyDeps = () => ({ prisma, s3, bucket: config.bucket, sse: config.sse, heartbeat: (d: unknown) => Context.current().heartbeat(d) });

  /**
   * Opens tasks for claims: each task's workflow is started first (no label can exist yet, so it need not
   * check first), then the task becomes OPEN with the campaign's overlap, a bounded number of starts in
   * flight. Only PENDING tasks past the privacy gate open (checked in the same statement).
   */
  async function openTasks(tasks: Array<{ id: string; round: number }>, overlap: number, onStarted: () => void): Promise<number> {
    await forEachConcurrently(tasks, START_CONCURRENCY, async (t) => {
      await startTaskWorkflow(t.id, t.round, false);
      onStarted();
    });
    const res = await prisma.task.updateMany({
      where: { id: { in: tasks.map((t) => t.id) }, status: 'PENDING', ...PAST_PRIVACY_GATE },
      data: { status: 'OPEN', openSlots: overlap, slots: overlap },
    });
    return res.count;
  }

  /** Crowd models of the campaigns' annotators (each campaign's consensus method), refitted at most once a minute. */
  const crowdModels = new CrowdModels();

  /** When each stalled task was last nudged by this worker: one nudge a minute at most, however often the batch polls. */
  const stalledNudgedAt = new Map<string, number>();
  /** When each batch was last swept for stalled tasks by this worker. */
  const sweptAt = new Map<string, number>();
  /** When each batch's stage SLAs (lifecycle/stage-sla.ts) were last checked by this worker. */
  const slaSweptAt = new Map<string, number>();

  /** Stage SLAs of a batch, from its periodic progress reads (labelling and QA alike), at most once per STALLED_SWEEP_MS. */
  async function checkStageSlas(batchId: string): Promise<void> {
    const now = Date.now();
    if (now - (slaSweptAt.get(batchId) ?? 0) < STALLED_SWEEP_MS) return;
    slaSweptAt.set(batchId, now);
    const swept = await sweepStageSlas(prisma, batchId);
    if (swept.reviewBreaches + swept.qaBreaches + swept.reviewClaimsReleased > 0) log.warn('stage SLAs', { batchId, ...swept });
  }

  /**
   * Signals the workflows of task rounds whose labels (or review) are all stored but that have not moved
   * on for STALLED_TASK_SECONDS: the API's signal was lost (API crash between commit and signal, Temporal
   * unreachable). OPEN tasks without free slots whose labels are all in count too: two submissions that
   * raced used to leave a task OPEN (each counted only its own label), and the count in the database is
   * what decides, not the status a submission wrote. The database says which tasks these are, so task
   * workflows need no frequent timers. A round whose workflow is missing gets it started. At most one
   * sweep per batch every STALLED_SWEEP_MS.
   */
  async function nudgeStalledTasks(batchId: string): Promise<number> {
    const now = Date.now();
    if (now - (sweptAt.get(batchId) ?? 0) < STALLED_SWEEP_MS) return 0;
    sweptAt.set(batchId, now);
    const stalled = await prisma.$queryRaw<Array<{ id: string; round: number }>>`
      SELECT t.id::text AS id, t.round FROM "Task" t JOIN "Campaign" c ON c.id = t."campaignId"
      WHERE t."batchId" = ${batchId}::uuid AND (
        ((t.status = 'LABELED' OR (t.status = 'OPEN' AND t."openSlots" = 0))
          AND (SELECT count(*) FROM "Assignment" a
               WHERE a."taskId" = t.id AND a.round = t.round AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED') >= c.overlap
          AND NOT EXISTS (
            SELECT 1 FROM "Assignment" a WHERE a."taskId" = t.id AND a.round = t.round AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED'
              AND a."submittedAt" > now() - make_interval(secs => ${STALLED_TASK_SECONDS})))
        OR (t.status = 'IN_REVIEW' AND EXISTS (
          SELECT 1 FROM "Review" r WHERE r."taskId" = t.id AND r.round = t.round AND r."createdAt" <= now() - make_interval(secs => ${STALLED_TASK_SECONDS}))))
      ORDER BY t.id
      LIMIT ${STALLED_PAGE}`;
    for (const [key, at] of stalledNudgedAt) if (now - at > 10 * STALLED_RENUDGE_MS) stalledNudgedAt.delete(key);
    let nudged = 0;
    for (const t of stalled) {
      const key = taskWorkflowId(t.id, t.round);
      if (now - (stalledNudgedAt.get(key) ?? 0) < STALLED_RENUDGE_MS) continue;
      stalledNudgedAt.set(key, now);
      try {
        await temporal.workflow.getHandle(key).signal(taskChanged);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        await startTaskWorkflow(t.id, t.round);
      }
      nudged += 1;
    }
    if (nudged > 0) log.warn('nudged stalled tasks (their signals were lost)', { batchId, tasks: nudged });
    return nudged;
  }

  /**
   * Wakes a batch's workflow: a hint, since the batch re-reads the database. A batch not running (finished, or
   * not started by a workflow, as in some tests) has nothing to wake; any other failure is left to the batch's
   * idle re-check rather than failing the step that already committed.
   */
  async function nudgeBatchWorkflow(batchId: string): Promise<void> {
    try {
      await temporal.workflow.getHandle(batchWorkflowId(batchId)).signal(batchNudge);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) log.warn('batch nudge failed; the batch re-checks on its own', { batchId, error: (error as Error).name });
    }
  }

  /**
   * Frame tasks of ingested videos get their frame's number in the uploaded source (what the API and the
   * exports give out), from the video's frame index; the proxy frame stays what the workspace plays.
   */
  async function numberSourceFrames(batchId: string): Promise<void> {
    const videos = await prisma.asset.findMany({
      where: { kind: 'VIDEO', status: 'READY', tasks: { some: { batchId, frameIndex: { not: null }, sourceFrame: null } } },
      select: { id: true, campaignId: true },
    });
    for (const video of videos) {
      const map = JSON.parse(new TextDecoder().decode(await readObject(s3, config.bucket, derivativeKeyFor(video, 'frames.json')))) as ProxyFrameMap;
      const tasks = await prisma.task.findMany({ where: { batchId, assetId: video.id, frameIndex: { not: null }, sourceFrame: null }, select: { id: true, frameIndex: true } });
      const inRange = tasks.filter((t) => t.frameIndex! < map.frameCount);
      if (inRange.length === 0) continue;
      await prisma.$executeRaw`
        UPDATE "Task" t SET "sourceFrame" = v.source
        FROM unnest(${inRange.map((t) => t.id)}::uuid[], ${inRange.map((t) => sourceFrameOf(map, t.frameIndex!))}::int[]) AS v(id, source)
        WHERE t.id = v.id`;
      Context.current().heartbeat({ sourceFrames: video.id });
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
                {
                  prisma,
                  s3,
                  bucket: config.bucket,
                  sse: config.sse,
                  deidSecret: config.deidSecret,
                  originalsKey: config.originalsKey,
                  textDetector,
                  heartbeat: (d) => Context.current().heartbeat(d),
                },
                asset,
              )
            : asset.status;
        if (outcome === 'READY') ready += 1;
        else failed += 1;
        // A flagged asset waits for a privacy officer: its review (base copies, sampled frames) is made now.
        if (outcome === 'READY' && (asset.status === 'QUARANTINED' || asset.privacyStatus === 'PENDING_REVIEW')) await preparePrivacyReview(privacyDeps(), asset.id);
      }
      if (failed > 0) {
        await prisma.$transaction(async (tx) => {
          const excluded = await tx.task.updateMany({ where: { batchId: input.batchId, status: 'PENDING', asset: { status: { not: 'READY' } } }, data: { status: 'EXCLUDED' } });
          if (excluded.count > 0)
            await appendAudit(tx, { action: 'batch.tasks-excluded', entityType: 'Batch', entityId: input.batchId, data: { tasks: excluded.count, assets: failed } });
        });
      }
      // Frame tasks made before their video was ingested could not be checked against its length: those
      // past the end of the proxy (after the trim) are left out rather than shown as a frame that is not there.
      await prisma.$transaction(async (tx) => {
        const pastEnd = await tx.$executeRaw`
          UPDATE "Task" t SET status = 'EXCLUDED'
          FROM "Asset" a
          WHERE t."assetId" = a.id AND t."batchId" = ${input.batchId}::uuid AND t.status = 'PENDING' AND t."frameIndex" IS NOT NULL
            AND a.kind = 'VIDEO' AND a.status = 'READY' AND jsonb_typeof(a.metadata->'proxy'->'frameCount') = 'number'
            AND t."frameIndex" >= (a.metadata->'proxy'->>'frameCount')::int`;
        if (pastEnd > 0)
          await appendAudit(tx, {
            action: 'batch.tasks-excluded',
            entityType: 'Batch',
            entityId: input.batchId,
            data: { tasks: pastEnd, reason: 'frame past the end of the video' },
          });
      });
      await numberSourceFrames(input.batchId);
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

    /**
     * Starts each pending task's workflow, then opens the task for claims: page by page in task id
     * order, a bounded number of starts in flight, heartbeating as it goes. A retry resumes after the
     * last page a previous attempt finished (heartbeat details); a start it repeats is a no-op.
     */
    async openBatch(input: { batchId: string }): Promise<{ opened: number }> {
      const ctx = Context.current();
      const { campaign } = await loadCampaignForBatch(input.batchId);
      const resumed = ctx.info.heartbeatDetails as OpenProgress | undefined;
      let opened = resumed?.opened ?? 0;
      let after = resumed?.after ?? null;
      for (;;) {
        // Tasks of assets waiting for a privacy officer stay PENDING: the batch opens them once released.
        const tasks = await prisma.task.findMany({
          where: { batchId: input.batchId, status: 'PENDING', ...PAST_PRIVACY_GATE, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, round: true },
          orderBy: { id: 'asc' },
          take: PAGE,
        });
        if (tasks.length === 0) break;
        opened += await openTasks(tasks, campaign.overlap, () => ctx.heartbeat({ opened, after } satisfies OpenProgress));
        after = tasks[tasks.length - 1]!.id;
        ctx.heartbeat({ opened, after } satisfies OpenProgress);
      }
      await prisma.$transaction((tx) => appendAudit(tx, { action: 'batch.opened', entityType: 'Batch', entityId: input.batchId, data: { tasks: opened } }));
      return { opened };
    },

    /**
     * The privacy gate of a batch: opens the tasks of assets a privacy officer released, takes those of
     * rejected assets out of the batch (their derivatives deleted) and counts the assets still waiting.
     */
    async applyPrivacyDecisions(input: { batchId: string }): Promise<PrivacyGate> {
      const { campaign } = await loadCampaignForBatch(input.batchId);
      return applyPrivacyDecisions(privacyDeps(), input.batchId, (tasks) => openTasks(tasks, campaign.overlap, () => Context.current().heartbeat({ opening: tasks.length })));
    },

    /** Blacks out a privacy officer's boxes on a flagged asset's de-identified derivatives (privacyRedaction workflow). */
    async applyPrivacyBoxes(input: { assetId: string }): Promise<AppliedBoxes> {
      return applyPrivacyBoxes(privacyDeps(), input.assetId);
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
      const stalledNudged = count('OPEN') + count('LABELED') + count('IN_REVIEW') > 0 ? await nudgeStalledTasks(input.batchId) : 0;
      if (count('IN_REVIEW') > 0) await checkStageSlas(input.batchId);
      return {
        total: byStatus.reduce((s, b) => s + Number(b.n), 0),
        pending: count('PENDING'),
        open: count('OPEN'),
        labeled: count('LABELED'),
        inReview: count('IN_REVIEW'),
        accepted: count('ACCEPTED'),
        activeClaims: Number(active?.n ?? 0),
        releasedClaims: released,
        stalledNudged,
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
      if (peek && peek.round === input.round && (peek.status === 'OPEN' || peek.status === 'PENDING') && Number(peek.submitted) < peek.overlap) {
        return { stage: 'LABELING', submitted: Number(peek.submitted), agreement: null, superseded: false };
      }
      let batchId: string | null = null;
      const step = await prisma.$transaction(async (tx): Promise<{ stage: TaskStageName; submitted: number; agreement: number | null; superseded: boolean }> => {
        const [task] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Task" WHERE id = ${input.taskId}::uuid FOR UPDATE`;
        if (!task) throw new Error(`task ${input.taskId} does not exist`);
        const t = await tx.task.findUniqueOrThrow({ where: { id: input.taskId }, include: { campaign: true, asset: { select: { kind: true, metadata: true } } } });
        batchId = t.batchId;
        if (t.round !== input.round) return { stage: 'ACCEPTED', submitted: 0, agreement: t.agreement, superseded: true };
        const labels = await submittedLabels(tx, t.id, t.round);
        if (t.status === 'ACCEPTED') return { stage: 'ACCEPTED', submitted: labels.length, agreement: t.agreement, superseded: false };
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
        // Scoring is pure and deterministic: a label it refuses sends the task to an expert with the reason,
        // never into an activity retry loop that would hold the task and its batch for good.
        const schema = labelSchemaSchema.parse(t.campaign.labelSchema);
        const consensus = campaignConsensus(schema, t.campaign.qaSettings);
        const crowd = consensus.ok ? await crowdModels.get(tx, t.campaignId, schema, consensus.value) : null;
        const score = scoreTask({ schema, asset: t.asset, frame: t.frameIndex, taskId: t.id, consensus, crowd }, labels, t.campaign.agreementThreshold);
        if (score.outcome === 'accept') {
          await tx.task.update({
            where: { id: t.id },
            data: {
              status: 'ACCEPTED',
              agreement: score.agreement.value,
              agreementMetric: score.agreement.metric,
              consensus: score.consensus.data as Prisma.InputJsonValue,
              consensusMethod: score.consensus.method,
              reviewReason: null,
              acceptedAt: new Date(),
            },
          });
          await appendAudit(tx, { action: 'task.accepted', entityType: 'Task', entityId: t.id, data: { round: t.round, via: 'agreement', agreement: score.agreement.value } });
          return { stage: 'ACCEPTED', submitted: labels.length, agreement: score.agreement.value, superseded: false };
        }
        const agreement = score.agreement?.value ?? null;
        await tx.task.update({
          where: { id: t.id },
          data: { status: 'IN_REVIEW', agreement, agreementMetric: score.agreement?.metric ?? null, reviewReason: score.reason },
        });
        if (score.outcome === 'unscorable') log.warn('labels refused by the quality engine; the task goes to expert review', { taskId: t.id, reason: score.reason });
        await appendAudit(tx, { action: 'task.review-required', entityType: 'Task', entityId: t.id, data: { round: t.round, agreement, reason: score.code } });
        return { stage: 'REVIEW', submitted: labels.length, agreement, superseded: false };
      });
      // The batch waits on events, not on a clock: an accepted task wakes it (after the commit, so its read
      // sees the task accepted). A retry of this activity nudges again, which is harmless.
      if (step.stage === 'ACCEPTED' && !step.superseded && batchId) await nudgeBatchWorkflow(batchId);
      return step;
    },

    /** Draws the round's seeded, stratified spot-check sample; a re-run finds the drawn sample. */
    async drawSpotCheck(input: { batchId: string; qaRound: number }): Promise<{ sampleSize: number; lotSize: number }> {
      const { batch, qa } = await loadCampaignForBatch(input.batchId);
      const existing = await prisma.qaAudit.count({ where: { batchId: batch.id, qaRound: input.qaRound } });
      if (existing > 0) return { sampleSize: existing, lotSize: await prisma.task.count({ where: { batchId: batch.id, status: 'ACCEPTED' } }) };
      const accepted = await acceptedTasksForSampling(prisma, batch.id);
      const plan = spotCheckPlan(accepted.length, qa);
      // Riskier tasks (low agreement, low model confidence) are drawn more often within their stratum.
      const items = accepted.map((t) => ({
        id: t.id,
        stratum: t.stratum,
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
      if (Number(row?.audited ?? 0) < Number(row?.sampled ?? 0)) await checkStageSlas(input.batchId);
      return { sampled: Number(row?.sampled ?? 0), audited: Number(row?.audited ?? 0), failed: Number(row?.failed ?? 0) };
    },

    /** Accepts the lot when failures stay within the plan's acceptance number; otherwise names the tasks to rework. */
    async decideLot(input: { batchId: string; qaRound: number }): Promise<{ accepted: boolean; reworkTaskIds: string[] }> {
      // The batch row is locked while the verdicts are read and the decision written: an auditor's change of
      // verdict (submitAuditVerdict locks the same row) lands wholly before the decision or is refused after it.
      return prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Batch" WHERE id = ${input.batchId}::uuid FOR UPDATE`;
        const batch = await tx.batch.findUniqueOrThrow({ where: { id: input.batchId }, select: { id: true, qaHistory: true } });
        const failedAudits = await tx.qaAudit.findMany({
          where: { batchId: batch.id, qaRound: input.qaRound, verdict: 'FAIL' },
          select: { taskId: true, auditorId: true, notes: true },
          orderBy: { taskId: 'asc' },
        });
        const auditedCount = await tx.qaAudit.count({ where: { batchId: batch.id, qaRound: input.qaRound, verdict: { not: null } } });
        const history = Array.isArray(batch.qaHistory) ? (batch.qaHistory as Array<{ qaRound?: number; plan?: { acceptNumber?: number }; decision?: string }>) : [];
        const entry = history.find((h) => h.qaRound === input.qaRound);
        const acceptNumber = entry?.plan?.acceptNumber ?? 0;
        // A retry after the decision was recorded answers with that decision (verdicts cannot change after it).
        const accepted = entry?.decision !== undefined ? entry.decision === 'accepted' : failedAudits.length <= acceptNumber;
        // Accepted lots still fix the failures found; rejected lots rework them before the next round.
        const reworkTaskIds = accepted ? [] : failedAudits.map((a) => a.taskId);
        if (entry?.decision === undefined) {
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
          // Each failed audit's note reaches the annotators whose label it judged (once: only with the decision).
          for (const audit of failedAudits) await recordQaNotes(tx, audit);
          await appendAudit(tx, {
            action: accepted ? 'qa.lot-accepted' : 'qa.lot-rejected',
            entityType: 'Batch',
            entityId: batch.id,
            data: { qaRound: input.qaRound, failed: failedAudits.length, acceptNumber },
          });
        }
        return { accepted, reworkTaskIds };
      });
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
              slots: campaign.overlap,
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

    /**
     * Writes the accepted labels to S3 (the native export, and the kind's standard format beside it) and
     * closes the batch. Exports are deterministic: a retry rewrites the same bytes.
     */
    async completeBatch(input: { batchId: string }): Promise<{ exportKey: string }> {
      const { batch, campaign, schema } = await loadCampaignForBatch(input.batchId);
      if (batch.status === 'ACCEPTED' && batch.exportKey) return { exportKey: batch.exportKey };
      const deps = {
        prisma,
        s3,
        bucket: config.bucket,
        sse: config.sse,
        pseudonymSecret: config.deidSecret,
        onProgress: (read: number) => Context.current().heartbeat({ exported: read }),
      };
      const exported = await runExport(deps, { campaignId: campaign.id, batchId: batch.id, format: 'native' });
      const assetKinds = await prisma.asset.findMany({ where: { tasks: { some: { batchId: batch.id, status: 'ACCEPTED' } } }, distinct: ['kind'], select: { kind: true } });
      const standard = standardFormatFor(
        schema.geometry,
        assetKinds.map((a) => a.kind),
      );
      const standardExport = standard ? await runExport(deps, { campaignId: campaign.id, batchId: batch.id, format: standard.id }) : null;
      const exportKey = exported.key;
      await prisma.$transaction(async (tx) => {
        await tx.batch.update({ where: { id: batch.id }, data: { status: 'ACCEPTED', stage: 'DONE', completedAt: new Date(), exportKey } });
        await appendAudit(tx, {
          action: 'batch.accepted',
          entityType: 'Batch',
          entityId: batch.id,
          data: { tasks: exported.items, exportKey, ...(standardExport ? { standardExportKey: standardExport.key } : {}) },
        });
      });
      return { exportKey };
    },
  };
}

export type LifecycleActivities = ReturnType<typeof createActivities>;

interface SamplingCandidate {
  id: string;
  round: number;
  agreement: number | null;
  modelConfidence: number | null;
  /** The annotators whose labels of the current round formed the consensus, sorted and joined with '+'. */
  stratum: string;
}

/**
 * Every accepted task of a batch with what the spot-check draw needs, in task id order. Page by page
 * (keyset on id), each page one statement: the annotators come from a subquery, not from a list of
 * task ids bound as parameters (PostgreSQL allows 65,535 per statement; a batch may hold 100,000 tasks).
 */
async function acceptedTasksForSampling(prisma: PrismaClient, batchId: string): Promise<SamplingCandidate[]> {
  const out: SamplingCandidate[] = [];
  for (let after: string | null = null; ;) {
    const page: Array<{ id: string; round: number; agreement: number | null; modelConfidence: number | null; annotators: string[] | null }> = await prisma.$queryRaw`
      SELECT t.id::text AS id, t.round, t.agreement, t."modelConfidence",
             (SELECT array_agg(DISTINCT a."userId"::text) FROM "Assignment" a
              WHERE a."taskId" = t.id AND a.round = t.round AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED') AS annotators
      FROM "Task" t
      WHERE t."batchId" = ${batchId}::uuid AND t.status = 'ACCEPTED' AND (${after}::uuid IS NULL OR t.id > ${after}::uuid)
      ORDER BY t.id
      LIMIT ${SAMPLING_PAGE}`;
    for (const t of page) out.push({ id: t.id, round: t.round, agreement: t.agreement, modelConfidence: t.modelConfidence, stratum: [...(t.annotators ?? [])].sort().join('+') });
    if (page.length < SAMPLING_PAGE) return out;
    after = page[page.length - 1]!.id;
    Context.current().heartbeat({ read: out.length });
  }
}

async function submittedLabels(tx: Prisma.TransactionClient, taskId: string, round: number): Promise<SubmittedLabel[]> {
  const rows = await tx.annotation.findMany({
    where: { taskId, submitted: true, assignment: { round, kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' } },
    orderBy: { createdAt: 'asc' },
    select: { id: true, userId: true, data: true },
  });
  return rows.map((r) => ({ annotationId: r.id, userId: r.userId, data: r.data }));
}
