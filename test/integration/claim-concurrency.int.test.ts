// Many annotators claim at once through the real GraphQL API: no blind slot is ever handed out twice,
// nobody holds two slots of a task or two claims at a time, every answer is a claim or a domain error
// (never an internal one), and a claim whose lease ran out goes back to the queue through the batch workflow.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@suture/api/auth/passwords';
import { claimNextTask } from '@suture/api/services/work';
import { poolOf } from '@suture/db';
import { startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, login, PASSWORD, register, startBatch, type Person } from '../support/scenario.ts';

const ANNOTATORS = 26;
const CLAIMS_PER_ANNOTATOR = 2;
const TASKS = 10;
const OVERLAP = 2;
const SLOTS = TASKS * OVERLAP;
/** Waves after the second stop once a wave hands out nothing new; this bounds them. */
const MAX_WAVES = 6;

const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id slot round task { id } } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { __typename ... on Annotation { id } ... on DomainError { code message } } }`;

type ClaimOutcome = { kind: 'claimed'; id: string; taskId: string; slot: number } | { kind: 'none' } | { kind: 'failed'; detail: string };

/** One raw GraphQL request, so that internal errors are reported instead of thrown. */
async function post(
  stack: Stack,
  token: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ status: number; body: { data?: Record<string, unknown>; errors?: unknown[] } }> {
  const res = await fetch(`${stack.apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

async function claim(stack: Stack, who: Person, campaignId: string): Promise<ClaimOutcome> {
  const { status, body } = await post(stack, who.token, CLAIM, { c: campaignId });
  const r = body.data?.claimNextTask as { __typename: string; id?: string; slot?: number; task?: { id: string }; code?: string } | undefined;
  if (status !== 200 || body.errors?.length || !r) return { kind: 'failed', detail: `${who.email}: HTTP ${status} ${JSON.stringify(body)}` };
  if (r.__typename === 'Assignment') return { kind: 'claimed', id: r.id!, taskId: r.task!.id, slot: r.slot! };
  if (r.__typename === 'DomainError' && r.code === 'NO_TASK_AVAILABLE') return { kind: 'none' };
  return { kind: 'failed', detail: `${who.email}: ${JSON.stringify(r)}` };
}

/** Every annotator fires its claims at the same moment; returns each annotator's outcomes. */
async function wave(stack: Stack, people: Person[], campaignId: string): Promise<Map<string, ClaimOutcome[]>> {
  const fired = people.flatMap((p) => Array.from({ length: CLAIMS_PER_ANNOTATOR }, () => claim(stack, p, campaignId).then((o) => [p.id, o] as const)));
  const byPerson = new Map<string, ClaimOutcome[]>(people.map((p) => [p.id, []]));
  for (const [id, outcome] of await Promise.all(fired)) byPerson.get(id)!.push(outcome);
  return byPerson;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Checks the double-blind slot rules from the database, whatever the API answered. */
async function expectSlotRules(stack: Stack, campaignId: string, when: string): Promise<void> {
  const tasks = await stack.prisma.task.findMany({ where: { campaignId }, select: { id: true, round: true, openSlots: true, status: true } });
  const assignments = await stack.prisma.assignment.findMany({ where: { task: { campaignId }, kind: { in: ['LABEL', 'REWORK'] } } });
  const live = assignments.filter((a) => a.status === 'ACTIVE' || a.status === 'SUBMITTED');

  // One live assignment per (task, round, slot), slots within 1..overlap.
  const slotKeys = live.map((a) => `${a.taskId}:${a.round}:${a.slot}`);
  expect.soft(slotKeys.length - new Set(slotKeys).size, `${when}: slots handed out twice`).toBe(0);
  expect
    .soft(
      live.filter((a) => a.slot < 1 || a.slot > OVERLAP).map((a) => a.id),
      `${when}: slots outside 1..overlap`,
    )
    .toEqual([]);
  // Nobody holds two slots of one task.
  const holderKeys = live.map((a) => `${a.taskId}:${a.round}:${a.userId}`);
  expect.soft(holderKeys.length - new Set(holderKeys).size, `${when}: annotators holding two slots of one task`).toBe(0);
  // Nobody holds two claims at once in this campaign: a second claim returns the first.
  const activeByUser = new Map<string, number>();
  for (const a of live) if (a.status === 'ACTIVE') activeByUser.set(a.userId, (activeByUser.get(a.userId) ?? 0) + 1);
  expect
    .soft(
      [...activeByUser.entries()].filter(([, n]) => n > 1),
      `${when}: annotators holding more than one active claim`,
    )
    .toEqual([]);
  // The queue's free-slot counter agrees with the live assignments and never goes below zero.
  for (const t of tasks) {
    const held = live.filter((a) => a.taskId === t.id && a.round === t.round).length;
    expect.soft(t.openSlots, `${when}: openSlots of task ${t.id}`).toBe(OVERLAP - held);
    expect.soft(t.openSlots, `${when}: openSlots of task ${t.id}`).toBeGreaterThanOrEqual(0);
  }
}

describe('claiming under concurrency', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let annotators: Person[];

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    // Users straight into the database with one shared hash (scrypt costs ~100 ms each), then a real login each.
    const passwordHash = await hashPassword(PASSWORD);
    const skill = await stack.prisma.skill.findUniqueOrThrow({ where: { key: 'laparoscopy' } });
    const created = await Promise.all(
      Array.from({ length: ANNOTATORS }, (_, i) =>
        stack.prisma.user.create({
          data: { email: `annotator${i}@suture.test`, name: `Annotator ${i}`, passwordHash, roles: ['ANNOTATOR'], skills: { create: { skillId: skill.id, level: 3 } } },
        }),
      ),
    );
    annotators = await mapLimit(created, 4, async (u) => ({ id: u.id, email: u.email, token: await login(stack, u.email) }));
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** A new campaign whose batch has run up to open tasks, each with `OVERLAP` free slots. */
  async function openCampaign(tasks: number): Promise<{ campaignId: string; batchId: string }> {
    const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks, overlap: OVERLAP });
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open for claims', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN', openSlots: OVERLAP } })) === tasks);
    return { campaignId, batchId };
  }

  /** Annotators holding no active claim anywhere, so an earlier test's claims do not shape this one. */
  async function idleAnnotators(n: number): Promise<Person[]> {
    const busy = await stack.prisma.assignment.findMany({ where: { status: 'ACTIVE', kind: { in: ['LABEL', 'REWORK'] } }, select: { userId: true } });
    const idle = annotators.filter((p) => !busy.some((b) => b.userId === p.id));
    if (idle.length < n) throw new Error(`need ${n} annotators without an active claim, have ${idle.length}`);
    return idle.slice(0, n);
  }

  it(`hands each of ${SLOTS} blind slots to exactly one of ${ANNOTATORS} annotators firing ${ANNOTATORS * CLAIMS_PER_ANNOTATOR} claims at once`, async () => {
    const { campaignId } = await openCampaign(TASKS);

    const failures: string[] = [];
    /** Every assignment id the API handed each annotator, over all waves. */
    const handed = new Map<string, Set<string>>(annotators.map((p) => [p.id, new Set<string>()]));
    const handedOut = () => [...handed.values()].reduce((n, ids) => n + ids.size, 0);
    let lastWave = new Map<string, ClaimOutcome[]>();
    for (let w = 1; w <= MAX_WAVES; w++) {
      const before = handedOut();
      lastWave = await wave(stack, annotators, campaignId);
      for (const [userId, outcomes] of lastWave) {
        for (const o of outcomes) {
          if (o.kind === 'failed') failures.push(`wave ${w}: ${o.detail}`);
          if (o.kind === 'claimed') handed.get(userId)!.add(o.id);
        }
      }
      await expectSlotRules(stack, campaignId, `after wave ${w}`);
      // Keep going past the second wave only while waves still hand out slots: SKIP LOCKED may answer
      // NO_TASK_AVAILABLE while a locked task still has a slot that the next wave can take.
      if (w >= 2 && handedOut() === before) break;
    }

    expect(failures, 'every claim answers with an assignment or NO_TASK_AVAILABLE').toEqual([]);
    // Idempotent resume: every claim of an annotator holding one, concurrent or later, returns that same claim.
    const twice = [...handed.entries()].filter(([, ids]) => ids.size > 1).map(([userId, ids]) => `${userId}: ${[...ids].join(', ')}`);
    expect(twice, 'annotators handed more than one claim').toEqual([]);

    const held = new Map([...handed.entries()].filter(([, ids]) => ids.size === 1).map(([userId, ids]) => [userId, [...ids][0]!]));
    const live = await stack.prisma.assignment.findMany({ where: { task: { campaignId }, kind: 'LABEL', status: { in: ['ACTIVE', 'SUBMITTED'] } } });
    const expected = Math.min(SLOTS, ANNOTATORS);
    expect(held.size, 'annotators holding a claim').toBe(expected);
    expect(live).toHaveLength(expected);
    expect(new Set(live.map((a) => a.id))).toEqual(new Set(held.values()));
    expect(await stack.prisma.task.aggregate({ where: { campaignId }, _sum: { openSlots: true } })).toEqual({ _sum: { openSlots: SLOTS - expected } });

    // In the last wave (nothing new handed out), holders got their own claim back and everyone else was told so.
    for (const [userId, outcomes] of lastWave) {
      const mine = held.get(userId);
      for (const o of outcomes) expect(o).toEqual(mine ? expect.objectContaining({ kind: 'claimed', id: mine }) : { kind: 'none' });
    }
  });

  it('returns a claim whose lease expired to the queue through the batch workflow', async () => {
    const { campaignId, batchId } = await openCampaign(1);
    const [late, steady, newcomer] = (await idleAnnotators(3)) as [Person, Person, Person];

    const lateClaim = await claim(stack, late, campaignId);
    const steadyClaim = await claim(stack, steady, campaignId);
    expect(lateClaim).toMatchObject({ kind: 'claimed' });
    expect(steadyClaim).toMatchObject({ kind: 'claimed' });
    if (lateClaim.kind !== 'claimed' || steadyClaim.kind !== 'claimed') return;
    expect(await claim(stack, newcomer, campaignId)).toEqual({ kind: 'none' });

    // The SLA ran out (a 30 s minimum lease is too slow for a test, so the clock is moved instead).
    await stack.prisma.$executeRaw`UPDATE "Assignment" SET "leaseExpiresAt" = now() - interval '1 second' WHERE id = ${lateClaim.id}::uuid`;
    const released = await waitFor(
      'the batch workflow to release the expired claim',
      async () => {
        const a = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: lateClaim.id } });
        const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: lateClaim.taskId } });
        return a.status === 'EXPIRED' && t.openSlots === 1 && t;
      },
      60_000,
    );
    expect(released.status).toBe('OPEN');
    expect(await stack.prisma.auditEvent.count({ where: { action: 'claims.expired', entityId: batchId } })).toBeGreaterThan(0);

    // The late annotator's work is refused, the slot goes to someone else, the other claim is untouched.
    const lateSubmit = await post(stack, late.token, SUBMIT, { a: lateClaim.id, d: { label: 'grasper' }, k: `late:${lateClaim.id}` });
    expect(lateSubmit.body.data?.submitAnnotation).toMatchObject({ __typename: 'DomainError', code: 'LEASE_EXPIRED' });
    const newcomerClaim = await claim(stack, newcomer, campaignId);
    expect(newcomerClaim).toMatchObject({ kind: 'claimed', taskId: lateClaim.taskId, slot: lateClaim.slot });
    expect(await claim(stack, steady, campaignId)).toMatchObject({ kind: 'claimed', id: steadyClaim.id });
    expect(await claim(stack, late, campaignId)).toEqual({ kind: 'none' });
    await expectSlotRules(stack, campaignId, 'after the expiry');
  });

  it("answers a claim that asks only for the assignment's own fields from the claim statement, the same as the stored row, new or held", async () => {
    const { campaignId } = await openCampaign(1);
    const [who] = (await idleAnnotators(1)) as [Person];
    const COLUMNS = `mutation($c: ID) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id taskId kind status round slot leaseExpiresAt claimedAt submittedAt activeSeconds } ... on DomainError { code message } } }`;
    const first = await post(stack, who.token, COLUMNS, { c: campaignId });
    const again = await post(stack, who.token, COLUMNS, { c: campaignId });
    expect(first.body.errors ?? []).toEqual([]);
    const claimed = first.body.data?.claimNextTask as Record<string, unknown>;
    expect(claimed.__typename).toBe('Assignment');
    // The second call resumes the held claim: the same answer.
    expect(again.body.data?.claimNextTask).toEqual(claimed);
    const stored = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: String(claimed.id) } });
    const task = await stack.prisma.task.findUniqueOrThrow({ where: { id: stored.taskId } });
    expect(task.campaignId).toBe(campaignId);
    expect(claimed).toEqual({
      __typename: 'Assignment',
      id: stored.id,
      taskId: stored.taskId,
      kind: 'LABEL',
      status: 'ACTIVE',
      round: stored.round,
      slot: stored.slot,
      leaseExpiresAt: stored.leaseExpiresAt.toISOString(),
      claimedAt: stored.claimedAt.toISOString(),
      submittedAt: null,
      activeSeconds: 0,
    });
    expect(stored.userId).toBe(who.id);
  });

  it("loses a race to the annotator's own concurrent claim without an error and without costing a pooled connection", async () => {
    const { campaignId } = await openCampaign(2);
    const [who] = (await idleAnnotators(1)) as [Person];
    const [first, second] = await stack.prisma.task.findMany({ where: { campaignId }, orderBy: [{ priority: 'desc' }, { createdAt: 'asc' }, { id: 'asc' }] });
    let connectionsDropped = 0;
    const countDropped = () => (connectionsDropped += 1);
    poolOf(stack.prisma)!.on('remove', countDropped);

    // Another request of the same annotator has claimed the second task and not yet committed.
    const other = new pg.Client({ connectionString: stack.db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE "Task" SET "openSlots" = "openSlots" - 1 WHERE id = $1::uuid`, [second!.id]);
      const { rows } = await other.query<{ id: string }>(
        `INSERT INTO "Assignment" (id, "taskId", "userId", kind, round, slot, status, "leaseExpiresAt") VALUES (gen_random_uuid(), $1::uuid, $2::uuid, 'LABEL', 0, 1, 'ACTIVE', now() + interval '1 hour') RETURNING id::text`,
        [second!.id, who.id],
      );
      const otherClaim = rows[0]!.id;

      // This claim sees no held claim yet, takes the first task and waits on the one-active-claim index for the other request.
      const claiming = claimNextTask(stack.services, { id: who.id, email: who.email, name: who.email, roles: ['ANNOTATOR'] }, campaignId);
      // Polled outside the other request's transaction: PostgreSQL reads pg_stat_activity once per transaction.
      await waitFor('the claim to wait for the other request', async () => {
        const [waiting] = await stack.prisma.$queryRaw<Array<{ n: number }>>`
          SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%WITH held AS%'`;
        return waiting!.n > 0;
      });
      await other.query('COMMIT');

      // The insert gives way ('retry'), the next look finds the committed claim and returns it.
      const claim = await claiming;
      expect(claim.id).toBe(otherClaim);
      expect(await stack.prisma.task.findUniqueOrThrow({ where: { id: first!.id }, select: { openSlots: true } })).toEqual({ openSlots: OVERLAP });
      expect(await stack.prisma.assignment.count({ where: { userId: who.id, status: 'ACTIVE' } })).toBe(1);
      // No statement failed, so pg-pool destroyed no connection (it does so after a failed statement).
      expect(connectionsDropped).toBe(0);
    } finally {
      poolOf(stack.prisma)!.off('remove', countDropped);
      await other.end();
    }
  });

  it('lets an annotator far ahead of the others go on to untouched tasks, while the others finish the tasks in progress first (priority first)', async () => {
    const ahead = 36;
    const { campaignId, batchId } = await openCampaign(ahead + 4);
    const [fast, other] = (await idleAnnotators(2)) as [Person, Person];
    const order = (await stack.prisma.task.findMany({ where: { batchId }, orderBy: [{ priority: 'desc' }, { createdAt: 'asc' }, { id: 'asc' }], select: { id: true } })).map(
      (t) => t.id,
    );
    const asUser = (p: Person) => ({ id: p.id, email: p.email, name: p.email, roles: ['ANNOTATOR' as const] });

    // The fast annotator labels one task after another (each submission stands in for submitAnnotation):
    // more tasks in progress, all labelled by it, than a claim looks through among tasks in progress.
    const labelled: string[] = [];
    for (let i = 0; i < ahead; i++) {
      const claim = await claimNextTask(stack.services, asUser(fast), campaignId);
      labelled.push(claim.taskId);
      await stack.prisma.assignment.update({ where: { id: claim.id }, data: { status: 'SUBMITTED', submittedAt: new Date() } });
    }
    expect(labelled).toEqual(order.slice(0, ahead));
    // Its next claim is the next untouched task, not an error and not a task it labelled.
    const next = await claimNextTask(stack.services, asUser(fast), campaignId);
    expect(next.taskId).toBe(order[ahead]);
    // Anyone else gets the earliest task in progress: tasks in progress are finished first, in claim order.
    const theirs = await claimNextTask(stack.services, asUser(other), campaignId);
    expect(theirs.taskId).toBe(order[0]);
    expect(theirs.slot).toBe(2);
    await stack.prisma.assignment.update({ where: { id: theirs.id }, data: { status: 'SUBMITTED', submittedAt: new Date() } });
    // Priority comes first: an untouched task of higher priority outranks the tasks in progress.
    const urgent = order[order.length - 1]!;
    await stack.prisma.task.update({ where: { id: urgent }, data: { priority: 5 } });
    const urgentClaim = await claimNextTask(stack.services, asUser(other), campaignId);
    expect(urgentClaim.taskId).toBe(urgent);
    await expectSlotRules(stack, campaignId, 'after the fast annotator ran ahead');
    // Both go back to being idle for the tests after this one.
    await stack.prisma.assignment.updateMany({ where: { id: { in: [next.id, urgentClaim.id] } }, data: { status: 'SUBMITTED', submittedAt: new Date() } });
  });

  it('finds a task in progress past the first ones it looks through when nothing else is left', async () => {
    const { campaignId, batchId } = await openCampaign(36);
    const [fast, other] = (await idleAnnotators(2)) as [Person, Person];
    const order = (await stack.prisma.task.findMany({ where: { batchId }, orderBy: [{ priority: 'desc' }, { createdAt: 'asc' }, { id: 'asc' }], select: { id: true } })).map(
      (t) => t.id,
    );
    // Every task is in progress: the fast annotator labelled the first 33, the other the last 3.
    const label = (who: Person, taskIds: string[]) => stack.prisma.$executeRaw`
      WITH labelled AS (
        INSERT INTO "Assignment" (id, "taskId", "userId", kind, round, slot, status, "leaseExpiresAt", "submittedAt")
        SELECT gen_random_uuid(), id, ${who.id}::uuid, 'LABEL', 0, 1, 'SUBMITTED', now(), now() FROM unnest(${taskIds}::uuid[]) AS id
        RETURNING "taskId")
      UPDATE "Task" t SET "openSlots" = t."openSlots" - 1 FROM labelled WHERE t.id = labelled."taskId"`;
    await label(fast, order.slice(0, 33));
    await label(other, order.slice(33));
    const asUser = (p: Person) => ({ id: p.id, email: p.email, name: p.email, roles: ['ANNOTATOR' as const] });

    const fastClaim = await claimNextTask(stack.services, asUser(fast), campaignId);
    expect(fastClaim.taskId).toBe(order[33]);
    const otherClaim = await claimNextTask(stack.services, asUser(other), campaignId);
    expect(otherClaim.taskId).toBe(order[0]);
    await expectSlotRules(stack, campaignId, 'at the end of the batch');
    await stack.prisma.assignment.updateMany({ where: { id: { in: [fastClaim.id, otherClaim.id] } }, data: { status: 'SUBMITTED', submittedAt: new Date() } });
  });

  it('answers a claim in a second campaign, while one in the first is held, with a claim or a domain error, never an internal error', async () => {
    const [first, second] = await Promise.all([openCampaign(1), openCampaign(1)]);
    const [who] = (await idleAnnotators(1)) as [Person];
    const held = await claim(stack, who, first.campaignId);
    expect(held).toMatchObject({ kind: 'claimed' });
    if (held.kind !== 'claimed') return;

    const { status, body } = await post(stack, who.token, CLAIM, { c: second.campaignId });
    expect(status).toBe(200);
    expect(body.errors ?? [], 'no internal error').toEqual([]);
    const answer = body.data?.claimNextTask as { __typename: string; id?: string; task?: { id: string }; code?: string };
    if (answer.__typename === 'Assignment') {
      // Either the claim already held is resumed, or a slot of the campaign asked for is handed out.
      const task = await stack.prisma.task.findUniqueOrThrow({ where: { id: answer.task!.id } });
      expect(answer.id === held.id || task.campaignId === second.campaignId, `claim ${answer.id} on task ${task.id}`).toBe(true);
    } else {
      expect(answer).toMatchObject({ __typename: 'DomainError', code: expect.any(String) });
    }
    await expectSlotRules(stack, first.campaignId, 'first campaign');
    await expectSlotRules(stack, second.campaignId, 'second campaign');
  });
});
