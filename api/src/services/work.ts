// The annotator's and expert's work: claim, heartbeat, drafts, submission, review, audit verdicts.
// Rules live here: ownership, leases, double-blind slots, idempotency, and the ledger entry per event.
import { poolOf, preparedStatementName, Prisma, type Assignment } from '@suture/db';
import { labelSchemaSchema } from '@suture/workflows/domain/label-schema';
import { mediaBoundsOf, parseLabel, type AnnotationContext } from '@suture/workflows/annotation/registry';
import { appendAudit } from '@suture/workflows/services/audit-log';
import { recordCorrections } from '@suture/workflows/services/feedback-notes';
import { recordPayable } from '@suture/workflows/services/ledger';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { nudgeBatch, nudgeTask } from './temporal.ts';
import { noTaskError } from './queues.ts';
import { claimGoldTask, scoreGoldAnswer } from './gold.ts';

/** Gaps between heartbeats longer than this are idle time and do not count as active. */
export const IDLE_GAP_SECONDS = 60;

/**
 * Claims the next open slot this annotator may take: one SQL statement that locks the first eligible
 * task with FOR UPDATE SKIP LOCKED, picks its lowest free blind slot and inserts the assignment.
 * Skill match: every skill the campaign requires at the campaign's minimum level, and the task's
 * required level at most the annotator's level. Returns the annotator's active claim if it has one.
 */
export async function claimNextTask(services: Services, user: AuthUser, campaignId: string | null): Promise<Assignment> {
  // Every annotator's hot path, and one raw statement: it goes straight to the connection pool under the
  // Prisma client (prepared by name, as Prisma's statements are), without Prisma's query layer.
  const pool = poolOf(services.prisma);
  if (!pool) throw new Error('claimNextTask needs a Prisma client made by createPrisma');
  // A paused annotator is refused with the reason; a claim the gold rate makes a gold task is served (services/gold.ts).
  const gold = await claimGoldTask(services, user, campaignId);
  if (gold) return gold;
  const query = claimQuery(user.id, campaignId);
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    const { rows } = await pool.query<ClaimRow>(query);
    // At most one row: the statement claims only when the annotator holds no active claim, and
    // Assignment_one_active_label_claim_key allows one active labelling claim per annotator.
    const [row] = rows;
    // Nothing claimable: only now is it worth asking why (paused, budget spent, caps reached), in words.
    if (!row) throw await noTaskError(services, user.id, campaignId);
    if (row.outcome === 'claimed') return assignmentOf(row);
    // The database's unique indexes are the arbiter: a concurrent claim took this slot, or this
    // annotator's own parallel request won. Both are resolved by looking again (bounded).
    if (row.outcome === 'retry') continue;
    if (row.outcome === 'expired') {
      // The annotator's own claim whose lease ran out goes back to the queue now rather than at the next sweep.
      await releaseOwnExpiredClaims(services, user.id);
      continue;
    }
    if (campaignId && row.campaignId !== campaignId) {
      throw new DomainError('CONFLICT', 'you already hold a claim in another campaign: submit it, or let its lease run out, before claiming here');
    }
    return assignmentOf(row);
  }
  throw new DomainError('CONFLICT', 'other annotators took the free slots first; claim again');
}

/**
 * One row of the claim statement: a new claim, or the active claim the annotator already holds (live or
 * expired), with the assignment's columns, so that the caller needs no second query to show it.
 */
export type ClaimRow = Assignment & { outcome: 'claimed' | 'held' | 'expired' | 'retry'; campaignId: string };

function assignmentOf(row: ClaimRow): Assignment {
  const { outcome: _outcome, campaignId: _campaignId, ...assignment } = row;
  return assignment;
}

const CLAIM_ATTEMPTS = 5;
/** The longest QA note kept (the console's text box allows as much). */
const MAX_AUDIT_NOTES = 5_000;

/**
 * The privacy gate, again in every claim: a task of an asset still waiting for (or refused by) a privacy officer
 * is never claimable, whatever its status says (the batch keeps such tasks PENDING; this holds if anything
 * else opened one). One primary-key probe per task looked at.
 */
const PAST_PRIVACY_GATE = Prisma.sql`(t."assetId" IS NULL OR EXISTS (
          SELECT 1 FROM "Asset" pa WHERE pa.id = t."assetId" AND pa."privacyStatus" IN ('NOT_REQUIRED', 'RELEASED')))`;
/** How far into the tasks in progress a claim looks for one the annotator has not labelled (see claimSql). */
const STARTED_WINDOW = 32;

async function releaseOwnExpiredClaims(services: Services, userId: string): Promise<void> {
  await services.prisma.$transaction(async (tx) => {
    const released = await tx.$queryRaw<Array<{ taskId: string }>>`
      WITH expired AS (
        UPDATE "Assignment" SET status = 'EXPIRED'
        WHERE "userId" = ${userId}::uuid AND status = 'ACTIVE' AND kind IN ('LABEL', 'REWORK') AND "leaseExpiresAt" < now()
        RETURNING "taskId"
      )
      UPDATE "Task" t SET "openSlots" = t."openSlots" + 1 FROM expired WHERE t.id = expired."taskId" RETURNING t.id AS "taskId"`;
    for (const r of released) await appendAudit(tx, { actorId: userId, action: 'claims.expired', entityType: 'Task', entityId: r.taskId, data: { claims: 1 } });
  });
}

/** The claim statement as pg runs it, named as Prisma's statements are; shared with the benchmark's bare-SQL baseline. */
export function claimQuery(userId: string, campaignId: string | null): { name: string | undefined; text: string; values: unknown[] } {
  const sql = claimSql(userId, campaignId);
  return { name: preparedStatementName(sql.text, sql.values.length), text: sql.text, values: sql.values as unknown[] };
}

/**
 * The claim statement. One round trip: when the annotator
 * already holds an active labelling claim it returns that claim (outcome held, or expired when its lease
 * ran out) and claims nothing; otherwise it claims and returns the new assignment (outcome claimed), or
 * answers retry when a unique index refused the assignment because a concurrent claim won the slot.
 * Gates: a member paused in a campaign, and a campaign whose budget is spent, get no labelling work there,
 * nor does one without the campaign's labelling credential (unexpired), its passed qualification test, or an
 * acknowledgement of guidelines changed since their first version;
 * a batch where the annotator reached the campaign's cap (capPerBatch labels, or capSharePerBatch of the
 * batch's label slots) is skipped. Queue order: batch priority DESC, batch deadline ASC NULLS LAST, then
 * task priority and age; a task the annotator skipped (released with a reason) is not offered again in its round.
 */
export function claimSql(userId: string, campaignId: string | null): Prisma.Sql {
  // The first task (in claim order) matching `where` that this annotator has not labelled (or skipped) in its
  // current round, locked; tasks another claim holds are skipped. The three searches below differ only in `where`.
  const firstClaimable = (where: Prisma.Sql) => Prisma.sql`
      SELECT t.id, t.round, t."campaignId" AS campaign_id, t.priority, e.overlap, e.sla
      FROM "Task" t JOIN eligible e ON e.campaign_id = t."campaignId"
      WHERE ${where}
        AND t."batchId" IN (SELECT id FROM front_batches)
        AND ${PAST_PRIVACY_GATE}
        AND ${notLabelledBy(userId)}
        AND NOT EXISTS (SELECT 1 FROM skipped s WHERE s.task_id = t.id AND s.round = t.round)
      ORDER BY t.priority DESC, t."createdAt", t.id
      LIMIT 1
      FOR UPDATE OF t SKIP LOCKED
    `;
  return Prisma.sql`
    WITH held AS (
      SELECT a.id, t."campaignId" AS campaign_id, a."leaseExpiresAt" < now() AS expired
      FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE a."userId" = ${userId}::uuid AND a.status = 'ACTIVE' AND a.kind IN ('LABEL', 'REWORK')
    ),
    eligible AS (
      SELECT c.id AS campaign_id, c.overlap, c."claimSlaSeconds" AS sla, c."capPerBatch" AS cap, c."capSharePerBatch" AS cap_share,
             COALESCE(MIN(us.level), (SELECT MAX(level) FROM "UserSkill" WHERE "userId" = ${userId}::uuid), 1) AS lvl
      FROM "Campaign" c
      LEFT JOIN "CampaignSkill" cs ON cs."campaignId" = c.id
      LEFT JOIN "UserSkill" us ON us."skillId" = cs."skillId" AND us."userId" = ${userId}::uuid
      WHERE c.status = 'ACTIVE' AND (${campaignId}::uuid IS NULL OR c.id = ${campaignId}::uuid)
        -- A campaign whose spend reached its budget gives no labelling claims until finance raises it.
        AND c."budgetBlockedAt" IS NULL
        -- Only campaigns that have the annotator on their staff (tenancy: services/tenancy.ts), and not paused there.
        AND EXISTS (SELECT 1 FROM "CampaignMember" m
                    WHERE m."campaignId" = c.id AND m."userId" = ${userId}::uuid AND 'ANNOTATOR' = ANY(m.roles) AND m."pausedAt" IS NULL)
        AND NOT EXISTS (SELECT 1 FROM held)
        -- People gates: the campaign's labelling credential held and unexpired, its qualification test passed,
        -- and guidelines changed since the first version acknowledged at the version in force.
        AND (c."labelCredential" IS NULL OR EXISTS (
              SELECT 1 FROM "Credential" cr
              WHERE cr."userId" = ${userId}::uuid AND cr.kind = c."labelCredential" AND (cr."expiresAt" IS NULL OR cr."expiresAt" > now())))
        AND (NOT c."qualificationRequired" OR EXISTS (
              SELECT 1 FROM "QualificationAttempt" qa WHERE qa."campaignId" = c.id AND qa."userId" = ${userId}::uuid AND qa.passed))
        AND (c."guidelinesVersion" <= 1 OR EXISTS (
              SELECT 1 FROM "GuidelineAck" ga WHERE ga."campaignId" = c.id AND ga."userId" = ${userId}::uuid AND ga.version = c."guidelinesVersion"))
      GROUP BY c.id
      HAVING bool_and(cs."skillId" IS NULL OR COALESCE(us.level, 0) >= cs."minLevel")
    ),
    -- Tasks this annotator skipped (released with a reason): not offered to them again in that round. Read
    -- once through the annotator's own assignments, not probed per task.
    skipped AS (
      SELECT a."taskId" AS task_id, a.round
      FROM "Assignment" a
      WHERE EXISTS (SELECT 1 FROM eligible)
        AND a."userId" = ${userId}::uuid AND a.status = 'RELEASED' AND a."releaseReason" IS NOT NULL AND a.kind IN ('LABEL', 'REWORK')
    ),
    -- Caps per annotator per batch. The annotator's labels (active or submitted, every round; gold tasks aside) per batch, read
    -- through their own assignments and only in campaigns that set a cap: the one-time filter keeps this
    -- scan away from every claim of a campaign without caps.
    own_labels AS (
      SELECT t."batchId" AS batch_id, t."campaignId" AS campaign_id, count(*) AS n
      FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE EXISTS (SELECT 1 FROM eligible WHERE cap IS NOT NULL OR cap_share IS NOT NULL)
        AND a."userId" = ${userId}::uuid AND a.status IN ('ACTIVE', 'SUBMITTED') AND a.kind IN ('LABEL', 'REWORK') AND t."goldItemId" IS NULL
        AND t."campaignId" IN (SELECT campaign_id FROM eligible WHERE cap IS NOT NULL OR cap_share IS NOT NULL)
      GROUP BY t."batchId", t."campaignId"
    ),
    -- A batch is at the share cap when share x its label slots (tasks x overlap) leaves no room for one more
    -- label, i.e. it has fewer than 'need' tasks: they are counted only up to 'need', so a large batch costs
    -- no more than a small one. Numeric, not float, so that a share like 0.1 is exact.
    capped AS (
      SELECT l.batch_id
      FROM own_labels l JOIN eligible e ON e.campaign_id = l.campaign_id
      CROSS JOIN LATERAL (SELECT ceil((l.n + 1)::numeric / (COALESCE(e.cap_share, 1)::numeric * e.overlap))::bigint AS need) s
      WHERE l.n >= e.cap
         OR CASE WHEN e.cap_share IS NULL THEN false
                 ELSE (SELECT count(*) FROM (SELECT 1 FROM "Task" bt WHERE bt."batchId" = l.batch_id AND bt.status <> 'EXCLUDED' LIMIT s.need) x) < s.need END
    ),
    -- Batches of the eligible campaigns still running, but those where the annotator is at the cap.
    queued AS (
      SELECT b.id, b.priority, b.deadline, e.lvl
      FROM "Batch" b JOIN eligible e ON e.campaign_id = b."campaignId"
      WHERE EXISTS (SELECT 1 FROM eligible) AND b.status NOT IN ('ACCEPTED', 'FAILED') AND b.id NOT IN (SELECT batch_id FROM capped)
    ),
    -- The front of the queue across batches: the first (batch priority DESC, deadline ASC NULLS LAST) that has
    -- a task this annotator may take, found by probing each batch's open tasks; when every batch queued shares
    -- one priority and deadline (the usual case) there is nothing to choose and nothing is probed.
    front AS (
      SELECT q.priority, q.deadline
      FROM queued q
      WHERE CASE WHEN (SELECT count(*) FROM (SELECT DISTINCT priority, deadline FROM queued) k) = 1 THEN true
                 ELSE EXISTS (
                   SELECT 1 FROM "Task" t
                   WHERE t."batchId" = q.id AND t.status = 'OPEN' AND t."openSlots" > 0 AND t."requiredLevel" <= q.lvl
                     AND ${PAST_PRIVACY_GATE}
                     AND ${notLabelledBy(userId)}
                     AND NOT EXISTS (SELECT 1 FROM skipped s WHERE s.task_id = t.id AND s.round = t.round)) END
      ORDER BY q.priority DESC, q.deadline ASC NULLS LAST
      LIMIT 1
    ),
    -- The searches below walk the claim indexes (task priority, age) and keep the front batches' tasks. With one
    -- priority and deadline everywhere that is the plan it always was; when batches differ, a walk for an untouched
    -- task also steps over the open tasks of other batches that come first in age (an index led by batchId, not
    -- there yet, would spare it).
    front_batches AS (
      SELECT q.id FROM queued q JOIN front f ON f.priority = q.priority AND f.deadline IS NOT DISTINCT FROM q.deadline
    ),
    -- Every scan of tasks below is skipped outright when there is no eligible campaign (the annotator holds
    -- a claim, or lacks the skills): the join with an empty list would otherwise read every queued task.
    -- Claim order within the front batches: higher task priority first; within a priority, tasks in progress
    -- (a slot of this round taken) before untouched ones, so that started tasks reach their N labels first;
    -- then oldest first.
    -- Tasks in progress: only the first STARTED_WINDOW this annotator may take are looked through. An
    -- annotator far ahead of the others has labelled many of them and waits for the others' labels;
    -- looking through all of them would make each of its claims slower the further ahead it is.
    started AS (
      SELECT t.id
      FROM "Task" t JOIN eligible e ON e.campaign_id = t."campaignId"
      WHERE EXISTS (SELECT 1 FROM eligible)
        AND t.status = 'OPEN' AND t."openSlots" > 0 AND t."openSlots" < t.slots AND t."requiredLevel" <= e.lvl
        AND t."batchId" IN (SELECT id FROM front_batches)
      ORDER BY t.priority DESC, t."createdAt", t.id
      LIMIT ${Prisma.raw(String(STARTED_WINDOW))}
    ),
    from_started AS (${firstClaimable(Prisma.sql`t.id IN (SELECT id FROM started) AND t.status = 'OPEN' AND t."openSlots" > 0`)}),
    -- An untouched task, only when it outranks the task in progress found (or none was): the bound on the
    -- priority keeps this scan, and its lock, away when a task in progress is taken. None of these can hold
    -- a label of this annotator; the check in firstClaimable stays, for safety.
    from_fresh AS (${firstClaimable(Prisma.sql`EXISTS (SELECT 1 FROM eligible)
        AND t.status = 'OPEN' AND t."openSlots" > 0 AND t."openSlots" >= t.slots AND t."requiredLevel" <= e.lvl
        AND t.priority > COALESCE((SELECT priority FROM from_started), -2147483648)`)}),
    -- Nothing in the window and nothing untouched (the end of a batch): the tasks in progress past the
    -- window, looked through in full, so that a task the annotator may take is never missed.
    from_started_rest AS (${firstClaimable(Prisma.sql`EXISTS (SELECT 1 FROM eligible) AND NOT EXISTS (SELECT 1 FROM from_started) AND NOT EXISTS (SELECT 1 FROM from_fresh)
        AND t.status = 'OPEN' AND t."openSlots" > 0 AND t."openSlots" < t.slots AND t."requiredLevel" <= e.lvl
        AND t.id NOT IN (SELECT id FROM started)`)}),
    candidate AS (
      SELECT id, round, campaign_id, overlap, sla FROM from_fresh
      UNION ALL
      SELECT id, round, campaign_id, overlap, sla FROM from_started WHERE NOT EXISTS (SELECT 1 FROM from_fresh)
      UNION ALL
      SELECT id, round, campaign_id, overlap, sla FROM from_started_rest
    ),
    slot AS (
      SELECT c.id AS task_id, c.round, c.campaign_id, c.sla,
             (SELECT MIN(s) FROM generate_series(1, c.overlap) s
              WHERE NOT EXISTS (
                SELECT 1 FROM "Assignment" a
                WHERE a."taskId" = c.id AND a.round = c.round AND a.kind IN ('LABEL', 'REWORK')
                  AND a.slot = s AND a.status IN ('ACTIVE', 'SUBMITTED'))) AS slot
      FROM candidate c
    ),
    -- A concurrent claim may have taken this slot after this statement's snapshot (it committed and let go
    -- of the task row just before it was locked here), or the annotator's own parallel request may have
    -- claimed elsewhere: the unique indexes refuse the second assignment and the statement answers
    -- 'retry' instead of failing, since a failed statement would cost its pooled connection.
    claimed AS (
      INSERT INTO "Assignment" ("id", "taskId", "userId", "kind", "round", "slot", "status", "leaseExpiresAt", "claimedAt", "lastHeartbeatAt", "activeSeconds")
      SELECT gen_random_uuid(), slot.task_id, ${userId}::uuid,
             (CASE WHEN slot.round > 0 THEN 'REWORK' ELSE 'LABEL' END)::"WorkKind",
             slot.round, slot.slot, 'ACTIVE', now() + make_interval(secs => slot.sla), now(), now(), 0
      FROM slot WHERE slot.slot IS NOT NULL
      ON CONFLICT DO NOTHING
      RETURNING *
    ),
    taken AS (
      UPDATE "Task" t SET "openSlots" = t."openSlots" - 1
      FROM claimed WHERE t.id = claimed."taskId"
      RETURNING t.id
    ),
    -- The claim is audited in the same statement (and commits with it): an append takes no lock, so
    -- claims stay as parallel as before.
    audited AS (
      INSERT INTO "AuditEvent" ("actorId", "action", "entityType", "entityId", "data")
      SELECT claimed."userId", 'task.claimed', 'Task', claimed."taskId"::text,
             jsonb_build_object('assignmentId', claimed.id::text, 'round', claimed.round, 'slot', claimed.slot, 'kind', claimed.kind::text)
      FROM claimed
      RETURNING seq
    )
    SELECT 'claimed' AS outcome, slot.campaign_id::text AS "campaignId", ${assignmentColumns('claimed')}
    FROM claimed JOIN slot ON slot.task_id = claimed."taskId"
    UNION ALL
    SELECT CASE WHEN held.expired THEN 'expired' ELSE 'held' END, held.campaign_id::text, ${assignmentColumns('a')}
    FROM held JOIN "Assignment" a ON a.id = held.id
    UNION ALL
    SELECT 'retry', slot.campaign_id::text, ${assignmentColumns(null)}
    FROM slot WHERE slot.slot IS NOT NULL AND NOT EXISTS (SELECT 1 FROM claimed)`;
}

/** No live label of `userId` on task t in its current round (the double-blind slot check, by the partial unique index). */
function notLabelledBy(userId: string): Prisma.Sql {
  return Prisma.sql`NOT EXISTS (
          SELECT 1 FROM "Assignment" a
          WHERE a."taskId" = t.id AND a."userId" = ${userId}::uuid AND a.round = t.round
            AND a.kind IN ('LABEL', 'REWORK') AND a.status IN ('ACTIVE', 'SUBMITTED'))`;
}

/**
 * Every column of "Assignment", in Prisma's names and types: uuid and enum columns as text, timestamps as
 * timestamptz. Kept equal
 * to Prisma's Assignment fields (a unit test compares them).
 */
type ColumnType = 'text' | 'timestamp' | 'int';
export const ASSIGNMENT_COLUMNS: ReadonlyArray<readonly [name: string, type: ColumnType]> = [
  ['id', 'text'],
  ['taskId', 'text'],
  ['userId', 'text'],
  ['kind', 'text'],
  ['round', 'int'],
  ['slot', 'int'],
  ['status', 'text'],
  ['leaseExpiresAt', 'timestamp'],
  ['claimedAt', 'timestamp'],
  ['lastHeartbeatAt', 'timestamp'],
  ['submittedAt', 'timestamp'],
  ['activeSeconds', 'int'],
  ['releaseReason', 'text'],
  ['releasedAt', 'timestamp'],
];

/**
 * The select list of those columns from `alias`, or nulls in their place for a row without an assignment.
 * Timestamps (stored without a zone, in UTC) go out as timestamptz, so any client reads them as UTC.
 */
function assignmentColumns(alias: 'claimed' | 'a' | null): Prisma.Sql {
  const column = ([name, type]: readonly [string, ColumnType]) => {
    if (alias === null) return 'NULL';
    if (type === 'text') return `${alias}."${name}"::text AS "${name}"`;
    if (type === 'timestamp') return `${alias}."${name}" AT TIME ZONE 'UTC' AS "${name}"`;
    return `${alias}."${name}"`;
  };
  return Prisma.raw(ASSIGNMENT_COLUMNS.map(column).join(', '));
}

type WorkKind = Assignment['kind'];
const LABELLING: readonly WorkKind[] = ['LABEL', 'REWORK'];

/**
 * The caller's own assignment, locked, of one of `kinds`. Someone else's assignment is reported as missing
 * (its existence is not the caller's business); an assignment of another kind is refused, so a review
 * slot can never take a label (which would leave the task IN_REVIEW for good) and a label slot never a review.
 */
export async function ownActiveAssignment(tx: Prisma.TransactionClient, user: AuthUser, assignmentId: string, kinds: readonly WorkKind[]): Promise<Assignment> {
  const [row] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Assignment" WHERE id = ${assignmentId}::uuid FOR UPDATE`;
  const assignment = row ? await tx.assignment.findUnique({ where: { id: assignmentId } }) : null;
  if (!assignment || assignment.userId !== user.id) throw new NotFoundError(`assignment ${assignmentId}`);
  if (!kinds.includes(assignment.kind)) {
    throw new ForbiddenError(
      assignment.kind === 'REVIEW' ? 'this assignment is an expert review: submit it with submitReview' : 'this assignment is a labelling slot, not a review',
    );
  }
  if (assignment.status === 'EXPIRED' || assignment.status === 'RELEASED' || (assignment.status === 'ACTIVE' && assignment.leaseExpiresAt.getTime() < Date.now())) {
    throw new DomainError('LEASE_EXPIRED', 'this claim has expired and the task went back to the queue; claim a new task');
  }
  return assignment;
}

/** Labelling needs the annotator role at the time of the write, not only at the claim. */
export function assertAnnotator(user: AuthUser): void {
  if (!user.roles.includes('ANNOTATOR')) throw new ForbiddenError('only annotators label tasks');
}

function activeSecondsSince(last: Date, now: Date): number {
  const gap = Math.max(0, (now.getTime() - last.getTime()) / 1000);
  return gap > IDLE_GAP_SECONDS ? 0 : Math.round(gap);
}

/**
 * A beat from the open page. `active` says whether the person interacted (pointer, key, wheel, touch, media
 * playing) since the last beat: only then is the gap credited (at most IDLE_GAP_SECONDS of it counts); an idle
 * beat from a visible but untouched tab keeps the claim alive and earns nothing.
 */
export async function heartbeat(services: Services, user: AuthUser, assignmentId: string, active: boolean): Promise<string> {
  await services.prisma.$transaction(async (tx) => {
    const a = await ownActiveAssignment(tx, user, assignmentId, ['LABEL', 'REWORK', 'REVIEW']);
    if (a.status !== 'ACTIVE') throw new DomainError('CONFLICT', 'this assignment is already submitted');
    const now = new Date();
    const credit = active ? activeSecondsSince(a.lastHeartbeatAt, now) : 0;
    await tx.assignment.update({ where: { id: a.id }, data: { lastHeartbeatAt: now, activeSeconds: { increment: credit } } });
  });
  return assignmentId;
}

/** Largest label payload accepted, as JSON text: volumes carry run lengths, everything else is far smaller. */
export const MAX_LABEL_BYTES = { default: 2 * 1024 * 1024, volume: 32 * 1024 * 1024 } as const;

/**
 * The label checked by the campaign's annotation type module against the task's real media (image size,
 * frame count, volume grid): the same rules the worker applies before scoring, so that an accepted label
 * can always be scored. Returns the canonical form.
 */
async function validatedLabel(tx: Prisma.TransactionClient, taskId: string, data: unknown): Promise<Prisma.InputJsonValue> {
  return (await checkedLabel(tx, taskId, data)).value;
}

/** validatedLabel, with the campaign's guideline version in force read in the same query (recorded with each label version). */
async function checkedLabel(tx: Prisma.TransactionClient, taskId: string, data: unknown): Promise<{ value: Prisma.InputJsonValue; guidelineVersion: number }> {
  const task = await tx.task.findUniqueOrThrow({
    where: { id: taskId },
    select: { frameIndex: true, campaign: { select: { labelSchema: true, guidelinesVersion: true } }, asset: { select: { kind: true, metadata: true } } },
  });
  const schema = labelSchemaSchema.parse(task.campaign.labelSchema);
  const value = labelOrThrow({ schema, media: mediaBoundsOf(task.asset), frame: task.frameIndex }, data);
  return { value: value as Prisma.InputJsonValue, guidelineVersion: task.campaign.guidelinesVersion };
}

/**
 * A label (a task's, or a qualification answer's) checked by its type module in `ctx`: within the size limit of its
 * type, and fitting the schema and the media; its canonical form, or an InvalidInputError saying what is wrong.
 */
export function labelOrThrow(ctx: AnnotationContext, data: unknown): unknown {
  const limit = ctx.schema.geometry === 'volume' ? MAX_LABEL_BYTES.volume : MAX_LABEL_BYTES.default;
  const size = JSON.stringify(data ?? null).length;
  if (size > limit) throw new InvalidInputError(`the label is ${size} bytes of JSON; at most ${limit} are accepted for ${ctx.schema.geometry} labels`);
  const parsed = parseLabel(ctx, data);
  if (!parsed.ok) throw new InvalidInputError('the label does not fit the campaign schema', parsed.problems);
  return parsed.value;
}

export async function saveDraft(services: Services, user: AuthUser, assignmentId: string, data: unknown): Promise<string> {
  assertAnnotator(user);
  return services.prisma.$transaction(async (tx) => {
    const a = await ownActiveAssignment(tx, user, assignmentId, LABELLING);
    if (a.status !== 'ACTIVE') throw new DomainError('CONFLICT', 'this assignment is already submitted; drafts are closed');
    const { value, guidelineVersion } = await checkedLabel(tx, a.taskId, data);
    const last = await tx.annotation.findFirst({ where: { assignmentId }, orderBy: { version: 'desc' }, select: { id: true, version: true, submitted: true } });
    const now = new Date();
    await tx.assignment.update({ where: { id: a.id }, data: { lastHeartbeatAt: now, activeSeconds: { increment: activeSecondsSince(a.lastHeartbeatAt, now) } } });
    // One draft per assignment, overwritten by each autosave: drafts cannot pile up.
    const draft =
      last && !last.submitted
        ? await tx.annotation.update({ where: { id: last.id }, data: { data: value, guidelineVersion }, select: { id: true, version: true } })
        : await tx.annotation.create({
            data: { assignmentId, taskId: a.taskId, userId: user.id, version: (last?.version ?? 0) + 1, data: value, submitted: false, guidelineVersion },
            select: { id: true, version: true },
          });
    // Which draft of which task, never its content.
    await appendAudit(tx, { actorId: user.id, action: 'annotation.draft-saved', entityType: 'Task', entityId: a.taskId, data: { assignmentId: a.id, version: draft.version } });
    return draft.id;
  });
}

/** Submits the final label. The idempotency key makes retries (network, browser crash) safe. */
export async function submitAnnotation(services: Services, user: AuthUser, input: { assignmentId: string; data: unknown; idempotencyKey: string }): Promise<string> {
  if (!/^[A-Za-z0-9_:.-]{8,128}$/.test(input.idempotencyKey)) throw new InvalidInputError('idempotencyKey must be 8-128 characters of letters, digits, _ : . -');
  assertAnnotator(user);
  const { prisma } = services;
  const previous = await prisma.annotation.findUnique({ where: { idempotencyKey: input.idempotencyKey }, select: { id: true, assignmentId: true, userId: true } });
  if (previous) {
    if (previous.userId !== user.id || previous.assignmentId !== input.assignmentId) throw new DomainError('CONFLICT', 'this idempotency key was used for another submission');
    return previous.id;
  }
  const result = await prisma.$transaction(async (tx) => {
    // The task row is locked first (task before assignment, the order every path takes), so that of two
    // annotators submitting the last labels of a task at once, the second counts the first's committed
    // label and moves the task on; without it each counts only its own and the task stays OPEN.
    await tx.$queryRaw`SELECT t.id FROM "Task" t JOIN "Assignment" a ON a."taskId" = t.id WHERE a.id = ${input.assignmentId}::uuid FOR UPDATE OF t`;
    const a = await ownActiveAssignment(tx, user, input.assignmentId, LABELLING);
    if (a.status === 'SUBMITTED') throw new DomainError('CONFLICT', 'this assignment is already submitted');
    const { value, guidelineVersion } = await checkedLabel(tx, a.taskId, input.data);
    const last = await tx.annotation.findFirst({ where: { assignmentId: a.id }, orderBy: { version: 'desc' }, select: { version: true } });
    const now = new Date();
    const annotation = await tx.annotation.create({
      data: {
        assignmentId: a.id,
        taskId: a.taskId,
        userId: user.id,
        version: (last?.version ?? 0) + 1,
        data: value,
        submitted: true,
        idempotencyKey: input.idempotencyKey,
        guidelineVersion,
      },
    });
    await tx.assignment.update({
      where: { id: a.id },
      data: { status: 'SUBMITTED', submittedAt: now, lastHeartbeatAt: now, activeSeconds: { increment: activeSecondsSince(a.lastHeartbeatAt, now) } },
    });
    const task = await tx.task.findUniqueOrThrow({
      where: { id: a.taskId },
      select: { id: true, batchId: true, campaignId: true, round: true, goldItemId: true, campaign: { select: { overlap: true } } },
    });
    // A gold task is scored now against its known answer; it has no task workflow (services/gold.ts).
    if (task.goldItemId) await scoreGoldAnswer(tx, user, { taskId: task.id, goldItemId: task.goldItemId, assignmentId: a.id, label: value });
    const submitted = await tx.assignment.count({ where: { taskId: task.id, round: a.round, kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' } });
    if (submitted >= task.campaign.overlap) await tx.task.updateMany({ where: { id: task.id, status: 'OPEN' }, data: { status: 'LABELED' } });
    await recordPayable(tx, {
      campaignId: task.campaignId,
      batchId: task.batchId,
      taskId: task.id,
      userId: user.id,
      assignmentId: a.id,
      kind: a.kind === 'REWORK' ? 'REWORK' : 'LABEL',
      idempotencyKey: `label:${a.id}`,
    });
    await appendAudit(tx, {
      actorId: user.id,
      action: 'annotation.submitted',
      entityType: 'Task',
      entityId: task.id,
      data: { assignmentId: a.id, round: a.round, slot: a.slot, version: annotation.version },
    });
    return { annotationId: annotation.id, taskId: task.id, round: a.round, gold: task.goldItemId !== null };
  });
  if (!result.gold) await nudgeTask(services, result.taskId, result.round);
  return result.annotationId;
}

/** An expert claims the next disagreement of a campaign whose credential they hold. */
export async function claimNextReview(services: Services, user: AuthUser): Promise<string> {
  const { prisma } = services;
  const [existing] = await prisma.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM "Assignment" WHERE "userId" = ${user.id}::uuid AND kind = 'REVIEW' AND status = 'ACTIVE' AND "leaseExpiresAt" > now() ORDER BY "claimedAt" LIMIT 1`;
  if (existing) return existing.id;
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    // Another expert's claim of the same review may win (Assignment_live_review_key): the statement then
    // answers 'retry' rather than failing (a failed statement costs its pooled connection) and we look again.
    const [row] = await prisma.$queryRaw<Array<{ outcome: 'claimed' | 'retry'; id: string | null }>>`
        WITH candidate AS (
          SELECT t.id, t.round, c."claimSlaSeconds" AS sla
          FROM "Task" t JOIN "Campaign" c ON c.id = t."campaignId"
          WHERE t.status = 'IN_REVIEW' AND c.status = 'ACTIVE'
            AND EXISTS (SELECT 1 FROM "CampaignMember" m WHERE m."campaignId" = c.id AND m."userId" = ${user.id}::uuid AND 'EXPERT' = ANY(m.roles))
            AND (c."reviewCredential" IS NULL OR EXISTS (
              SELECT 1 FROM "Credential" cr WHERE cr."userId" = ${user.id}::uuid AND cr.kind = c."reviewCredential"
                AND (cr."expiresAt" IS NULL OR cr."expiresAt" > now())))
            AND ${PAST_PRIVACY_GATE}
            AND NOT EXISTS (SELECT 1 FROM "Assignment" a WHERE a."taskId" = t.id AND a.round = t.round AND a.kind = 'REVIEW' AND a.status IN ('ACTIVE', 'SUBMITTED'))
            -- An expert never adjudicates a task they labelled.
            AND NOT EXISTS (SELECT 1 FROM "Assignment" a WHERE a."taskId" = t.id AND a."userId" = ${user.id}::uuid AND a.kind IN ('LABEL', 'REWORK'))
          ORDER BY t.priority DESC, t."createdAt", t.id
          LIMIT 1
          FOR UPDATE OF t SKIP LOCKED
        ),
        claimed AS (
          INSERT INTO "Assignment" ("id", "taskId", "userId", "kind", "round", "slot", "status", "leaseExpiresAt", "claimedAt", "lastHeartbeatAt", "activeSeconds")
          SELECT gen_random_uuid(), candidate.id, ${user.id}::uuid, 'REVIEW', candidate.round, 0, 'ACTIVE', now() + make_interval(secs => candidate.sla), now(), now(), 0
          FROM candidate
          ON CONFLICT DO NOTHING
          RETURNING "id", "taskId", round
        ),
        audited AS (
          INSERT INTO "AuditEvent" ("actorId", "action", "entityType", "entityId", "data")
          SELECT ${user.id}::uuid, 'review.claimed', 'Task', claimed."taskId"::text, jsonb_build_object('assignmentId', claimed.id::text, 'round', claimed.round)
          FROM claimed
          RETURNING seq
        )
        SELECT 'claimed' AS outcome, id::text AS id FROM claimed
        UNION ALL
        SELECT 'retry', NULL FROM candidate WHERE NOT EXISTS (SELECT 1 FROM claimed)`;
    if (!row) throw new DomainError('NO_TASK_AVAILABLE', 'no disagreement is waiting for an expert with your credentials');
    if (row.outcome === 'claimed' && row.id) return row.id;
  }
  throw new DomainError('CONFLICT', 'other experts took the waiting reviews first; claim again');
}

export async function submitReview(
  services: Services,
  user: AuthUser,
  input: { assignmentId: string; chosenAnnotationId?: string | null; correctedData?: unknown; comment?: string | null; idempotencyKey: string },
): Promise<string> {
  const { prisma } = services;
  const previous = await prisma.review.findUnique({ where: { idempotencyKey: input.idempotencyKey }, select: { id: true, reviewerId: true } });
  if (previous) {
    if (previous.reviewerId !== user.id) throw new DomainError('CONFLICT', 'this idempotency key was used for another review');
    return previous.id;
  }
  if ((input.chosenAnnotationId ? 1 : 0) + (input.correctedData !== undefined && input.correctedData !== null ? 1 : 0) !== 1) {
    throw new InvalidInputError("give exactly one of chosenAnnotationId (accept one annotator's label) or correctedData (your own label)");
  }
  const result = await prisma.$transaction(async (tx) => {
    const a = await ownActiveAssignment(tx, user, input.assignmentId, ['REVIEW']);
    if (a.status === 'SUBMITTED') throw new DomainError('CONFLICT', 'this review is already submitted');
    let data: Prisma.InputJsonValue;
    if (input.chosenAnnotationId) {
      const chosen = await tx.annotation.findFirst({
        where: { id: input.chosenAnnotationId, taskId: a.taskId, submitted: true, assignment: { round: a.round, kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' } },
      });
      if (!chosen) throw new InvalidInputError('chosenAnnotationId is not a submitted label of this task in this round');
      data = chosen.data as Prisma.InputJsonValue;
    } else {
      data = await validatedLabel(tx, a.taskId, input.correctedData);
    }
    const task = await tx.task.findUniqueOrThrow({ where: { id: a.taskId }, select: { id: true, batchId: true, campaignId: true, round: true } });
    const review = await tx.review.create({
      data: {
        taskId: task.id,
        reviewerId: user.id,
        round: a.round,
        decision: input.chosenAnnotationId ? 'ACCEPT_ANNOTATION' : 'CORRECTED',
        chosenAnnotationId: input.chosenAnnotationId ?? null,
        data,
        comment: input.comment ?? '',
        idempotencyKey: input.idempotencyKey,
      },
    });
    // A correction reaches each annotator whose label it changed (services/feedback.ts decides who reads it).
    if (review.decision === 'CORRECTED') await recordCorrections(tx, { taskId: task.id, round: a.round, reviewerId: user.id, data, comment: review.comment });
    const now = new Date();
    await tx.assignment.update({ where: { id: a.id }, data: { status: 'SUBMITTED', submittedAt: now, activeSeconds: { increment: activeSecondsSince(a.lastHeartbeatAt, now) } } });
    await recordPayable(tx, {
      campaignId: task.campaignId,
      batchId: task.batchId,
      taskId: task.id,
      userId: user.id,
      assignmentId: a.id,
      kind: 'REVIEW',
      idempotencyKey: `review:${a.id}`,
    });
    await appendAudit(tx, { actorId: user.id, action: 'review.submitted', entityType: 'Task', entityId: task.id, data: { round: a.round, decision: review.decision } });
    return { reviewId: review.id, taskId: task.id, round: a.round };
  });
  await nudgeTask(services, result.taskId, result.round);
  return result.reviewId;
}

/**
 * A QA auditor's verdict on a sampled task; giving the same verdict again is a no-op. A failure needs a note: it is
 * what the reworking annotator reads. The auditor may change their own verdict (an undo) until the round's lot is
 * decided: the batch row is locked here and by decideLot, so a change and the decision never interleave.
 */
export async function submitAuditVerdict(services: Services, user: AuthUser, input: { auditId: string; verdict: 'PASS' | 'FAIL'; notes?: string | null }): Promise<string> {
  const notes = (input.notes ?? '').trim();
  if (notes.length > MAX_AUDIT_NOTES) throw new InvalidInputError(`audit notes may have at most ${MAX_AUDIT_NOTES} characters`);
  if (input.verdict === 'FAIL' && notes === '') throw new InvalidInputError('a failed audit needs a note saying what is wrong: the annotator who reworks the task reads it');
  const result = await services.prisma.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<Array<{ id: string; batchId: string }>>`SELECT id, "batchId" FROM "QaAudit" WHERE id = ${input.auditId}::uuid`;
    if (!row) throw new NotFoundError(`audit ${input.auditId}`);
    await tx.$queryRaw`SELECT id FROM "Batch" WHERE id = ${row.batchId}::uuid FOR UPDATE`;
    await tx.$queryRaw`SELECT id FROM "QaAudit" WHERE id = ${input.auditId}::uuid FOR UPDATE`;
    const audit = await tx.qaAudit.findUniqueOrThrow({
      where: { id: input.auditId },
      include: { batch: { select: { campaignId: true, qaRound: true, stage: true, qaHistory: true } } },
    });
    const previous = audit.verdict;
    if (previous) {
      if (audit.auditorId !== user.id) throw new DomainError('CONFLICT', `another auditor already judged this task (${previous})`);
      if (previous === input.verdict && audit.notes === notes) return { auditId: audit.id, batchId: audit.batchId, changed: false };
    }
    const history = Array.isArray(audit.batch.qaHistory) ? (audit.batch.qaHistory as Array<{ qaRound?: number; decision?: string }>) : [];
    const decided = history.some((h) => h.qaRound === audit.qaRound && h.decision !== undefined);
    if (audit.qaRound !== audit.batch.qaRound || audit.batch.stage !== 'QA' || decided) throw new DomainError('CONFLICT', 'this QA round is closed: its lot has been decided');
    const labelled = await tx.assignment.count({ where: { taskId: audit.taskId, userId: user.id } });
    if (labelled > 0) throw new ForbiddenError('you worked on this task; another auditor must judge it');
    await tx.qaAudit.update({ where: { id: audit.id }, data: { verdict: input.verdict, notes, auditorId: user.id, auditedAt: new Date() } });
    if (previous) {
      await appendAudit(tx, {
        actorId: user.id,
        action: 'qa.verdict-changed',
        entityType: 'Task',
        entityId: audit.taskId,
        data: { qaRound: audit.qaRound, from: previous, to: input.verdict },
      });
      return { auditId: audit.id, batchId: audit.batchId, changed: true };
    }
    await recordPayable(tx, {
      campaignId: audit.batch.campaignId,
      batchId: audit.batchId,
      taskId: audit.taskId,
      userId: user.id,
      kind: 'AUDIT',
      idempotencyKey: `audit:${audit.id}`,
    });
    await appendAudit(tx, { actorId: user.id, action: 'qa.verdict', entityType: 'Task', entityId: audit.taskId, data: { qaRound: audit.qaRound, verdict: input.verdict } });
    return { auditId: audit.id, batchId: audit.batchId, changed: true };
  });
  if (result.changed) await nudgeBatch(services, result.batchId);
  return result.auditId;
}
