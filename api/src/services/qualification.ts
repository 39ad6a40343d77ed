// Quality of people: a campaign's qualification test (its QUALIFICATION gold items, scored like gold), the
// labelling credential it asks for, the words a refused claim gets when a people gate holds it, and the agreement
// report of a pilot batch.
import { z } from 'zod';
import { Prisma } from '@suture/db';
import { labelSchemaSchema } from '@suture/workflows/domain/label-schema';
import { annotationType, mediaBoundsOf, parseLabel } from '@suture/workflows/annotation/registry';
import { pilotReport, type PilotReport, type PilotTask } from '@suture/workflows/annotation/pilot-report';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { UUID } from './tenancy.ts';
import { labelOrThrow } from './work.ts';

const issuesOf = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);

// ---------------------------------------------------------------------------------------------------------------
// Settings (operations managers)

const qualificationSettings = z.strictObject({
  required: z.boolean(),
  skillKey: z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters').nullable(),
  level: z.number().int('must be a whole number').min(1, 'must be 1 to 10').max(10, 'must be 1 to 10'),
  passAccuracy: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
  maxAttempts: z.number().int('must be a whole number').min(1, 'must be 1 to 100').max(100, 'must be 1 to 100'),
});
export type QualificationSettings = z.infer<typeof qualificationSettings>;

/** Sets whether the campaign's labelling needs a passed qualification test, its pass mark, attempts and the skill it grants. */
export async function setCampaignQualification(services: Services, actor: AuthUser, campaignId: string, input: QualificationSettings): Promise<string> {
  const parsed = qualificationSettings.safeParse(input);
  if (!parsed.success) throw new InvalidInputError('the qualification settings are not acceptable', issuesOf(parsed.error));
  const s = parsed.data;
  return services.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({ where: { id: campaignId }, select: { status: true } });
    if (!campaign) throw new NotFoundError('campaign');
    if (campaign.status === 'CLOSED') throw new DomainError('CONFLICT', 'the campaign is closed');
    const skill = s.skillKey === null ? null : await tx.skill.findUnique({ where: { key: s.skillKey }, select: { id: true } });
    if (s.skillKey !== null && !skill) throw new InvalidInputError(`skill '${s.skillKey}' does not exist: create it first or leave the skill empty`);
    if (s.required) {
      const items = await tx.goldItem.count({ where: { campaignId, purpose: 'QUALIFICATION', active: true } });
      if (items === 0) throw new InvalidInputError('add at least one qualification item (a gold item with purpose QUALIFICATION) before requiring the test');
    }
    await tx.campaign.update({
      where: { id: campaignId },
      data: {
        qualificationRequired: s.required,
        qualificationSkillId: skill?.id ?? null,
        qualificationLevel: s.level,
        qualificationPassAccuracy: s.passAccuracy,
        qualificationMaxAttempts: s.maxAttempts,
      },
    });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'campaign.qualification-settings',
      entityType: 'Campaign',
      entityId: campaignId,
      data: { required: s.required, skillId: skill?.id ?? null, level: s.level, passAccuracy: s.passAccuracy, maxAttempts: s.maxAttempts },
    });
    return campaignId;
  });
}

const credentialKind = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'at most 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/-]*$/, 'letters, digits, spaces and . _ : / - only')
  .nullable();

/** Sets the (unexpired) credential an annotator needs to claim the campaign's labelling work; null: none. */
export async function setCampaignLabelCredential(services: Services, actor: AuthUser, campaignId: string, kind: string | null): Promise<string> {
  const parsed = credentialKind.safeParse(kind);
  if (!parsed.success) throw new InvalidInputError('the credential kind is not acceptable', issuesOf(parsed.error));
  return services.prisma.$transaction(async (tx) => {
    const before = await tx.campaign.findUnique({ where: { id: campaignId }, select: { status: true, labelCredential: true } });
    if (!before) throw new NotFoundError('campaign');
    if (before.status === 'CLOSED') throw new DomainError('CONFLICT', 'the campaign is closed');
    await tx.campaign.update({ where: { id: campaignId }, data: { labelCredential: parsed.data } });
    // Credential kinds are category names set by ops (no PHI, no person).
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'campaign.label-credential',
      entityType: 'Campaign',
      entityId: campaignId,
      data: { kind: parsed.data, previousKind: before.labelCredential },
    });
    return campaignId;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Taking the test (annotators)

export interface QualificationItemView {
  goldItemId: string;
  assetId: string;
  frameIndex: number | null;
  answered: boolean;
}

export interface QualificationMistake {
  goldItemId: string;
  assetId: string;
  frameIndex: number | null;
  myAnswer: unknown;
  referenceAnswer: unknown;
  score: number;
  explanation: string;
  guidelineSection: string | null;
}

export interface QualificationAttemptView {
  id: string;
  campaignId: string;
  startedAt: Date;
  finishedAt: Date | null;
  total: number;
  answered: number;
  correct: number | null;
  accuracy: number | null;
  passed: boolean | null;
  /** The test's items, unfinished attempts only. */
  items: QualificationItemView[];
  /** Finished attempts only: the items answered wrong, with the reference answer and why. */
  mistakes: QualificationMistake[];
}

export interface QualificationStatus {
  campaignId: string;
  campaignName: string;
  required: boolean;
  passed: boolean;
  passAccuracy: number;
  maxAttempts: number;
  attemptsUsed: number;
  attemptsLeft: number;
  /** Active qualification items the test has now. */
  itemCount: number;
  /** The attempt under way, if any. */
  current: QualificationAttemptView | null;
  /** Finished attempts, newest first. */
  attempts: QualificationAttemptView[];
}

type Tx = Prisma.TransactionClient;

/** The items of an attempt: the campaign's active QUALIFICATION items that existed when it started, and any it answered. */
async function attemptItems(tx: Tx, attempt: { id: string; campaignId: string; startedAt: Date }) {
  return tx.goldItem.findMany({
    where: {
      campaignId: attempt.campaignId,
      purpose: 'QUALIFICATION',
      // addGoldItem admits only READY, privacy-cleared assets.
      OR: [{ active: true, createdAt: { lte: attempt.startedAt } }, { qualificationAnswers: { some: { attemptId: attempt.id } } }],
    },
    select: { id: true, assetId: true, frameIndex: true, answer: true, explanation: true, guidelineSection: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
}

async function ownAttempt(tx: Tx, user: AuthUser, attemptId: string, lock = false) {
  if (!UUID.test(attemptId)) throw new NotFoundError('qualification attempt');
  if (lock) await tx.$executeRaw`SELECT 1 FROM "QualificationAttempt" WHERE id = ${attemptId}::uuid FOR UPDATE`;
  const attempt = await tx.qualificationAttempt.findUnique({ where: { id: attemptId } });
  // Someone else's attempt does not exist for you.
  if (!attempt || attempt.userId !== user.id) throw new NotFoundError('qualification attempt');
  return attempt;
}

/**
 * Starts (or resumes) the caller's attempt at the campaign's qualification test. Refused, in words, when the test
 * has no items, when they passed already, or when their attempts are used up.
 */
export async function startQualification(services: Services, user: AuthUser, campaignId: string): Promise<string> {
  return services.prisma.$transaction(async (tx) => {
    // One start at a time per annotator and campaign: the member row is the lock.
    await tx.$executeRaw`SELECT 1 FROM "CampaignMember" WHERE "campaignId" = ${campaignId}::uuid AND "userId" = ${user.id}::uuid FOR UPDATE`;
    const campaign = await tx.campaign.findUnique({
      where: { id: campaignId },
      select: { name: true, status: true, qualificationMaxAttempts: true, guidelinesVersion: true },
    });
    if (!campaign) throw new NotFoundError('campaign');
    if (campaign.status === 'CLOSED') throw new DomainError('CONFLICT', `campaign '${campaign.name}' is closed`);
    const attempts = await tx.qualificationAttempt.findMany({ where: { campaignId, userId: user.id }, orderBy: { startedAt: 'desc' } });
    if (attempts.some((a) => a.passed)) throw new DomainError('CONFLICT', `you already passed the qualification test of campaign '${campaign.name}'`);
    const open = attempts.find((a) => a.finishedAt === null);
    if (open) return open.id;
    if (attempts.length >= campaign.qualificationMaxAttempts)
      throw new ForbiddenError(
        `you used all ${campaign.qualificationMaxAttempts} attempts at the qualification test of campaign '${campaign.name}': an operations manager decides what happens next`,
      );
    const items = await tx.goldItem.count({ where: { campaignId, purpose: 'QUALIFICATION', active: true } });
    if (items === 0) throw new DomainError('CONFLICT', `campaign '${campaign.name}' has no qualification test yet: its operations managers have not added qualification items`);
    const attempt = await tx.qualificationAttempt.create({ data: { campaignId, userId: user.id, guidelineVersion: campaign.guidelinesVersion, total: items } });
    await appendAudit(tx, {
      actorId: user.id,
      action: 'qualification.started',
      entityType: 'QualificationAttempt',
      entityId: attempt.id,
      data: { campaignId, items, attempt: attempts.length + 1 },
    });
    return attempt.id;
  });
}

/**
 * Answers one item of the caller's unfinished attempt: the label is checked by the campaign's annotation type
 * exactly as a task's label is (bounds of the item's media, size limit) and scored against the reference with
 * the type's agreement. One answer per item; the score is revealed only when the attempt is finished.
 */
export async function answerQualificationItem(services: Services, user: AuthUser, input: { attemptId: string; goldItemId: string; data: unknown }): Promise<string> {
  return services.prisma.$transaction(async (tx) => {
    const attempt = await ownAttempt(tx, user, input.attemptId, true);
    if (attempt.finishedAt) throw new DomainError('CONFLICT', 'this attempt is finished; answers are closed');
    const items = await attemptItems(tx, attempt);
    const item = items.find((i) => i.id === input.goldItemId);
    if (!item) throw new InvalidInputError(`item ${input.goldItemId} is not part of this qualification test`);
    const existing = await tx.qualificationAnswer.findUnique({ where: { attemptId_goldItemId: { attemptId: attempt.id, goldItemId: item.id } }, select: { attemptId: true } });
    if (existing) throw new DomainError('CONFLICT', 'you already answered this item; each item takes one answer');
    const campaign = await tx.campaign.findUniqueOrThrow({ where: { id: attempt.campaignId }, select: { labelSchema: true, agreementThreshold: true } });
    const asset = await tx.asset.findUniqueOrThrow({ where: { id: item.assetId }, select: { kind: true, metadata: true } });
    const schema = labelSchemaSchema.parse(campaign.labelSchema);
    const ctx = { schema, media: mediaBoundsOf(asset), frame: item.frameIndex };
    // Checked exactly as a task's label is.
    const label = labelOrThrow(ctx, input.data);
    const reference = parseLabel(ctx, item.answer);
    // A reference that no longer fits the schema cannot judge anyone: the answer counts as right (audited).
    const score = reference.ok ? annotationType(schema.geometry).agreement(reference.value, label, ctx).value : 1;
    if (!reference.ok) await appendAudit(tx, { action: 'gold.unscorable', entityType: 'GoldItem', entityId: item.id, data: { attemptId: attempt.id } });
    await tx.qualificationAnswer.create({
      data: { attemptId: attempt.id, goldItemId: item.id, answer: label as Prisma.InputJsonValue, score, correct: score >= campaign.agreementThreshold },
    });
    await appendAudit(tx, { actorId: user.id, action: 'qualification.answered', entityType: 'QualificationAttempt', entityId: attempt.id, data: { goldItemId: item.id } });
    return attempt.id;
  });
}

/**
 * Finishes the caller's attempt once every item is answered: accuracy against the campaign's pass mark; a pass
 * grants the campaign's qualification skill at its level (never lowering a level held).
 */
export async function finishQualification(services: Services, user: AuthUser, attemptId: string): Promise<string> {
  return services.prisma.$transaction(async (tx) => {
    const attempt = await ownAttempt(tx, user, attemptId, true);
    if (attempt.finishedAt) throw new DomainError('CONFLICT', 'this attempt is already finished');
    const items = await attemptItems(tx, attempt);
    const answers = await tx.qualificationAnswer.findMany({ where: { attemptId: attempt.id }, select: { goldItemId: true, correct: true } });
    const answered = new Set(answers.map((a) => a.goldItemId));
    const missing = items.filter((i) => !answered.has(i.id)).length;
    if (missing > 0) throw new InvalidInputError(`answer every item first: ${missing} of ${items.length} still unanswered`);
    const campaign = await tx.campaign.findUniqueOrThrow({
      where: { id: attempt.campaignId },
      select: { qualificationPassAccuracy: true, qualificationSkillId: true, qualificationLevel: true },
    });
    const total = answers.length;
    const correct = answers.filter((a) => a.correct).length;
    const accuracy = total === 0 ? 0 : correct / total;
    const passed = total > 0 && accuracy >= campaign.qualificationPassAccuracy;
    await tx.qualificationAttempt.update({ where: { id: attempt.id }, data: { finishedAt: new Date(), total, correct, accuracy, passed } });
    let level: number | null = null;
    if (passed && campaign.qualificationSkillId) {
      const [row] = await tx.$queryRaw<Array<{ level: number }>>`
        INSERT INTO "UserSkill" ("userId", "skillId", level) VALUES (${user.id}::uuid, ${campaign.qualificationSkillId}::uuid, ${campaign.qualificationLevel}::int)
        ON CONFLICT ("userId", "skillId") DO UPDATE SET level = GREATEST("UserSkill".level, EXCLUDED.level)
        RETURNING level`;
      level = row?.level ?? null;
    }
    await appendAudit(tx, {
      actorId: user.id,
      action: passed ? 'qualification.passed' : 'qualification.failed',
      entityType: 'QualificationAttempt',
      entityId: attempt.id,
      data: {
        campaignId: attempt.campaignId,
        total,
        correct,
        accuracy,
        passAccuracy: campaign.qualificationPassAccuracy,
        skillId: passed ? campaign.qualificationSkillId : null,
        level,
      },
    });
    return attempt.id;
  });
}

/** One attempt as its owner sees it: items while it runs, mistakes (with reference answers) once it is finished. */
export async function attemptView(services: Services, user: AuthUser, attemptId: string): Promise<QualificationAttemptView> {
  const { prisma } = services;
  const attempt = await ownAttempt(prisma as unknown as Tx, user, attemptId);
  const answers = await prisma.qualificationAnswer.findMany({ where: { attemptId }, select: { goldItemId: true, answer: true, score: true, correct: true } });
  const base = {
    id: attempt.id,
    campaignId: attempt.campaignId,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt,
    answered: answers.length,
  };
  if (!attempt.finishedAt) {
    const items = await attemptItems(prisma as unknown as Tx, attempt);
    const answered = new Set(answers.map((a) => a.goldItemId));
    // Never the reference answer, never a score: nothing tells how the attempt is going.
    return {
      ...base,
      total: items.length,
      correct: null,
      accuracy: null,
      passed: null,
      items: items.map((i) => ({ goldItemId: i.id, assetId: i.assetId, frameIndex: i.frameIndex, answered: answered.has(i.id) })),
      mistakes: [],
    };
  }
  const wrong = answers.filter((a) => !a.correct);
  const items = await prisma.goldItem.findMany({
    where: { id: { in: wrong.map((a) => a.goldItemId) } },
    select: { id: true, assetId: true, frameIndex: true, answer: true, explanation: true, guidelineSection: true, createdAt: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return {
    ...base,
    total: attempt.total,
    correct: attempt.correct,
    accuracy: attempt.accuracy,
    passed: attempt.passed,
    items: [],
    mistakes: items.map((i) => {
      const mine = wrong.find((a) => a.goldItemId === i.id)!;
      return {
        goldItemId: i.id,
        assetId: i.assetId,
        frameIndex: i.frameIndex,
        myAnswer: mine.answer,
        referenceAnswer: i.answer,
        score: mine.score,
        explanation: i.explanation,
        guidelineSection: i.guidelineSection,
      };
    }),
  };
}

/** The caller's qualification on one campaign: passed or not, attempts left, the attempt under way, finished attempts with mistakes. */
export async function myQualification(services: Services, user: AuthUser, campaignId: string): Promise<QualificationStatus> {
  const { prisma } = services;
  const campaign = await prisma.campaign.findUnique({
    where: { id: campaignId },
    select: { id: true, name: true, qualificationRequired: true, qualificationPassAccuracy: true, qualificationMaxAttempts: true },
  });
  if (!campaign) throw new NotFoundError('campaign');
  const [attempts, itemCount] = await Promise.all([
    prisma.qualificationAttempt.findMany({ where: { campaignId, userId: user.id }, orderBy: [{ startedAt: 'desc' }, { id: 'asc' }], select: { id: true, finishedAt: true } }),
    prisma.goldItem.count({ where: { campaignId, purpose: 'QUALIFICATION', active: true } }),
  ]);
  const views = await Promise.all(attempts.map((a) => attemptView(services, user, a.id)));
  return {
    campaignId,
    campaignName: campaign.name,
    required: campaign.qualificationRequired,
    passed: views.some((v) => v.passed === true),
    passAccuracy: campaign.qualificationPassAccuracy,
    maxAttempts: campaign.qualificationMaxAttempts,
    attemptsUsed: attempts.length,
    attemptsLeft: Math.max(0, campaign.qualificationMaxAttempts - attempts.length),
    itemCount,
    current: views.find((v) => v.finishedAt === null) ?? null,
    attempts: views.filter((v) => v.finishedAt !== null),
  };
}

/** Campaigns where the caller annotates and must pass a qualification test they have not passed yet. */
export async function pendingQualifications(services: Services, user: AuthUser): Promise<QualificationStatus[]> {
  const campaigns = await services.prisma.campaign.findMany({
    where: {
      status: 'ACTIVE',
      qualificationRequired: true,
      members: { some: { userId: user.id, roles: { has: 'ANNOTATOR' } } },
      qualificationAttempts: { none: { userId: user.id, passed: true } },
    },
    select: { id: true },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  });
  return Promise.all(campaigns.map((c) => myQualification(services, user, c.id)));
}

// ---------------------------------------------------------------------------------------------------------------
// People gates in words (claims refused by claimSql)

interface GateRow {
  campaignId: string;
  name: string;
  labelCredential: string | null;
  credentialExpiresAt: Date | null;
  hasCredential: boolean;
  qualificationRequired: boolean;
  qualified: boolean;
}

/**
 * For each of the campaigns, why the annotator may not claim its labelling work because of a people gate (the
 * credential, the qualification test), in words; campaigns with no such gate holding are left out. The
 * guidelines gate has its own words (services/queues.ts).
 */
export async function peopleGateReasons(services: Services | { prisma: Tx }, userId: string, campaignIds: string[]): Promise<Map<string, string>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await services.prisma.$queryRaw<GateRow[]>`
    SELECT c.id::text AS "campaignId", c.name, c."labelCredential", cr."expiresAt" AS "credentialExpiresAt", cr.id IS NOT NULL AS "hasCredential",
           c."qualificationRequired",
           EXISTS (SELECT 1 FROM "QualificationAttempt" qa WHERE qa."campaignId" = c.id AND qa."userId" = ${userId}::uuid AND qa.passed) AS qualified
    FROM "Campaign" c
    LEFT JOIN "Credential" cr ON cr."userId" = ${userId}::uuid AND cr.kind = c."labelCredential"
    WHERE c.id IN (${Prisma.join(campaignIds.map((id) => Prisma.sql`${id}::uuid`))})
    ORDER BY c.name, c.id`;
  const now = Date.now();
  const reasons = new Map<string, string>();
  for (const r of rows) {
    if (r.labelCredential !== null && !r.hasCredential)
      reasons.set(r.campaignId, `campaign '${r.name}' needs the credential '${r.labelCredential}', which you do not hold: ask an operations manager to record it`);
    else if (r.labelCredential !== null && r.credentialExpiresAt !== null && r.credentialExpiresAt.getTime() <= now)
      reasons.set(
        r.campaignId,
        `your credential '${r.labelCredential}' expired on ${r.credentialExpiresAt.toISOString().slice(0, 10)}: campaign '${r.name}' needs it unexpired; ask an operations manager to record the renewal`,
      );
    else if (r.qualificationRequired && !r.qualified) reasons.set(r.campaignId, `pass the qualification test of campaign '${r.name}' first`);
  }
  return reasons;
}

// ---------------------------------------------------------------------------------------------------------------
// Pilot report (operations managers, QA)

export interface PilotReportView extends PilotReport {
  batchId: string;
  pilot: boolean;
  geometry: string;
  names: Map<string, string>;
}

/**
 * The agreement report of a batch from its submitted labels (gold tasks aside): per annotator pair, per class and
 * the class confusions. Whoever labelled in the batch is refused (the blind rule wins over every role).
 */
export async function batchPilotReport(services: Services, user: AuthUser, batchId: string): Promise<PilotReportView> {
  const { prisma } = services;
  const batch = UUID.test(batchId)
    ? await prisma.batch.findUnique({ where: { id: batchId }, select: { id: true, pilot: true, campaign: { select: { labelSchema: true } } } })
    : null;
  if (!batch) throw new NotFoundError('batch');
  const labelled = await prisma.assignment.count({ where: { userId: user.id, kind: { in: ['LABEL', 'REWORK'] }, task: { batchId } } });
  if (labelled > 0) throw new ForbiddenError("you labelled tasks of this batch, so its agreement report stays hidden from you (it reflects other annotators' labels)");
  const schema = labelSchemaSchema.parse(batch.campaign.labelSchema);
  const type = annotationType(schema.geometry);
  const tasks = await prisma.task.findMany({
    where: { batchId, goldItemId: null },
    select: {
      id: true,
      frameIndex: true,
      asset: { select: { kind: true, metadata: true } },
      annotations: {
        where: { submitted: true, assignment: { status: 'SUBMITTED', kind: { in: ['LABEL', 'REWORK'] } } },
        select: { userId: true, data: true, version: true, assignment: { select: { round: true } } },
        orderBy: [{ version: 'desc' }],
      },
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const userIds = new Set<string>();
  const pilotTasks: PilotTask[] = [];
  for (const t of tasks) {
    const ctx = { schema, media: t.asset ? mediaBoundsOf(t.asset) : {}, frame: t.frameIndex };
    // Each annotator's newest submitted label of the task (round 0 is what a pilot is about; rework replaces it).
    const latest = new Map<string, unknown>();
    for (const a of t.annotations) if (!latest.has(a.userId)) latest.set(a.userId, a.data);
    const labels: PilotTask['labels'][number][] = [];
    for (const [annotator, data] of latest) {
      const parsed = parseLabel(ctx, data);
      if (!parsed.ok) continue;
      labels.push({ annotator, data: parsed.value });
      userIds.add(annotator);
    }
    if (labels.length > 0) pilotTasks.push({ taskId: t.id, ctx, labels });
  }
  const report = pilotReport(
    type,
    schema.classes.map((c) => c.key),
    pilotTasks,
  );
  const users = await prisma.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, name: true } });
  return { ...report, batchId, pilot: batch.pilot, geometry: schema.geometry, names: new Map(users.map((u) => [u.id, u.name])) };
}
