// Fair, deadline-aware queues around the claim statement (work.ts, claimSql): why nothing was claimable, an
// annotator skipping a task with a reason, ops' batch schedule and campaign caps and stage SLAs, and alerts.
import { z } from 'zod';
import { Prisma } from '@suture/db';
import { freeText } from '@suture/workflows/domain/text';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { peopleGateReasons } from './qualification.ts';
import { assertAnnotator, ownActiveAssignment } from './work.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidInputError(
    `invalid ${what}`,
    result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  );
}

// ---------------------------------------------------------------------------------------------------
// Why no task: asked only after the claim statement found nothing, so the hot path pays nothing for it.

interface Membership {
  pausedAt: Date | null;
  pauseReason: string | null;
  campaign: { id: string; name: string; budgetBlockedAt: Date | null; capPerBatch: number | null; capSharePerBatch: number | null; overlap: number };
}

/**
 * The error for a claim that found nothing, in words when the reason is the annotator's or the campaign's
 * state: paused in every campaign they could label in, the budget spent, or their cap reached in every open
 * batch. Anything else (no task waiting, skills, privacy gate) is the usual NO_TASK_AVAILABLE.
 */
export async function noTaskError(services: Services, userId: string, campaignId: string | null): Promise<DomainError> {
  const fallback = new DomainError('NO_TASK_AVAILABLE', 'no task matching your skills is waiting right now');
  const memberships: Membership[] = await services.prisma.campaignMember.findMany({
    where: { userId, roles: { has: 'ANNOTATOR' }, campaign: { status: 'ACTIVE', ...(campaignId ? { id: campaignId } : {}) } },
    select: {
      pausedAt: true,
      pauseReason: true,
      campaign: { select: { id: true, name: true, budgetBlockedAt: true, capPerBatch: true, capSharePerBatch: true, overlap: true } },
    },
  });
  if (memberships.length === 0) return fallback;
  const open = memberships.filter((m) => m.pausedAt === null && m.campaign.budgetBlockedAt === null);
  if (open.length === 0) {
    const blocked = memberships.find((m) => m.pausedAt === null);
    if (blocked) return new DomainError('BUDGET_EXCEEDED', `campaign '${blocked.campaign.name}' has spent its budget: no labelling work until finance raises it`);
    // Paused everywhere: services/gold.ts refuses such a claim before the statement runs; the same words here.
    const paused = memberships[0]!;
    const reason = memberships.length === 1 && paused.pauseReason ? ` (${paused.pauseReason})` : '';
    return new ForbiddenError(
      `you are paused on ${memberships.length === 1 ? 'this campaign' : 'every campaign you annotate'}${reason}: an operations manager must lift the pause before you can claim its tasks`,
    );
  }
  // People gates (credential, qualification): claimSql refuses such campaigns; when every one is held by one, say why.
  const gates = await peopleGateReasons(
    services,
    userId,
    open.map((m) => m.campaign.id),
  );
  if (gates.size === open.length) return new ForbiddenError([...gates.values()].join('; '));
  const unread = await unacknowledgedGuidelines(
    services,
    userId,
    open.map((m) => m.campaign.id),
  );
  if (unread.length === open.length) {
    const first = unread[0]!;
    return new ForbiddenError(
      `the guidelines of campaign '${first.name}' changed (version ${first.version}): read what changed and acknowledge it (acknowledgeGuidelines) before claiming its tasks`,
    );
  }
  const capped = await cappedEverywhere(services, userId, open);
  return capped ?? fallback;
}

/** The campaigns (of `campaignIds`) whose current guidelines the annotator has not acknowledged (claimSql refuses their tasks). */
async function unacknowledgedGuidelines(services: Services, userId: string, campaignIds: string[]): Promise<Array<{ name: string; version: number }>> {
  const campaigns = await services.prisma.campaign.findMany({
    where: { id: { in: campaignIds }, guidelinesVersion: { gt: 1 } },
    select: { id: true, name: true, guidelinesVersion: true },
  });
  if (campaigns.length === 0) return [];
  const acks = await services.prisma.guidelineAck.findMany({
    where: { userId, OR: campaigns.map((c) => ({ campaignId: c.id, version: c.guidelinesVersion })) },
    select: { campaignId: true },
  });
  return campaigns.filter((c) => !acks.some((a) => a.campaignId === c.id)).map((c) => ({ name: c.name, version: c.guidelinesVersion }));
}

/**
 * When every batch with open slots in the annotator's open campaigns is one where they reached the campaign's
 * cap, the error saying so; null otherwise (a batch without a cap, or one under it, has work or has none).
 */
async function cappedEverywhere(services: Services, userId: string, open: Membership[]): Promise<DomainError | null> {
  const campaigns = new Map(open.map((m) => [m.campaign.id, m.campaign]));
  const batches = await services.prisma.$queryRaw<Array<{ id: string; campaignId: string; tasks: bigint; mine: bigint }>>`
    SELECT b.id::text AS id, b."campaignId"::text AS "campaignId",
           (SELECT count(*) FROM "Task" bt WHERE bt."batchId" = b.id AND bt.status <> 'EXCLUDED') AS tasks,
           (SELECT count(*) FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
            WHERE t."batchId" = b.id AND t."goldItemId" IS NULL AND a."userId" = ${userId}::uuid
              AND a.status IN ('ACTIVE', 'SUBMITTED') AND a.kind IN ('LABEL', 'REWORK')) AS mine
    FROM "Batch" b
    WHERE b."campaignId" IN (${Prisma.join([...campaigns.keys()].map((id) => Prisma.sql`${id}::uuid`))})
      AND b.status NOT IN ('ACCEPTED', 'FAILED')
      AND EXISTS (SELECT 1 FROM "Task" t WHERE t."batchId" = b.id AND t.status = 'OPEN' AND t."openSlots" > 0)`;
  if (batches.length === 0) return null;
  const atCap = batches.every((b) => {
    const c = campaigns.get(b.campaignId)!;
    const labels = Number(b.mine);
    return (c.capPerBatch !== null && labels >= c.capPerBatch) || (c.capSharePerBatch !== null && labels + 1 > c.capSharePerBatch * Number(b.tasks) * c.overlap);
  });
  if (!atCap) return null;
  const caps = [...new Set(batches.map((b) => capWords(campaigns.get(b.campaignId)!)))].join('; ');
  return new DomainError('NO_TASK_AVAILABLE', `you reached your cap in every open batch (${caps}); other annotators finish the rest`);
}

function capWords(c: Membership['campaign']): string {
  const parts = [
    c.capPerBatch !== null ? `${c.capPerBatch} labels per batch` : null,
    c.capSharePerBatch !== null ? `${Math.round(c.capSharePerBatch * 1000) / 10}% of a batch's labels` : null,
  ];
  return parts.filter(Boolean).join(' or ');
}

// ---------------------------------------------------------------------------------------------------
// Skip / release by the annotator.

/** The reasons the workspace offers; anything else is 'other' (free text). Keys are what the audit log keeps. */
export const SKIP_REASONS = {
  IMAGE_UNREADABLE: 'image unreadable',
  OUTSIDE_EXPERTISE: 'outside my expertise',
  GUIDELINE_UNCLEAR: 'guideline unclear',
} as const;
export type SkipCategory = keyof typeof SKIP_REASONS | 'OTHER';

const releaseReasonSchema = freeText(500)
  .transform((s) => s.normalize('NFC').trim())
  .pipe(z.string().min(1, 'say why you skip this task'));

/** The category of a reason: one of the listed reasons exactly (case aside), else OTHER. */
export function skipCategoryOf(reason: string): SkipCategory {
  const normalized = reason.trim().toLowerCase();
  const hit = (Object.entries(SKIP_REASONS) as Array<[keyof typeof SKIP_REASONS, string]>).find(([, text]) => text === normalized);
  return hit ? hit[0] : 'OTHER';
}

/**
 * The annotator gives back their active labelling claim with a reason: the assignment is RELEASED with the
 * reason, the slot opens again for someone else, a SKIP comment keeps the reason with the task, and the claim
 * statement never offers this task to them again in this round. The audit event has the reason's category
 * only: free text may name a patient.
 */
export async function releaseTask(services: Services, user: AuthUser, assignmentId: string, reason: string): Promise<string> {
  assertAnnotator(user);
  if (!UUID.test(assignmentId)) throw new NotFoundError(`assignment ${assignmentId.slice(0, 64)}`);
  const text = parseOrThrow(releaseReasonSchema, reason, 'reason');
  const category = skipCategoryOf(text);
  return services.prisma.$transaction(async (tx) => {
    // Task before assignment, the order every path takes (submitAnnotation, the claim statement).
    await tx.$queryRaw`SELECT t.id FROM "Task" t JOIN "Assignment" a ON a."taskId" = t.id WHERE a.id = ${assignmentId}::uuid FOR UPDATE OF t`;
    const a = await ownActiveAssignment(tx, user, assignmentId, ['LABEL', 'REWORK']);
    if (a.status !== 'ACTIVE') throw new DomainError('CONFLICT', 'this assignment is already submitted; there is nothing to skip');
    const now = new Date();
    await tx.assignment.update({ where: { id: a.id }, data: { status: 'RELEASED', releaseReason: text, releasedAt: now, lastHeartbeatAt: now } });
    await tx.task.update({ where: { id: a.taskId }, data: { openSlots: { increment: 1 } } });
    await tx.taskComment.create({ data: { taskId: a.taskId, round: a.round, authorId: user.id, kind: 'SKIP', body: text } });
    await appendAudit(tx, {
      actorId: user.id,
      action: 'task.skipped',
      entityType: 'Task',
      entityId: a.taskId,
      data: { assignmentId: a.id, round: a.round, slot: a.slot, category },
    });
    return a.id;
  });
}

// ---------------------------------------------------------------------------------------------------
// Ops' settings: a batch's place in the queue, a campaign's caps and stage SLAs.

/** Latest deadline accepted: far enough for any real batch, near enough to catch a typo in the year. */
const MAX_DEADLINE_YEARS = 5;

const batchScheduleSchema = z.object({
  priority: z.number().int().min(-1000).max(1000),
  deadline: z
    .date()
    .nullable()
    .refine((d) => d === null || !Number.isNaN(d.getTime()), 'must be a valid date')
    .refine((d) => d === null || d.getTime() < Date.now() + MAX_DEADLINE_YEARS * 365 * 24 * 3600 * 1000, `must be within ${MAX_DEADLINE_YEARS} years`),
});

/**
 * Sets where a batch stands in its campaign's queues: higher priority first, then the earlier deadline (none:
 * last). Takes effect from the next claim; claims already held are not touched.
 */
export async function setBatchSchedule(services: Services, actor: AuthUser, batchId: string, input: { priority: number; deadline: Date | null }): Promise<string> {
  const data = parseOrThrow(batchScheduleSchema, input, 'batch schedule');
  return services.prisma.$transaction(async (tx) => {
    const batch = await tx.batch.findUnique({ where: { id: batchId }, select: { id: true, status: true, priority: true, deadline: true } });
    if (!batch) throw new NotFoundError('batch');
    if (batch.status === 'ACCEPTED' || batch.status === 'FAILED') throw new DomainError('CONFLICT', 'the batch is finished; its schedule no longer matters');
    await tx.batch.update({ where: { id: batchId }, data: { priority: data.priority, deadline: data.deadline } });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'batch.schedule',
      entityType: 'Batch',
      entityId: batchId,
      data: { priority: data.priority, deadline: data.deadline?.toISOString() ?? null, previousPriority: batch.priority, previousDeadline: batch.deadline?.toISOString() ?? null },
    });
    return batchId;
  });
}

const DAY = 24 * 3600;

/** Caps and stage SLAs, shared by createCampaign (admin.ts) and setCampaignQueueSettings. */
export const queueSettingsShape = {
  capPerBatch: z.number().int().min(1, 'a cap per batch is at least 1 label (leave it empty for no cap)').max(1_000_000).nullable(),
  capSharePerBatch: z.number().gt(0, 'a share cap is above 0 (leave it empty for no cap)').max(1, 'a share cap is at most 1 (the whole batch)').nullable(),
  reviewSlaSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * DAY),
  qaSlaSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * DAY),
};
const queueSettingsSchema = z.object(queueSettingsShape).partial();
export type QueueSettings = z.infer<typeof queueSettingsSchema>;

/** Changes a campaign's caps per annotator per batch and its stage SLAs; fields left out keep their value. */
export async function setCampaignQueueSettings(services: Services, actor: AuthUser, campaignId: string, input: unknown): Promise<string> {
  const data = parseOrThrow(queueSettingsSchema, input, 'queue settings');
  return services.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({ where: { id: campaignId }, select: { id: true } });
    if (!campaign) throw new NotFoundError('campaign');
    const updated = await tx.campaign.update({
      where: { id: campaignId },
      data,
      select: { capPerBatch: true, capSharePerBatch: true, reviewSlaSeconds: true, qaSlaSeconds: true },
    });
    await appendAudit(tx, { actorId: actor.id, action: 'campaign.queue-settings', entityType: 'Campaign', entityId: campaignId, data: updated });
    return campaignId;
  });
}

// ---------------------------------------------------------------------------------------------------
// Alerts.

/** Marks an alert seen; acknowledging it again is a no-op. */
export async function acknowledgeAlert(services: Services, actor: AuthUser, alertId: string): Promise<string> {
  return services.prisma.$transaction(async (tx) => {
    const alert = await tx.alert.findUnique({ where: { id: alertId }, select: { id: true, campaignId: true, kind: true, acknowledgedAt: true } });
    if (!alert) throw new NotFoundError('alert');
    if (alert.acknowledgedAt) return alert.id;
    await tx.alert.update({ where: { id: alert.id }, data: { acknowledgedAt: new Date(), acknowledgedById: actor.id } });
    await appendAudit(tx, { actorId: actor.id, action: 'alert.acknowledged', entityType: 'Campaign', entityId: alert.campaignId, data: { alertId: alert.id, kind: alert.kind } });
    return alert.id;
  });
}
