// Fair, deadline-aware queues on the real stack (PostgreSQL, Temporal, S3, the API and the worker): caps per
// annotator per batch (by count and by share), batch priority and deadline order, skipping a task with a reason,
// stage SLAs for expert review and QA raising one alert each, and the specific errors of a paused member and
// of a campaign whose budget is spent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepStageSlas } from '../../workflows/src/lifecycle/stage-sla.ts';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';

type Claim = { __typename: string; id?: string; taskId?: string; code?: string; message?: string };
const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const RELEASE = `mutation($a: ID!, $r: String!) { releaseTask(assignmentId: $a, reason: $r) { __typename ... on Assignment { id status } ... on DomainError { code message } } }`;
const SETTINGS = `mutation($c: ID!, $s: QueueSettingsInput!) { setCampaignQueueSettings(campaignId: $c, settings: $s) { __typename ... on Campaign { id capPerBatch capSharePerBatch reviewSlaSeconds qaSlaSeconds } ... on DomainError { code message } } }`;
const SCHEDULE = `mutation($b: ID!, $p: Int!, $d: DateTime) { setBatchSchedule(batchId: $b, priority: $p, deadline: $d) { __typename ... on Batch { id priority deadline } ... on DomainError { code message } } }`;

async function claim(stack: Stack, who: Person, campaignId: string): Promise<Claim> {
  return (await gql<{ claimNextTask: Claim }>(stack.apiUrl, who.token, CLAIM, { c: campaignId })).claimNextTask;
}

async function submit(stack: Stack, who: Person, assignmentId: string, label = 'grasper'): Promise<void> {
  const res = await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: assignmentId, d: { label }, k: `q:${assignmentId}` });
  if (!res.submitAnnotation.id) throw new Error(`submit: ${res.submitAnnotation.message}`);
}

/** Claims and submits; returns the task labelled. */
async function label(stack: Stack, who: Person, campaignId: string, answer = 'grasper'): Promise<string> {
  const c = await claim(stack, who, campaignId);
  if (!c.id) throw new Error(`${who.email} could not claim: ${c.code} ${c.message}`);
  await submit(stack, who, c.id, answer);
  return c.taskId!;
}

async function settings(stack: Stack, ops: Person, campaignId: string, s: Record<string, unknown>) {
  return (await gql<{ setCampaignQueueSettings: Record<string, unknown> }>(stack.apiUrl, ops.token, SETTINGS, { c: campaignId, s })).setCampaignQueueSettings;
}

async function schedule(stack: Stack, ops: Person, batchId: string, priority: number, deadline: Date | null) {
  return (await gql<{ setBatchSchedule: Record<string, unknown> }>(stack.apiUrl, ops.token, SCHEDULE, { b: batchId, p: priority, d: deadline?.toISOString() ?? null }))
    .setBatchSchedule;
}

async function openTasks(stack: Stack, batchId: string, n: number): Promise<void> {
  await waitFor(`${n} tasks of batch ${batchId} open`, async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === n);
}

/** A second batch over the campaign's assets, started. */
async function anotherBatch(stack: Stack, ops: Person, campaignId: string, assetIds: string[], name: string): Promise<string> {
  const res = await gql<{ createBatch: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($c: ID!, $n: String!, $a: [ID!]!) { createBatch(campaignId: $c, name: $n, assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
    { c: campaignId, n: name, a: assetIds },
  );
  if (!res.createBatch.id) throw new Error(`createBatch: ${res.createBatch.message}`);
  await startBatch(stack, ops, res.createBatch.id);
  return res.createBatch.id;
}

describe('queues: caps, batch order, skips, stage SLAs, gates', () => {
  let stack: Stack;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let ann3: Person;
  let expert1: Person;
  let expert2: Person;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann3 = await register(stack, admin, 'Cat Three', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expert1 = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    expert2 = await register(stack, admin, 'Dr Finn Expert', ['EXPERT'], [], 'board-certified-surgeon');
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('stops an annotator at the cap per batch, by count and then by share, while the others go on', async () => {
    const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 4 });
    await startBatch(stack, ops, batchId);
    await openTasks(stack, batchId, 4);

    const refused = await settings(stack, ops, campaignId, { capSharePerBatch: 1.5 });
    expect(refused.code).toBe('INVALID_INPUT');
    expect(refused.message).toMatch(/capSharePerBatch/);
    const set = await settings(stack, ops, campaignId, { capPerBatch: 2 });
    expect(set).toMatchObject({ capPerBatch: 2, capSharePerBatch: null });

    await label(stack, ann1, campaignId);
    await label(stack, ann1, campaignId);
    const atCap = await claim(stack, ann1, campaignId);
    expect(atCap.code).toBe('NO_TASK_AVAILABLE');
    expect(atCap.message).toMatch(/cap in every open batch \(2 labels per batch\)/);
    // Another annotator is not held back by ann1's cap.
    await label(stack, ann2, campaignId);

    // 8 label slots (4 tasks x overlap 2); a share of 0.375 is 3 of them: one more for ann1, then the cap.
    expect(await settings(stack, ops, campaignId, { capPerBatch: null, capSharePerBatch: 0.375 })).toMatchObject({ capPerBatch: null, capSharePerBatch: 0.375 });
    await label(stack, ann1, campaignId);
    const atShare = await claim(stack, ann1, campaignId);
    expect(atShare.code).toBe('NO_TASK_AVAILABLE');
    expect(atShare.message).toMatch(/37\.5% of a batch's labels/);
    expect(await stack.prisma.assignment.count({ where: { userId: ann1.id, task: { batchId }, status: 'SUBMITTED' } })).toBe(3);
    await label(stack, ann2, campaignId);
    await label(stack, ann3, campaignId);

    const audit = await stack.prisma.auditEvent.findFirstOrThrow({ where: { action: 'campaign.queue-settings', entityId: campaignId }, orderBy: { seq: 'desc' } });
    expect(audit.data).toMatchObject({ capPerBatch: null, capSharePerBatch: 0.375 });
  }, 240_000);

  it('serves the higher-priority batch first, then the earlier deadline, whatever the age', async () => {
    const { campaignId, batchId: a, assetIds } = await createCampaignWithBatch(stack, ops, { tasks: 2 });
    await startBatch(stack, ops, a);
    const b = await anotherBatch(stack, ops, campaignId, assetIds, 'Batch 2');
    const c = await anotherBatch(stack, ops, campaignId, assetIds, 'Batch 3');
    for (const id of [a, b, c]) await openTasks(stack, id, 2);
    const batchOf = async (taskId: string) => (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).batchId;

    // All alike: the oldest batch first.
    expect(await batchOf(await label(stack, ann1, campaignId))).toBe(a);

    const bad = await schedule(stack, ops, b, 5000, null);
    expect(bad.code).toBe('INVALID_INPUT');
    expect(await schedule(stack, ops, b, 5, null)).toMatchObject({ priority: 5, deadline: null });
    expect(await batchOf(await label(stack, ann2, campaignId))).toBe(b);

    // Same priority: the batch with a deadline before the one without, the earlier deadline before the later.
    const day = 24 * 3600 * 1000;
    expect(await schedule(stack, ops, c, 5, new Date(Date.now() + 2 * day))).toMatchObject({ priority: 5 });
    expect(await batchOf(await label(stack, ann3, campaignId))).toBe(c);
    await schedule(stack, ops, b, 5, new Date(Date.now() + day));
    expect(await batchOf(await label(stack, ann3, campaignId))).toBe(b);

    const audit = await stack.prisma.auditEvent.findFirstOrThrow({ where: { action: 'batch.schedule', entityId: b }, orderBy: { seq: 'desc' } });
    expect(audit.actorId).toBe(ops.id);
    expect(audit.data).toMatchObject({ priority: 5, previousPriority: 5, previousDeadline: null });
  }, 240_000);

  it('lets an annotator skip with a reason: the slot frees, the reason is kept, the task never comes back to them', async () => {
    const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 2 });
    await startBatch(stack, ops, batchId);
    await openTasks(stack, batchId, 2);

    const first = await claim(stack, ann1, campaignId);
    const skipped = first.taskId!;
    expect((await gql<{ releaseTask: Claim }>(stack.apiUrl, ann1.token, RELEASE, { a: first.id, r: '   ' })).releaseTask.code).toBe('INVALID_INPUT');
    expect((await gql<{ releaseTask: Claim }>(stack.apiUrl, ann2.token, RELEASE, { a: first.id, r: 'image unreadable' })).releaseTask.code).toBe('NOT_FOUND');
    const reason = 'Image unreadable';
    const released = (await gql<{ releaseTask: { status?: string; code?: string } }>(stack.apiUrl, ann1.token, RELEASE, { a: first.id, r: reason })).releaseTask;
    expect(released.status).toBe('RELEASED');
    // Twice is refused: the claim is no longer held.
    expect((await gql<{ releaseTask: Claim }>(stack.apiUrl, ann1.token, RELEASE, { a: first.id, r: reason })).releaseTask.code).toBe('LEASE_EXPIRED');

    const assignment = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: first.id } });
    expect(assignment).toMatchObject({ status: 'RELEASED', releaseReason: reason });
    expect(assignment.releasedAt).not.toBeNull();
    expect((await stack.prisma.task.findUniqueOrThrow({ where: { id: skipped } })).openSlots).toBe(2);
    const comment = await stack.prisma.taskComment.findFirstOrThrow({ where: { taskId: skipped, kind: 'SKIP' } });
    expect(comment).toMatchObject({ authorId: ann1.id, body: reason, round: 0 });
    // The audit log has the reason's category, never the annotator's words.
    const event = await stack.prisma.auditEvent.findFirstOrThrow({ where: { action: 'task.skipped', entityId: skipped } });
    expect(event.data).toEqual({ assignmentId: first.id, round: 0, slot: assignment.slot, category: 'IMAGE_UNREADABLE' });
    expect(JSON.stringify(event.data)).not.toContain(reason);

    // ann1 gets the other task, and after it nothing: the skipped task is never offered back this round.
    const other = await label(stack, ann1, campaignId);
    expect(other).not.toBe(skipped);
    expect((await claim(stack, ann1, campaignId)).code).toBe('NO_TASK_AVAILABLE');
    // Someone else takes the skipped task.
    const takenBy2 = [await label(stack, ann2, campaignId), await label(stack, ann2, campaignId)];
    expect(takenBy2).toContain(skipped);

    // Ops see the reason per task and per batch; an annotator does not.
    const view = await gql<{ batch: { skips: Array<{ taskId: string; reason: string; category: string }> } }>(
      stack.apiUrl,
      ops.token,
      `query($b: ID!) { batch(id: $b) { skips { taskId reason category } } }`,
      { b: batchId },
    );
    expect(view.batch.skips).toEqual([{ taskId: skipped, reason, category: 'IMAGE_UNREADABLE' }]);
    const forAnnotator = await fetch(`${stack.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ann2.token}` },
      body: JSON.stringify({ query: `query($b: ID!) { batch(id: $b) { skips { reason } } }`, variables: { b: batchId } }),
    });
    const body = (await forAnnotator.json()) as { data?: { batch: unknown } | null; errors?: unknown[] };
    expect(JSON.stringify(body)).not.toContain(reason);
  }, 240_000);

  it('raises one alert when a disagreement waits past the review SLA, releases an expired review claim, and one when QA waits past its SLA', async () => {
    const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1, qa: { tolerableErrorRate: 0.2, confidence: 0.8, seed: 'sla' } });
    expect(await settings(stack, ops, campaignId, { reviewSlaSeconds: 1, qaSlaSeconds: 1 })).toMatchObject({ reviewSlaSeconds: 1, qaSlaSeconds: 1 });
    await startBatch(stack, ops, batchId);
    await openTasks(stack, batchId, 1);
    const taskId = await label(stack, ann1, campaignId, 'grasper');
    await label(stack, ann2, campaignId, 'hook');
    await waitFor('task in review', async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).status === 'IN_REVIEW');

    // The worker's periodic sweep raises the alert; a second sweep raises nothing more.
    const reviewAlert = await waitFor('review SLA alert', () => stack.prisma.alert.findFirst({ where: { campaignId, kind: 'REVIEW_SLA_BREACHED' } }), 90_000, 500);
    expect(reviewAlert).toMatchObject({ batchId, dedupeKey: `review-sla:${taskId}:0` });
    expect(reviewAlert.data).toMatchObject({ taskId, round: 0 });
    expect((await sweepStageSlas(stack.prisma, batchId)).reviewBreaches).toBe(0);
    expect(await stack.prisma.alert.count({ where: { campaignId, kind: 'REVIEW_SLA_BREACHED' } })).toBe(1);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'sla.review-breached', entityId: taskId } })).toBe(1);

    // An expert's review claim whose lease ran out goes back to the queue: another expert takes it.
    const REVIEW = `mutation { claimNextReview { __typename ... on Assignment { id } ... on DomainError { code message } } }`;
    const held = (await gql<{ claimNextReview: Claim }>(stack.apiUrl, expert1.token, REVIEW)).claimNextReview;
    expect(held.id).toBeDefined();
    expect((await gql<{ claimNextReview: Claim }>(stack.apiUrl, expert2.token, REVIEW)).claimNextReview.code).toBe('NO_TASK_AVAILABLE');
    // Fixture: the lease ran out (the shortest claim SLA is 30 s).
    await stack.prisma.assignment.update({ where: { id: held.id! }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    await sweepStageSlas(stack.prisma, batchId);
    expect((await stack.prisma.assignment.findUniqueOrThrow({ where: { id: held.id! } })).status).toBe('EXPIRED');
    const review = (await gql<{ claimNextReview: Claim }>(stack.apiUrl, expert2.token, REVIEW)).claimNextReview;
    expect(review.id).toBeDefined();
    const submitted = await gql<{ submitReview: { id?: string; message?: string } }>(
      stack.apiUrl,
      expert2.token,
      `mutation($a: ID!, $d: JSON!, $k: String!) { submitReview(assignmentId: $a, correctedData: $d, idempotencyKey: $k) { ... on Review { id } ... on DomainError { message } } }`,
      { a: review.id, d: { label: 'grasper' }, k: `review:${review.id}` },
    );
    expect(submitted.submitReview.id).toBeDefined();

    // The accepted task is sampled for QA; nobody judges it within a second.
    const audit = await waitFor('QA sample drawn', () => stack.prisma.qaAudit.findFirst({ where: { batchId } }), 120_000);
    const qaAlert = await waitFor('QA SLA alert', () => stack.prisma.alert.findFirst({ where: { campaignId, kind: 'QA_SLA_BREACHED' } }), 90_000, 500);
    expect(qaAlert).toMatchObject({ batchId, dedupeKey: `qa-sla:${audit.id}` });
    expect((await sweepStageSlas(stack.prisma, batchId)).qaBreaches).toBe(0);
    expect(await stack.prisma.alert.count({ where: { campaignId, kind: 'QA_SLA_BREACHED' } })).toBe(1);

    // Ops list the campaign's alerts and acknowledge one.
    const listed = await gql<{ campaign: { alerts: Array<{ id: string; kind: string; acknowledgedAt: string | null }> } }>(
      stack.apiUrl,
      ops.token,
      `query($c: ID!) { campaign(id: $c) { alerts { id kind acknowledgedAt } } }`,
      { c: campaignId },
    );
    expect(listed.campaign.alerts.map((a) => a.kind).sort()).toEqual(['QA_SLA_BREACHED', 'REVIEW_SLA_BREACHED']);
    const ack = await gql<{ acknowledgeAlert: { id?: string; acknowledgedAt?: string; code?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($a: ID!) { acknowledgeAlert(alertId: $a) { ... on Alert { id acknowledgedAt } ... on DomainError { code } } }`,
      { a: qaAlert.id },
    );
    expect(ack.acknowledgeAlert.acknowledgedAt).toBeTruthy();
    // An annotator may not acknowledge it: refused, and the alert stays open.
    const byAnnotator = await fetch(`${stack.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ann1.token}` },
      body: JSON.stringify({ query: `mutation($a: ID!) { acknowledgeAlert(alertId: $a) { ... on Alert { id } ... on DomainError { code } } }`, variables: { a: reviewAlert.id } }),
    });
    expect(JSON.stringify(await byAnnotator.json())).not.toContain(reviewAlert.id);
    expect((await stack.prisma.alert.findUniqueOrThrow({ where: { id: reviewAlert.id } })).acknowledgedAt).toBeNull();
    expect((await stack.prisma.alert.findUniqueOrThrow({ where: { id: qaAlert.id } })).acknowledgedById).toBe(ops.id);
  }, 300_000);

  it('tells a paused member and a campaign out of budget why there is no work', async () => {
    const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1 });
    await startBatch(stack, ops, batchId);
    await openTasks(stack, batchId, 1);

    // Fixtures: what the gold rule (pause) and finance (budget) write.
    await stack.prisma.campaignMember.update({
      where: { campaignId_userId: { campaignId, userId: ann3.id } },
      data: { pausedAt: new Date(), pauseReason: 'gold accuracy under 80%' },
    });
    const paused = await claim(stack, ann3, campaignId);
    expect(paused.code).toBe('FORBIDDEN');
    expect(paused.message).toMatch(/paused.*gold accuracy under 80%/);

    await stack.prisma.campaign.update({ where: { id: campaignId }, data: { budgetBlockedAt: new Date() } });
    const blocked = await claim(stack, ann1, campaignId);
    expect(blocked.code).toBe('BUDGET_EXCEEDED');
    expect(blocked.message).toMatch(/budget/);
    expect(await stack.prisma.assignment.count({ where: { task: { batchId } } })).toBe(0);

    await stack.prisma.campaign.update({ where: { id: campaignId }, data: { budgetBlockedAt: null } });
    expect((await claim(stack, ann1, campaignId)).id).toBeDefined();
  }, 240_000);
});
