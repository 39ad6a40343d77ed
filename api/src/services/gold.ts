// Gold (honeypot) tasks: a campaign's gold set (assets with a known answer), serving gold tasks into annotators'
// queues at the campaign's gold rate, scoring each answer at once, and pausing an annotator whose gold accuracy is
// shown (with 95 % confidence) to be under the campaign's minimum.
//
// How a gold task lives, and why:
//   - Each serving makes a Task of its own (one annotator, one slot), in the batch whose work is first in the
//     annotator's queue, with the gold item's asset and frame. One task per serving keeps the claim looking like
//     any other (slot 1 of a fresh task) and makes "each person answers each gold item at most once" a lookup.
//   - Its status is EXCLUDED from the start: every count of a batch's work (its progress, the lifecycle's wait for
//     ACCEPTED, consensus, expert review, QA sampling, exports) already leaves EXCLUDED tasks out, and the claim
//     statement never looks at one, whatever the release paths do to its openSlots. No Temporal workflow runs it.
//     The annotator's API shows it as OPEN (schema/work.ts), so nothing tells it apart from ordinary work.
//   - Gold work is paid like a label (a LABEL ledger entry): the annotator did the same work and cannot tell the
//     difference. It is an overhead of the campaign: cost per accepted label counts it, accepted labels do not.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Prisma, type Assignment } from '@suture/db';
import { labelSchemaSchema } from '@suture/workflows/domain/label-schema';
import { annotationType, mediaBoundsOf, parseLabel } from '@suture/workflows/annotation/registry';
import { wilsonInterval } from '@suture/workflows/quality';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { releaseMemberClaims } from './tenancy.ts';
import { MAX_LABEL_BYTES } from './work.ts';

/** Confidence of the accuracy interval, shown and used by the pause rule. */
export const GOLD_CONFIDENCE = 0.95;
/**
 * An annotator sees their own gold accuracy only over answers at least this old: a figure that moved right after a
 * submission would tell them which task was gold.
 */
export const OWN_ACCURACY_DELAY_HOURS = 24;
export const PAUSED_ALERT = 'annotator.paused';

// ---------------------------------------------------------------------------------------------------------------
// Pure rules

/**
 * Whether an annotator's next claim in a campaign is a gold task: when their gold claims so far are under
 * floor(rate × (claims + 1) + phase). Deterministic and fair: after n claims they have had rate × n gold tasks,
 * give or take one. `phase` (in [0, 1), fixed per annotator and campaign) shifts where in the sequence gold falls,
 * so annotators who compare notes do not find it at the same positions.
 */
export function servesGold(rate: number, claims: number, goldClaims: number, phase: number): boolean {
  if (!(rate > 0)) return false;
  return goldClaims < Math.floor(Math.min(1, rate) * (claims + 1) + phase);
}

/** The phase of servesGold for one annotator in one campaign: a hash, so the same on every API process. */
export function goldPhase(userId: string, campaignId: string): number {
  return createHash('sha256').update(`${userId}:${campaignId}`).digest().readUInt32BE(0) / 2 ** 32;
}

export interface GoldStats {
  answered: number;
  correct: number;
}

export interface AccuracyEstimate extends GoldStats {
  /** correct / answered; null before the first answer. */
  accuracy: number | null;
  /** Wilson score interval of the accuracy at GOLD_CONFIDENCE; null before the first answer. */
  lower: number | null;
  upper: number | null;
}

export function accuracyOf(stats: GoldStats): AccuracyEstimate {
  if (stats.answered === 0) return { ...stats, accuracy: null, lower: null, upper: null };
  const interval = wilsonInterval(stats.correct, stats.answered, GOLD_CONFIDENCE);
  return { ...stats, accuracy: stats.correct / stats.answered, lower: interval.lower, upper: interval.upper };
}

/**
 * The pause rule: with at least `minSamples` answers, pause when even the interval's upper bound is under the
 * threshold, i.e. when we are 95 % sure the annotator's true accuracy is under it. The point estimate alone would
 * pause good annotators on an unlucky streak (7 of 10 right is well within the noise of an 80 % annotator).
 */
export function shouldPause(stats: GoldStats, minSamples: number, minAccuracy: number | null): boolean {
  if (minAccuracy === null || stats.answered === 0 || stats.answered < minSamples) return false;
  const { upper } = accuracyOf(stats);
  return upper !== null && upper < minAccuracy;
}

// ---------------------------------------------------------------------------------------------------------------
// Serving

interface GoldCandidate {
  campaignId: string;
  goldRate: number;
  paused: boolean;
  pauseReason: string | null;
  claims: bigint | null;
  gold: bigint | null;
  gated: boolean;
}

/**
 * Called first by claimNextTask. Refuses an annotator paused on the campaign asked for (or on every campaign they
 * annotate, when none is named); otherwise claims a gold task when the campaign's gold rate says this claim is one,
 * and returns null to let the ordinary claim run (also when the annotator holds a claim: that one is returned).
 * One small query when no campaign of theirs serves gold.
 */
export async function claimGoldTask(services: Services, user: AuthUser, campaignId: string | null): Promise<Assignment | null> {
  const { prisma } = services;
  const rows = await prisma.$queryRaw<GoldCandidate[]>`
    SELECT c.id::text AS "campaignId", c."goldRate" AS "goldRate", m."pausedAt" IS NOT NULL AS paused, m."pauseReason" AS "pauseReason",
           n.claims, n.gold,
           -- The people gates of claimSql (services/work.ts): gold is work, and is not served past them either.
           NOT ((c."labelCredential" IS NULL OR EXISTS (
                  SELECT 1 FROM "Credential" cr
                  WHERE cr."userId" = ${user.id}::uuid AND cr.kind = c."labelCredential" AND (cr."expiresAt" IS NULL OR cr."expiresAt" > now())))
                AND (NOT c."qualificationRequired" OR EXISTS (
                  SELECT 1 FROM "QualificationAttempt" qa WHERE qa."campaignId" = c.id AND qa."userId" = ${user.id}::uuid AND qa.passed))
                AND (c."guidelinesVersion" <= 1 OR EXISTS (
                  SELECT 1 FROM "GuidelineAck" ga WHERE ga."campaignId" = c.id AND ga."userId" = ${user.id}::uuid AND ga.version = c."guidelinesVersion"))) AS gated
    FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
    LEFT JOIN LATERAL (
      -- Counted only where gold may be served (a one-time filter otherwise): the annotator's labelling claims here.
      SELECT count(*) AS claims, count(*) FILTER (WHERE t."goldItemId" IS NOT NULL) AS gold
      FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE c."goldRate" > 0 AND m."pausedAt" IS NULL
        AND a."userId" = ${user.id}::uuid AND a.kind IN ('LABEL', 'REWORK') AND t."campaignId" = c.id
    ) n ON true
    WHERE m."userId" = ${user.id}::uuid AND 'ANNOTATOR' = ANY(m.roles) AND c.status = 'ACTIVE'
      AND (${campaignId}::uuid IS NULL OR c.id = ${campaignId}::uuid)
      AND NOT EXISTS (SELECT 1 FROM "Assignment" h WHERE h."userId" = ${user.id}::uuid AND h.status = 'ACTIVE' AND h.kind IN ('LABEL', 'REWORK'))
    ORDER BY c.id`;
  const open = rows.filter((r) => !r.paused);
  if (rows.length > 0 && open.length === 0) {
    const reason = rows.length === 1 && rows[0]!.pauseReason ? ` (${rows[0]!.pauseReason})` : '';
    throw new ForbiddenError(
      `you are paused on ${rows.length === 1 ? 'this campaign' : 'every campaign you annotate'}${reason}: an operations manager must lift the pause before you can claim its tasks`,
    );
  }
  for (const r of open) {
    if (r.gated) continue;
    if (!servesGold(r.goldRate, Number(r.claims ?? 0), Number(r.gold ?? 0), goldPhase(user.id, r.campaignId))) continue;
    const claim = await serveGold(services, user, r.campaignId);
    if (claim) return claim;
  }
  return null;
}

/** A concurrent claim of the same annotator won: the gold task made here is rolled back. */
class ClaimRaceLost extends Error {}

/**
 * Makes a gold task for the annotator and claims it, in one transaction: in the batch of the first open task of
 * the campaign's queue (no open work, no gold: gold is mixed into work, never served instead of none), from the
 * first active gold item (in an order of the annotator's own) they have never been served and did not write.
 */
async function serveGold(services: Services, user: AuthUser, campaignId: string): Promise<Assignment | null> {
  try {
    return await services.prisma.$transaction(async (tx) => {
      const [work] = await tx.$queryRaw<Array<{ batchId: string; sla: number; overlap: number }>>`
        SELECT t."batchId"::text AS "batchId", c."claimSlaSeconds" AS sla, c.overlap
        FROM "Task" t JOIN "Campaign" c ON c.id = t."campaignId" JOIN "Batch" b ON b.id = t."batchId"
        WHERE t."campaignId" = ${campaignId}::uuid AND t.status = 'OPEN' AND t."openSlots" > 0 AND b.status NOT IN ('ACCEPTED', 'FAILED')
          AND NOT EXISTS (SELECT 1 FROM "CampaignSkill" cs LEFT JOIN "UserSkill" us ON us."skillId" = cs."skillId" AND us."userId" = ${user.id}::uuid
                          WHERE cs."campaignId" = c.id AND COALESCE(us.level, 0) < cs."minLevel")
          AND c."budgetBlockedAt" IS NULL
        ORDER BY b.priority DESC, b.deadline ASC NULLS LAST, t.priority DESC, t."createdAt", t.id
        LIMIT 1`;
      if (!work) return null;
      const [item] = await tx.$queryRaw<Array<{ id: string; assetId: string; frameIndex: number | null }>>`
        SELECT g.id::text AS id, g."assetId"::text AS "assetId", g."frameIndex"
        FROM "GoldItem" g JOIN "Asset" a ON a.id = g."assetId"
        WHERE g."campaignId" = ${campaignId}::uuid AND g.active AND g.purpose = 'HONEYPOT' AND a.status = 'READY' AND a."privacyStatus" IN ('NOT_REQUIRED', 'RELEASED')
          AND g."createdById" IS DISTINCT FROM ${user.id}::uuid
          AND g.id NOT IN (
            SELECT t."goldItemId" FROM "Assignment" x JOIN "Task" t ON t.id = x."taskId"
            WHERE x."userId" = ${user.id}::uuid AND t."campaignId" = ${campaignId}::uuid AND t."goldItemId" IS NOT NULL)
        ORDER BY md5(g.id::text || ${user.id}), g.id
        LIMIT 1`;
      if (!item) return null;
      // What an ordinary task of the same frame carries (its source frame number, the model's pre-label) is copied,
      // so that the gold task reads like one.
      const [task] = await tx.$queryRaw<Array<{ id: string }>>`
        INSERT INTO "Task" (id, "batchId", "campaignId", "assetId", "frameIndex", "sourceFrame", prelabel, "modelConfidence", status, round, slots, "openSlots", "goldItemId")
        SELECT gen_random_uuid(), ${work.batchId}::uuid, ${campaignId}::uuid, ${item.assetId}::uuid, ${item.frameIndex}::int,
               s."sourceFrame", s.prelabel, s."modelConfidence", 'EXCLUDED', 0, ${work.overlap}::int, ${work.overlap - 1}::int, ${item.id}::uuid
        FROM (SELECT 1) one LEFT JOIN LATERAL (
          SELECT t."sourceFrame", t.prelabel, t."modelConfidence" FROM "Task" t
          WHERE t."campaignId" = ${campaignId}::uuid AND t."assetId" = ${item.assetId}::uuid AND t."frameIndex" IS NOT DISTINCT FROM ${item.frameIndex}::int
            AND t."goldItemId" IS NULL
          ORDER BY t."createdAt" DESC LIMIT 1) s ON true
        RETURNING id::text AS id`;
      // Assignment_one_active_label_claim_key arbitrates a parallel claim of the same annotator.
      const [claimed] = await tx.$queryRaw<Array<{ id: string }>>`
        INSERT INTO "Assignment" ("id", "taskId", "userId", "kind", "round", "slot", "status", "leaseExpiresAt", "claimedAt", "lastHeartbeatAt", "activeSeconds")
        VALUES (gen_random_uuid(), ${task!.id}::uuid, ${user.id}::uuid, 'LABEL', 0, 1, 'ACTIVE', now() + make_interval(secs => ${work.sla}::double precision), now(), now(), 0)
        ON CONFLICT DO NOTHING
        RETURNING id::text AS id`;
      if (!claimed) throw new ClaimRaceLost();
      // The same event as any claim, and one for the gold set (auditors see both; annotators read neither).
      await appendAudit(tx, {
        actorId: user.id,
        action: 'task.claimed',
        entityType: 'Task',
        entityId: task!.id,
        data: { assignmentId: claimed.id, round: 0, slot: 1, kind: 'LABEL' },
      });
      await appendAudit(tx, {
        actorId: user.id,
        action: 'gold.served',
        entityType: 'GoldItem',
        entityId: item.id,
        data: { taskId: task!.id, assignmentId: claimed.id, userId: user.id },
      });
      return tx.assignment.findUniqueOrThrow({ where: { id: claimed.id } });
    });
  } catch (error) {
    if (error instanceof ClaimRaceLost) return null;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring and pausing

/**
 * Scores a submitted label of a gold task against the gold item's answer with the annotation type's agreement
 * (correct: at least the campaign's agreement threshold), records the GoldResult and applies the pause rule, in
 * the submission's transaction. A gold answer that no longer fits the campaign's schema scores nothing (audited):
 * the annotator's submission never fails because of the gold set.
 */
export async function scoreGoldAnswer(
  tx: Prisma.TransactionClient,
  user: AuthUser,
  input: { taskId: string; goldItemId: string; assignmentId: string; label: unknown },
): Promise<void> {
  const task = await tx.task.findUniqueOrThrow({
    where: { id: input.taskId },
    select: {
      campaignId: true,
      frameIndex: true,
      asset: { select: { kind: true, metadata: true } },
      campaign: { select: { labelSchema: true, agreementThreshold: true, goldMinAccuracy: true, goldMinSamples: true } },
    },
  });
  const item = await tx.goldItem.findUniqueOrThrow({ where: { id: input.goldItemId }, select: { answer: true } });
  const schema = labelSchemaSchema.parse(task.campaign.labelSchema);
  const ctx = { schema, media: mediaBoundsOf(task.asset), frame: task.frameIndex };
  const answer = parseLabel(ctx, item.answer);
  if (!answer.ok) {
    await appendAudit(tx, { action: 'gold.unscorable', entityType: 'GoldItem', entityId: input.goldItemId, data: { taskId: input.taskId, assignmentId: input.assignmentId } });
    return;
  }
  const agreement = annotationType(schema.geometry).agreement(answer.value, input.label, ctx);
  const correct = agreement.value >= task.campaign.agreementThreshold;
  await tx.goldResult.create({
    data: { goldItemId: input.goldItemId, taskId: input.taskId, assignmentId: input.assignmentId, userId: user.id, campaignId: task.campaignId, score: agreement.value, correct },
  });
  await appendAudit(tx, {
    action: 'gold.scored',
    entityType: 'Task',
    entityId: input.taskId,
    data: { goldItemId: input.goldItemId, assignmentId: input.assignmentId, userId: user.id, score: agreement.value, metric: agreement.metric, correct },
  });
  const rule = { minSamples: task.campaign.goldMinSamples, minAccuracy: task.campaign.goldMinAccuracy };
  if (rule.minAccuracy === null) return;
  const stats = await judgedStats(tx, task.campaignId, user.id);
  if (shouldPause(stats, rule.minSamples, rule.minAccuracy)) await pauseForGold(tx, user, task.campaignId, stats, rule.minAccuracy);
}

const pausedAlertPrefix = (campaignId: string, userId: string) => `${PAUSED_ALERT}:${campaignId}:${userId}:`;

/**
 * The answers the pause rule judges: those since the annotator's last pause was lifted (its alert acknowledged),
 * so that an unpaused annotator gets a fresh chance of goldMinSamples answers instead of being paused again by the
 * answers that paused them. The accuracy shown to ops covers every answer.
 */
async function judgedStats(tx: Prisma.TransactionClient, campaignId: string, userId: string): Promise<GoldStats> {
  const [row] = await tx.$queryRaw<Array<{ answered: number; correct: number }>>`
    SELECT count(*)::int AS answered, count(*) FILTER (WHERE r.correct)::int AS correct FROM "GoldResult" r
    WHERE r."campaignId" = ${campaignId}::uuid AND r."userId" = ${userId}::uuid
      AND r."createdAt" > COALESCE((
        SELECT max(al."acknowledgedAt") FROM "Alert" al
        WHERE al."campaignId" = ${campaignId}::uuid AND al.kind = ${PAUSED_ALERT} AND starts_with(al."dedupeKey", ${pausedAlertPrefix(campaignId, userId)})), '-infinity')`;
  return { answered: row?.answered ?? 0, correct: row?.correct ?? 0 };
}

const percentText = (v: number | null) => (v === null ? '–' : `${Math.round(v * 1000) / 10} %`);

/** Pauses the annotator on the campaign for their gold accuracy (once). */
async function pauseForGold(tx: Prisma.TransactionClient, user: AuthUser, campaignId: string, stats: GoldStats, minAccuracy: number): Promise<void> {
  const estimate = accuracyOf(stats);
  const reason = `gold accuracy ${percentText(estimate.accuracy)} over ${stats.answered} answers, at most ${percentText(estimate.upper)} at 95 % confidence, is under the campaign's ${percentText(minAccuracy)}`;
  // Their own submission set this off: they are the actor of the release; the pause itself is the system's.
  await pauseMember(tx, user, null, campaignId, user.id, reason, {
    rule: 'gold-accuracy',
    answered: stats.answered,
    correct: stats.correct,
    accuracy: estimate.accuracy,
    upper: estimate.upper,
    minAccuracy,
  });
}

/**
 * Pauses a member (once): no labelling claims on the campaign from now, the labelling claim they hold there goes
 * back to the queue, an 'annotator.paused' alert for ops, an audit event. False when they were paused already.
 */
async function pauseMember(
  tx: Prisma.TransactionClient,
  releasedBy: AuthUser,
  actorId: string | null,
  campaignId: string,
  userId: string,
  reason: string,
  figures: Record<string, string | number | null>,
): Promise<boolean> {
  const pausedAt = new Date();
  const paused = await tx.campaignMember.updateMany({ where: { campaignId, userId, pausedAt: null }, data: { pausedAt, pauseReason: reason } });
  if (paused.count === 0) return false;
  await releaseMemberClaims(tx, releasedBy, campaignId, userId, ['LABEL', 'REWORK'], 'paused');
  const data = { userId, ...figures };
  // One alert per pause (the pause's instant tells one from the next).
  await tx.$executeRaw`
    INSERT INTO "Alert" ("id", "campaignId", "kind", "data", "dedupeKey", "createdAt")
    VALUES (gen_random_uuid(), ${campaignId}::uuid, ${PAUSED_ALERT}, ${JSON.stringify(data)}::jsonb, ${`${pausedAlertPrefix(campaignId, userId)}${pausedAt.toISOString()}`}, now())
    ON CONFLICT ("dedupeKey") DO NOTHING`;
  await appendAudit(tx, { actorId, action: 'annotator.paused', entityType: 'Campaign', entityId: campaignId, data });
  return true;
}

/** An operations manager pauses an annotator on a campaign by decision (the reason is shown to them when they claim). */
export async function pauseAnnotator(services: Services, actor: AuthUser, campaignId: string, userId: string, reason: string): Promise<void> {
  const why = reason.trim();
  if (why.length < 3 || why.length > 300) throw new InvalidInputError('give the reason for the pause in 3 to 300 characters (the annotator reads it)');
  if (userId === actor.id) throw new ForbiddenError('you cannot pause yourself');
  await services.prisma.$transaction(async (tx) => {
    const member = UUID.test(userId) ? await tx.campaignMember.findUnique({ where: { campaignId_userId: { campaignId, userId } }, select: { roles: true } }) : null;
    if (!member || !member.roles.includes('ANNOTATOR')) throw new NotFoundError('annotator of this campaign');
    if (!(await pauseMember(tx, actor, actor.id, campaignId, userId, why, { rule: 'ops-decision' })))
      throw new DomainError('CONFLICT', 'this annotator is already paused on this campaign');
  });
}

/** An operations manager lifts an annotator's pause on a campaign: claims work again, the pause alert is acknowledged. */
export async function unpauseAnnotator(services: Services, actor: AuthUser, campaignId: string, userId: string): Promise<void> {
  if (userId === actor.id) throw new ForbiddenError('you cannot lift your own pause; another operations manager or an admin must');
  await services.prisma.$transaction(async (tx) => {
    const member = UUID.test(userId) ? await tx.campaignMember.findUnique({ where: { campaignId_userId: { campaignId, userId } }, select: { pausedAt: true } }) : null;
    if (!member) throw new NotFoundError('campaign member');
    if (!member.pausedAt) throw new DomainError('CONFLICT', 'this annotator is not paused on this campaign');
    await tx.campaignMember.update({ where: { campaignId_userId: { campaignId, userId } }, data: { pausedAt: null, pauseReason: null } });
    const acknowledged = await tx.alert.updateMany({
      where: { campaignId, kind: PAUSED_ALERT, dedupeKey: { startsWith: pausedAlertPrefix(campaignId, userId) }, acknowledgedAt: null },
      data: { acknowledgedAt: new Date(), acknowledgedById: actor.id },
    });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'annotator.unpaused',
      entityType: 'Campaign',
      entityId: campaignId,
      data: { userId, pausedAt: member.pausedAt.toISOString(), alertsAcknowledged: acknowledged.count },
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The gold set and its settings

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const goldItemInput = z.strictObject({
  assetId: z.string().regex(UUID, 'must be a UUID'),
  frameIndex: z.number().int('must be a whole number').min(0, 'must be 0 or more').nullable(),
  answer: z.unknown(),
  explanation: z.string().max(4000, 'at most 4000 characters').default(''),
  guidelineSection: z.string().trim().max(200, 'at most 200 characters').nullable().default(null),
  /** HONEYPOT items are served into queues; QUALIFICATION items make up the campaign's qualification test. */
  purpose: z.enum(['HONEYPOT', 'QUALIFICATION']).default('HONEYPOT'),
});
export type GoldItemInput = z.input<typeof goldItemInput>;

/**
 * Adds a gold item: a READY, privacy-cleared asset of the campaign (a frame or slice of it when the campaign labels
 * parts), with an answer the campaign's annotation type accepts exactly as it accepts a submitted label (the same
 * module, bounds and size limit). The stored answer is the module's canonical form.
 */
export async function addGoldItem(services: Services, actor: AuthUser, campaignId: string, input: GoldItemInput): Promise<string> {
  const parsed = goldItemInput.safeParse(input);
  if (!parsed.success)
    throw new InvalidInputError(
      'the gold item is not acceptable',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`),
    );
  const item = parsed.data;
  return services.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({ where: { id: campaignId }, select: { status: true, labelSchema: true } });
    if (!campaign) throw new NotFoundError('campaign');
    if (campaign.status === 'CLOSED') throw new DomainError('CONFLICT', 'the campaign is closed');
    const asset = await tx.asset.findUnique({ where: { id: item.assetId }, select: { campaignId: true, kind: true, status: true, metadata: true, privacyStatus: true } });
    if (!asset || asset.campaignId !== campaignId) throw new InvalidInputError(`asset ${item.assetId} is not an asset of this campaign`);
    if (asset.status !== 'READY')
      throw new InvalidInputError(`asset ${item.assetId} is ${asset.status.toLowerCase().replace('_', ' ')}: a gold item needs an ingested (READY) asset`);
    if (asset.privacyStatus !== 'NOT_REQUIRED' && asset.privacyStatus !== 'RELEASED')
      throw new InvalidInputError(`asset ${item.assetId} has not been released by a privacy officer: annotators may not see it`);
    const media = mediaBoundsOf(asset);
    if (item.frameIndex !== null && media.frameCount !== undefined && item.frameIndex >= media.frameCount)
      throw new InvalidInputError(`frameIndex ${item.frameIndex} is past the end of the asset (frames 0..${media.frameCount - 1})`);
    const schema = labelSchemaSchema.parse(campaign.labelSchema);
    const limit = schema.geometry === 'volume' ? MAX_LABEL_BYTES.volume : MAX_LABEL_BYTES.default;
    const size = JSON.stringify(item.answer ?? null).length;
    if (size > limit) throw new InvalidInputError(`the answer is ${size} bytes of JSON; at most ${limit} are accepted for ${schema.geometry} labels`);
    const answer = parseLabel({ schema, media, frame: item.frameIndex }, item.answer);
    if (!answer.ok) throw new InvalidInputError('the answer does not fit the campaign schema', answer.problems);
    const created = await tx.goldItem.create({
      data: {
        campaignId,
        assetId: item.assetId,
        frameIndex: item.frameIndex,
        answer: answer.value as Prisma.InputJsonValue,
        explanation: item.explanation,
        guidelineSection: item.guidelineSection || null,
        purpose: item.purpose,
        createdById: actor.id,
      },
      select: { id: true },
    });
    // Ids only: the answer stays in the gold set.
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'gold.item-added',
      entityType: 'GoldItem',
      entityId: created.id,
      data: { assetId: item.assetId, frameIndex: item.frameIndex, purpose: item.purpose },
    });
    return created.id;
  });
}

/** Takes a gold item out of serving; its results stay. Deactivating an inactive item changes nothing. */
export async function deactivateGoldItem(services: Services, actor: AuthUser, goldItemId: string): Promise<string> {
  await services.prisma.$transaction(async (tx) => {
    const changed = await tx.goldItem.updateMany({ where: { id: goldItemId, active: true }, data: { active: false } });
    if (changed.count > 0) await appendAudit(tx, { actorId: actor.id, action: 'gold.item-deactivated', entityType: 'GoldItem', entityId: goldItemId });
  });
  return goldItemId;
}

const goldSettings = z.strictObject({
  goldRate: z.number().min(0, 'goldRate must be between 0 and 1').max(1, 'goldRate must be between 0 and 1'),
  goldMinAccuracy: z.number().gt(0, 'goldMinAccuracy must be above 0').max(1, 'goldMinAccuracy must be at most 1').nullable(),
  goldMinSamples: z.number().int('goldMinSamples must be a whole number').min(1, 'goldMinSamples must be at least 1').max(10_000, 'goldMinSamples must be at most 10000'),
});
export type GoldSettings = z.infer<typeof goldSettings>;

/** Sets the campaign's gold rate and pause rule (validated, audited with the values before and after). */
export async function setGoldSettings(services: Services, actor: AuthUser, campaignId: string, input: GoldSettings): Promise<string> {
  const parsed = goldSettings.safeParse(input);
  if (!parsed.success)
    throw new InvalidInputError(
      'the gold settings are not acceptable',
      parsed.error.issues.map((i) => i.message),
    );
  return services.prisma.$transaction(async (tx) => {
    const before = await tx.campaign.findUnique({ where: { id: campaignId }, select: { goldRate: true, goldMinAccuracy: true, goldMinSamples: true } });
    if (!before) throw new NotFoundError('campaign');
    await tx.campaign.update({ where: { id: campaignId }, data: parsed.data });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'campaign.gold-settings',
      entityType: 'Campaign',
      entityId: campaignId,
      data: {
        ...parsed.data,
        previousGoldRate: before.goldRate,
        previousGoldMinAccuracy: before.goldMinAccuracy,
        previousGoldMinSamples: before.goldMinSamples,
      },
    });
    return campaignId;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Read models

export interface GoldAccuracyView extends AccuracyEstimate {
  userId: string;
  name: string;
  paused: boolean;
  pausedAt: Date | null;
  pauseReason: string | null;
  /** Answers given up to this instant are counted (an annotator's own view lags); null: every answer so far. */
  asOf: Date | null;
}

interface AccuracyRow {
  userId: string;
  name: string;
  pausedAt: Date | null;
  pauseReason: string | null;
  answered: number;
  correct: number;
}

const viewOf = (r: AccuracyRow, asOf: Date | null): GoldAccuracyView => ({
  userId: r.userId,
  name: r.name,
  paused: r.pausedAt !== null,
  pausedAt: r.pausedAt,
  pauseReason: r.pauseReason,
  asOf,
  ...accuracyOf({ answered: r.answered, correct: r.correct }),
});

/** Per annotator of the campaign (and anyone who answered its gold before leaving it): gold accuracy and pause state. */
export async function campaignGoldAccuracy(services: Services, campaignId: string, userId: string | null = null): Promise<GoldAccuracyView[]> {
  const rows = await services.prisma.$queryRaw<AccuracyRow[]>`
    WITH people AS (
      SELECT "userId" FROM "CampaignMember" WHERE "campaignId" = ${campaignId}::uuid AND 'ANNOTATOR' = ANY(roles)
      UNION
      SELECT DISTINCT "userId" FROM "GoldResult" WHERE "campaignId" = ${campaignId}::uuid
    )
    SELECT u.id::text AS "userId", u.name, m."pausedAt", m."pauseReason",
           (SELECT count(*)::int FROM "GoldResult" r WHERE r."campaignId" = ${campaignId}::uuid AND r."userId" = u.id) AS answered,
           (SELECT count(*)::int FROM "GoldResult" r WHERE r."campaignId" = ${campaignId}::uuid AND r."userId" = u.id AND r.correct) AS correct
    FROM people p JOIN "User" u ON u.id = p."userId"
    LEFT JOIN "CampaignMember" m ON m."campaignId" = ${campaignId}::uuid AND m."userId" = u.id
    WHERE (${userId}::uuid IS NULL OR u.id = ${userId}::uuid)
    ORDER BY u.name, u.id`;
  return rows.map((r) => viewOf(r, null));
}

/** The caller's own gold accuracy on a campaign, over answers at least OWN_ACCURACY_DELAY_HOURS old, and their pause. */
export async function ownGoldAccuracy(services: Services, user: AuthUser, campaignId: string): Promise<GoldAccuracyView> {
  const [row] = await services.prisma.$queryRaw<Array<AccuracyRow & { asOf: Date }>>`
    SELECT u.id::text AS "userId", u.name, m."pausedAt", m."pauseReason", (now() - make_interval(hours => ${OWN_ACCURACY_DELAY_HOURS}::int)) AS "asOf",
           count(r.id)::int AS answered, count(r.id) FILTER (WHERE r.correct)::int AS correct
    FROM "User" u
    LEFT JOIN "CampaignMember" m ON m."campaignId" = ${campaignId}::uuid AND m."userId" = u.id
    LEFT JOIN "GoldResult" r ON r."campaignId" = ${campaignId}::uuid AND r."userId" = u.id
      AND r."createdAt" <= now() - make_interval(hours => ${OWN_ACCURACY_DELAY_HOURS}::int)
    WHERE u.id = ${user.id}::uuid
    GROUP BY u.id, u.name, m."pausedAt", m."pauseReason"`;
  if (!row) throw new NotFoundError('user');
  return viewOf(row, row.asOf);
}
