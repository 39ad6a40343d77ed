// Batches: a set of tasks over a campaign's assets, run by one batchLifecycle workflow.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { batchState, batchWorkflowId, type BatchLifecycleState } from '@suture/workflows/lifecycle/definitions';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.ts';
import { displayName } from '@suture/workflows/domain/text';

export const MAX_TASKS_PER_BATCH = 100_000;

/** Problems listed in full up to this many; the rest are counted (a 100,000-asset batch could otherwise answer with megabytes). */
const MAX_LISTED_PROBLEMS = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function listed(items: string[]): string[] {
  return items.length > MAX_LISTED_PROBLEMS ? [...items.slice(0, MAX_LISTED_PROBLEMS), `and ${items.length - MAX_LISTED_PROBLEMS} more`] : items;
}

/**
 * Creates a batch of tasks: one per asset, or one per listed frame of each asset. Linear in the number of
 * assets and with a fixed number of statement parameters whatever the size (the ids travel as one array),
 * so the largest batch (MAX_TASKS_PER_BATCH) is written in one transaction or not at all.
 */
export async function createBatch(
  services: Services,
  actor: AuthUser,
  input: { campaignId: string; name: string; assetIds: string[]; frames?: number[] | null; pilot?: boolean },
): Promise<string> {
  const named = displayName().safeParse(input.name);
  if (!named.success) throw new InvalidInputError(`batch name ${named.error.issues[0]?.message ?? 'is not acceptable'}`);
  if (input.assetIds.length === 0) throw new InvalidInputError('a batch needs at least one asset');
  const frames = input.frames && input.frames.length > 0 ? [...new Set(input.frames)] : null;
  if (frames?.some((f) => !Number.isInteger(f) || f < 0)) throw new InvalidInputError('frames must be non-negative integers');
  const unique = [...new Set(input.assetIds)];
  const tasks = unique.length * (frames?.length ?? 1);
  if (tasks > MAX_TASKS_PER_BATCH) throw new InvalidInputError(`a batch holds at most ${MAX_TASKS_PER_BATCH} tasks; split it`);
  const malformed = unique.filter((id) => !UUID.test(id));
  if (malformed.length) throw new InvalidInputError('asset ids must be UUIDs', listed(malformed.map((m) => `asset ${JSON.stringify(m.slice(0, 64))}`)));
  return services.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({ where: { id: input.campaignId }, select: { id: true, status: true } });
    if (!campaign) throw new NotFoundError('campaign');
    if (campaign.status === 'CLOSED') throw new DomainError('CONFLICT', 'the campaign is closed');
    const assets = await tx.$queryRaw<Array<{ id: string; status: string; kind: string; proxyFrames: unknown; privacyStatus: string }>>`
      SELECT id::text AS id, status::text AS status, kind::text AS kind, metadata -> 'proxy' -> 'frameCount' AS "proxyFrames", "privacyStatus"::text AS "privacyStatus"
      FROM "Asset" WHERE "campaignId" = ${campaign.id}::uuid AND id = ANY(${unique}::uuid[])`;
    const found = new Set(assets.map((a) => a.id.toLowerCase()));
    const missing = unique.filter((id) => !found.has(id.toLowerCase()));
    if (missing.length) throw new InvalidInputError('assets not in this campaign', listed(missing.map((m) => `asset ${m}`)));
    const notUploaded = assets.filter((a) => a.status === 'AWAITING_UPLOAD').map((a) => a.id);
    if (notUploaded.length) throw new InvalidInputError('assets still uploading', listed(notUploaded.map((m) => `asset ${m}`)));
    const rejected = assets.filter((a) => a.privacyStatus === 'REJECTED').map((a) => a.id);
    if (rejected.length) throw new InvalidInputError('assets rejected by privacy review (nothing of them may be labelled)', listed(rejected.map((m) => `asset ${m}`)));
    // Frame tasks of an ingested video address frames of its proxy (after the ops manager's trim), not of the upload.
    const maxFrame = frames ? frames.reduce((max, f) => Math.max(max, f), -1) : -1;
    if (maxFrame >= 0) {
      const tooFew = assets
        .map((a) => ({ id: a.id, frames: a.kind === 'VIDEO' && a.status === 'READY' ? proxyFrameCount(a.proxyFrames) : null }))
        .filter((a): a is { id: string; frames: number } => a.frames !== null && maxFrame >= a.frames);
      if (tooFew.length)
        throw new InvalidInputError(
          `frame ${maxFrame} is past the end of the video`,
          listed(tooFew.map((a) => `asset ${a.id} has ${a.frames} frames (0..${a.frames - 1}) in its proxy`)),
        );
    }
    const batch = await tx.batch.create({ data: { campaignId: campaign.id, name: named.data, pilot: input.pilot ?? false } });
    // One statement, two array parameters: assets in the order given, each asset's frames in the order given.
    const inserted = frames
      ? await tx.$executeRaw`
          INSERT INTO "Task" (id, "batchId", "campaignId", "assetId", "frameIndex")
          SELECT gen_random_uuid(), ${batch.id}::uuid, ${campaign.id}::uuid, a.id, f.frame
          FROM unnest(${unique}::uuid[]) WITH ORDINALITY AS a(id, n)
          CROSS JOIN unnest(${frames}::int[]) WITH ORDINALITY AS f(frame, m)
          ORDER BY a.n, f.m`
      : await tx.$executeRaw`
          INSERT INTO "Task" (id, "batchId", "campaignId", "assetId")
          SELECT gen_random_uuid(), ${batch.id}::uuid, ${campaign.id}::uuid, a.id
          FROM unnest(${unique}::uuid[]) WITH ORDINALITY AS a(id, n)
          ORDER BY a.n`;
    if (inserted !== tasks) throw new Error(`createBatch wrote ${inserted} tasks instead of ${tasks}`);
    await appendAudit(tx, { actorId: actor.id, action: 'batch.created', entityType: 'Batch', entityId: batch.id, data: { tasks, pilot: input.pilot ?? false } });
    return batch.id;
  });
}

/** Frames of a READY video's proxy (after trim), from its ingest metadata (metadata.proxy.frameCount); null when unknown (ingested before it was recorded). */
function proxyFrameCount(count: unknown): number | null {
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : null;
}

export async function startBatch(services: Services, actor: AuthUser, batchId: string): Promise<string> {
  const { prisma, temporal, config } = services;
  const batch = await prisma.batch.findUnique({ where: { id: batchId }, include: { campaign: { select: { status: true } } } });
  if (!batch) throw new NotFoundError('batch');
  if (batch.campaign.status !== 'ACTIVE') throw new DomainError('CONFLICT', 'activate the campaign before starting its batches');
  const workflowId = batchWorkflowId(batch.id);
  try {
    await temporal.workflow.start('batchLifecycle', {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [{ batchId: batch.id, pollSeconds: config.BATCH_POLL_SECONDS, historyBudget: config.BATCH_HISTORY_BUDGET }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  if (batch.workflowId !== workflowId) {
    await prisma.$transaction(async (tx) => {
      await tx.batch.update({ where: { id: batch.id }, data: { workflowId, status: 'RUNNING', startedAt: new Date() } });
      await appendAudit(tx, { actorId: actor.id, action: 'batch.started', entityType: 'Batch', entityId: batch.id });
    });
  }
  return batch.id;
}

export interface BatchProgress {
  total: number;
  pending: number;
  open: number;
  labeled: number;
  inReview: number;
  accepted: number;
  excluded: number;
  labelsSubmitted: number;
  labelsNeeded: number;
  qaSampled: number;
  qaAudited: number;
  qaFailed: number;
  /** Assets of the batch waiting for a privacy officer (services/privacy.ts). */
  privacyWaiting: number;
}

/** Progress read straight from PostgreSQL (the workflow mirrors its state there). Gold tasks (services/gold.ts) are not the batch's work. */
export async function batchProgress(services: Services, batchId: string): Promise<BatchProgress> {
  const { prisma } = services;
  const [rows, [labels], [qa], [privacy]] = await Promise.all([
    prisma.$queryRaw<Array<{ status: string; n: bigint }>>`
      SELECT status::text AS status, count(*)::bigint AS n FROM "Task" WHERE "batchId" = ${batchId}::uuid AND "goldItemId" IS NULL GROUP BY status`,
    prisma.$queryRaw<Array<{ submitted: bigint; needed: bigint }>>`
      SELECT (SELECT count(*) FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId" WHERE t."batchId" = ${batchId}::uuid AND t."goldItemId" IS NULL AND a.kind IN ('LABEL','REWORK') AND a.status = 'SUBMITTED')::bigint AS submitted,
             (SELECT coalesce(sum(c.overlap), 0) FROM "Task" t JOIN "Campaign" c ON c.id = t."campaignId" WHERE t."batchId" = ${batchId}::uuid AND t.status <> 'EXCLUDED')::bigint AS needed`,
    prisma.$queryRaw<Array<{ sampled: bigint; audited: bigint; failed: bigint }>>`
      SELECT count(*)::bigint AS sampled, count(q.verdict)::bigint AS audited, count(*) FILTER (WHERE q.verdict = 'FAIL')::bigint AS failed
      FROM "QaAudit" q JOIN "Batch" b ON b.id = q."batchId" AND q."qaRound" = b."qaRound" WHERE q."batchId" = ${batchId}::uuid`,
    prisma.$queryRaw<Array<{ waiting: bigint }>>`
      SELECT count(DISTINCT a.id)::bigint AS waiting FROM "Task" t JOIN "Asset" a ON a.id = t."assetId"
      WHERE t."batchId" = ${batchId}::uuid AND a."privacyStatus" = 'PENDING_REVIEW'`,
  ]);
  const n = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
  return {
    total: rows.reduce((s, r) => s + Number(r.n), 0) - n('EXCLUDED'),
    pending: n('PENDING'),
    open: n('OPEN'),
    labeled: n('LABELED'),
    inReview: n('IN_REVIEW'),
    accepted: n('ACCEPTED'),
    excluded: n('EXCLUDED'),
    labelsSubmitted: Number(labels?.submitted ?? 0),
    labelsNeeded: Number(labels?.needed ?? 0),
    qaSampled: Number(qa?.sampled ?? 0),
    qaAudited: Number(qa?.audited ?? 0),
    qaFailed: Number(qa?.failed ?? 0),
    privacyWaiting: Number(privacy?.waiting ?? 0),
  };
}

/** The workflow's own view (stage, QA round), for operators; null when the workflow is not running. */
export async function lifecycleState(services: Services, batchId: string): Promise<BatchLifecycleState | null> {
  try {
    return await services.temporal.workflow.getHandle(batchWorkflowId(batchId)).query(batchState);
  } catch {
    // Not started, finished and closed, or Temporal unreachable: the database mirror still answers.
    return null;
  }
}
