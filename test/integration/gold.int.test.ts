// Gold (honeypot) tasks on the real stack (PostgreSQL, Temporal, S3, the API and the worker): the gold set kept by
// an operations manager, gold served at the campaign's rate and never twice to one person, indistinguishable from
// ordinary work in the annotator's API, scored at once, accuracy with its Wilson interval, an annotator who keeps
// failing paused (and unpaused), and a batch that finishes and exports without its gold tasks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowNotFoundError } from '@temporalio/client';
import { taskWorkflowId } from '@suture/workflows/lifecycle/definitions';
import { goldPhase, servesGold } from '@suture/api/services/gold';
import { schema } from '@suture/api/schema/index';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { audit } from '../support/crowd.ts';

const TASKS = 10;
const GOLD_ITEMS = 6;

interface ClaimView {
  id?: string;
  kind?: string;
  status?: string;
  slot?: number;
  round?: number;
  taskId?: string;
  task?: Record<string, unknown>;
  code?: string;
  message?: string;
}
const CLAIM = `mutation { claimNextTask {
  ... on Assignment { id kind status slot round taskId task { id status round frameIndex sourceFrame requiredLevel prelabel modelConfidence asset { id kind } } }
  ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const ACCURACY = `query($c: ID!) { campaign(id: $c) { goldAccuracy { __typename
  ... on CampaignGoldAccuracySuccess { data { userId name answered correct accuracy lower upper paused pauseReason } }
  ... on DomainError { code message } } } }`;

interface AccuracyRow {
  userId: string;
  answered: number;
  correct: number;
  accuracy: number | null;
  lower: number | null;
  upper: number | null;
  paused: boolean;
  pauseReason: string | null;
}

/** The Wilson score interval at 95 %, written out by hand. */
function wilson(x: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = x / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [x === 0 ? 0 : centre - half, x === n ? 1 : centre + half];
}

/** One GraphQL operation, keeping the errors (an authorisation refusal is an error here, not a failure). */
async function gqlRaw(stack: Stack, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${stack.apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
}

describe('gold tasks: served, hidden, scored, and pausing who keeps failing', () => {
  let stack: Stack;
  let ops: Person;
  let gail: Person;
  let bob: Person;
  let cal: Person;
  let auditor: Person;
  let campaignId: string;
  let batchId: string;
  let assetIds: string[];
  let key = 0;

  const claim = async (who: Person) => (await gql<{ claimNextTask: ClaimView }>(stack.apiUrl, who.token, CLAIM)).claimNextTask;
  const submit = async (who: Person, assignmentId: string, data: unknown) => {
    const res = (
      await gql<{ submitAnnotation: { id?: string; code?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: assignmentId, d: data, k: `gold-it-${key++}` })
    ).submitAnnotation;
    if (!res.id) throw new Error(`submit refused: ${res.code} ${res.message}`);
    return res.id;
  };
  /** The gold answer behind a task (the test reads the database; the annotator never can), or null for ordinary work. */
  const goldAnswerOf = async (taskId: string) =>
    (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId }, select: { goldItem: { select: { answer: true } } } })).goldItem?.answer ?? null;
  const wrongFor = (answer: unknown) => ({ label: CLASSES.find((c) => c !== (answer as { label: string }).label)! });
  const setGold = async (goldRate: number, goldMinAccuracy: number | null, goldMinSamples: number) =>
    (
      await gql<{ setCampaignGold: { id?: string; code?: string; message?: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($c: ID!, $r: Float!, $a: Float, $n: Int!) { setCampaignGold(campaignId: $c, goldRate: $r, goldMinAccuracy: $a, goldMinSamples: $n) { ... on Campaign { id } ... on DomainError { code message } } }`,
        { c: campaignId, r: goldRate, a: goldMinAccuracy, n: goldMinSamples },
      )
    ).setCampaignGold;
  const accuracyOf = async (userId: string) => {
    const res = await gql<{ campaign: { goldAccuracy: { data?: AccuracyRow[]; message?: string } } }>(stack.apiUrl, ops.token, ACCURACY, { c: campaignId });
    const row = res.campaign.goldAccuracy.data?.find((r) => r.userId === userId);
    if (!row) throw new Error(`no gold accuracy for ${userId}: ${res.campaign.goldAccuracy.message}`);
    return row;
  };

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    gail = await register(stack, admin, 'Gail Good', ['ANNOTATOR'], [['laparoscopy', 3]]);
    bob = await register(stack, admin, 'Bob Bad', ['ANNOTATOR'], [['laparoscopy', 3]]);
    cal = await register(stack, admin, 'Cal Careful', ['ANNOTATOR'], [['laparoscopy', 3]]);
    auditor = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);
    ({ campaignId, batchId, assetIds } = await createCampaignWithBatch(stack, ops, { tasks: TASKS }));
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open for claims', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === TASKS);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('lets the operations manager keep a gold set whose answers pass the annotation type module, and nobody else', async () => {
    const ADD = `mutation($c: ID!, $a: ID!, $d: JSON!, $e: String) { addGoldItem(campaignId: $c, assetId: $a, answer: $d, explanation: $e, guidelineSection: "2.1") {
      ... on GoldItem { id active answer } ... on DomainError { code message } } }`;
    type Added = { addGoldItem: { id?: string; answer?: unknown; code?: string; message?: string } };
    const refused = (await gql<Added>(stack.apiUrl, ops.token, ADD, { c: campaignId, a: assetIds[0], d: { label: 'spleen' } })).addGoldItem;
    expect(refused.code).toBe('INVALID_INPUT');
    expect(refused.message).toMatch(/the answer does not fit the campaign schema: label: /);
    const extra = (await gql<Added>(stack.apiUrl, ops.token, ADD, { c: campaignId, a: assetIds[0], d: { label: 'hook', colour: 'red' } })).addGoldItem;
    expect(extra.message).toMatch(/colour/);
    const byAnnotator = await gqlRaw(stack, gail.token, ADD, { c: campaignId, a: assetIds[0], d: { label: 'hook' } });
    expect(JSON.stringify(byAnnotator)).toMatch(/your role does not allow this|FORBIDDEN/);
    expect(await stack.prisma.goldItem.count()).toBe(0);

    for (let i = 0; i < GOLD_ITEMS; i++) {
      const added = (await gql<Added>(stack.apiUrl, ops.token, ADD, { c: campaignId, a: assetIds[i], d: { label: CLASSES[(i + 1) % CLASSES.length] }, e: 'the jaws are visible' }))
        .addGoldItem;
      expect(added.id, added.message).toBeDefined();
    }
    const audited = await stack.prisma.auditEvent.count({ where: { action: 'gold.item-added', actorId: ops.id } });
    expect(audited).toBe(GOLD_ITEMS);

    expect((await setGold(1.5, null, 3)).message).toMatch(/goldRate must be between 0 and 1/);
    expect((await setGold(0.5, 0, 3)).message).toMatch(/goldMinAccuracy must be above 0/);
    expect((await setGold(0.5, null, 3)).id).toBe(campaignId);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'campaign.gold-settings', entityId: campaignId } })).toBe(1);

    // The annotator sees neither the gold set nor its settings.
    const peek = await gqlRaw(stack, gail.token, `query($c: ID!) { campaign(id: $c) { id goldItems { __typename ... on DomainError { code message } } } }`, { c: campaignId });
    expect(JSON.stringify(peek)).toContain('FORBIDDEN');
    expect(JSON.stringify(peek)).not.toContain('jaws');
    expect((await gqlRaw(stack, gail.token, `query($c: ID!) { campaign(id: $c) { goldRate } }`, { c: campaignId })).errors?.length).toBeGreaterThan(0);
  });

  it('serves gold at the rate, never the same item twice, looking exactly like ordinary work, and scores it at once', async () => {
    const phase = goldPhase(gail.id, campaignId);
    let claims = 0;
    let gold = 0;
    const served: string[] = [];
    const shapes: { gold?: ClaimView; ordinary?: ClaimView } = {};
    for (let i = 0; i < 8; i++) {
      const expectGold = servesGold(0.5, claims, gold, phase);
      const c = await claim(gail);
      expect(c.id, c.message).toBeDefined();
      const answer = await goldAnswerOf(c.taskId!);
      expect(answer !== null, `claim ${i + 1}`).toBe(expectGold);
      claims += 1;
      if (answer !== null) {
        gold += 1;
        served.push((await stack.prisma.task.findUniqueOrThrow({ where: { id: c.taskId! } })).goldItemId!);
        shapes.gold ??= c;
        // Her second gold answer is wrong.
        await submit(gail, c.id!, gold === 2 ? wrongFor(answer) : answer);
      } else {
        shapes.ordinary ??= c;
        await submit(gail, c.id!, { label: 'grasper' });
      }
    }
    expect(gold).toBe(Math.floor(0.5 * 8 + phase));
    expect(new Set(served).size).toBe(served.length);

    // Same fields, same values where they say anything about the work: a gold task reads as an open first slot.
    const strip = (v: ClaimView) => ({ ...v, id: '', taskId: '', task: { ...v.task, id: '', asset: { ...(v.task!.asset as object), id: '' } } });
    expect(strip(shapes.gold!)).toEqual(strip(shapes.ordinary!));
    expect(shapes.gold!.task!.status).toBe('OPEN');
    // The API's own schema (introspection is off for annotators): no field of their work names gold.
    for (const type of ['Task', 'Assignment', 'Annotation']) {
      const fields = Object.keys((schema.getType(type) as unknown as { getFields(): Record<string, unknown> }).getFields());
      expect(fields.length).toBeGreaterThan(3);
      expect(fields.filter((n) => /gold/i.test(n))).toEqual([]);
    }
    const mine = await gqlRaw(stack, gail.token, `{ myAssignments { id task { id status } } }`);
    expect(JSON.stringify(mine)).not.toMatch(/EXCLUDED|gold/i);

    // Scored at once, no task workflow, and paid like a label.
    const results = await stack.prisma.goldResult.findMany({ where: { userId: gail.id }, orderBy: { createdAt: 'asc' } });
    expect(results.map((r) => r.correct)).toEqual(Array.from({ length: gold }, (_, i) => i !== 1));
    expect(results.map((r) => r.score)).toEqual(Array.from({ length: gold }, (_, i) => (i === 1 ? 0 : 1)));
    const goldTask = await stack.prisma.task.findUniqueOrThrow({ where: { id: shapes.gold!.taskId! }, include: { assignments: true } });
    expect(goldTask.status).toBe('EXCLUDED');
    expect(goldTask.batchId).toBe(batchId);
    expect(goldTask.assignments.map((a) => a.status)).toEqual(['SUBMITTED']);
    await expect(stack.temporal.client.workflow.getHandle(taskWorkflowId(goldTask.id, 0)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const goldPay = await stack.prisma.ledgerEntry.findUniqueOrThrow({ where: { idempotencyKey: `label:${shapes.gold!.id}` } });
    const ordinaryPay = await stack.prisma.ledgerEntry.findUniqueOrThrow({ where: { idempotencyKey: `label:${shapes.ordinary!.id}` } });
    expect([goldPay.kind, goldPay.amountCents]).toEqual([ordinaryPay.kind, ordinaryPay.amountCents]);
  });

  it('shows each annotator’s gold accuracy with its 95 % Wilson interval', async () => {
    const row = await accuracyOf(gail.id);
    const answered = await stack.prisma.goldResult.count({ where: { userId: gail.id } });
    expect(answered).toBeGreaterThanOrEqual(2);
    const [lower, upper] = wilson(answered - 1, answered);
    expect(row).toMatchObject({ answered, correct: answered - 1, paused: false });
    expect(row.accuracy).toBeCloseTo((answered - 1) / answered, 12);
    expect(row.lower).toBeCloseTo(lower, 10);
    expect(row.upper).toBeCloseTo(upper, 10);
    // Her own view lags a day, so a fresh answer never shows which task was gold.
    const own = await gql<{ myGoldAccuracy: { answered?: number; paused?: boolean } }>(
      stack.apiUrl,
      gail.token,
      `query($c: ID!) { myGoldAccuracy(campaignId: $c) { ... on GoldAccuracy { answered paused } ... on DomainError { code message } } }`,
      { c: campaignId },
    );
    expect(own.myGoldAccuracy).toEqual({ answered: 0, paused: false });
  });

  it('pauses an annotator who keeps failing gold, refuses their claims with the reason, and unpausing restores them', async () => {
    expect((await setGold(1, 0.8, 3)).id).toBe(campaignId);
    for (let i = 1; i <= 3; i++) {
      const c = await claim(bob);
      const answer = await goldAnswerOf(c.taskId!);
      expect(answer, `Bob's claim ${i} is gold at rate 1`).not.toBeNull();
      await submit(bob, c.id!, wrongFor(answer));
      // Two answers are too few to judge (goldMinSamples 3); the third, 0 of 3 (at most 56 % at 95 %), pauses him.
      expect((await accuracyOf(bob.id)).paused).toBe(i === 3);
    }
    const refused = await claim(bob);
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(
      /you are paused on this campaign \(gold accuracy 0 % over 3 answers, at most 56\.1 % at 95 % confidence.*\): an operations manager must lift the pause/,
    );
    expect(await stack.prisma.assignment.count({ where: { userId: bob.id, status: 'ACTIVE' } })).toBe(0);
    const alert = await stack.prisma.alert.findFirstOrThrow({ where: { campaignId, kind: 'annotator.paused' } });
    expect(alert.data).toMatchObject({ userId: bob.id, answered: 3, correct: 0, minAccuracy: 0.8 });
    const paused = await stack.prisma.auditEvent.findFirstOrThrow({ where: { action: 'annotator.paused', entityId: campaignId } });
    expect(paused.data).toMatchObject({ userId: bob.id, rule: 'gold-accuracy' });
    expect(JSON.stringify(paused.data)).not.toMatch(/grasper|hook|clipper|scissors/);

    // Unpausing is the operations manager's: not the annotator's, audited, and acknowledges the alert.
    const UNPAUSE = `mutation($c: ID!, $u: ID!) { unpauseAnnotator(campaignId: $c, userId: $u) { ... on GoldAccuracy { paused } ... on DomainError { code message } } }`;
    expect(JSON.stringify(await gqlRaw(stack, bob.token, UNPAUSE, { c: campaignId, u: bob.id }))).toMatch(/your role does not allow this|FORBIDDEN/);
    expect((await gql<{ unpauseAnnotator: { paused?: boolean } }>(stack.apiUrl, ops.token, UNPAUSE, { c: campaignId, u: bob.id })).unpauseAnnotator).toEqual({ paused: false });
    expect((await stack.prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).acknowledgedById).toBe(ops.id);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'annotator.unpaused', actorId: ops.id, entityId: campaignId } })).toBe(1);
    const again = await claim(bob);
    expect(again.id, again.message).toBeDefined();
    // A fresh chance: the answers that paused him are not judged again.
    await submit(bob, again.id!, wrongFor(await goldAnswerOf(again.taskId!)));
    expect((await accuracyOf(bob.id)).paused).toBe(false);
    expect(await stack.prisma.goldResult.count({ where: { userId: bob.id } })).toBe(4);
  });

  it("releases the claim a paused annotator holds, and tells them why (an operations manager's pause)", async () => {
    expect((await setGold(0, null, 3)).id).toBe(campaignId);
    const held = await claim(cal);
    expect(held.id, held.message).toBeDefined();
    const before = await stack.prisma.task.findUniqueOrThrow({ where: { id: held.taskId! } });
    const PAUSE = `mutation($c: ID!, $u: ID!, $r: String!) { pauseAnnotator(campaignId: $c, userId: $u, reason: $r) { ... on GoldAccuracy { paused pauseReason } ... on DomainError { code message } } }`;
    const res = await gql<{ pauseAnnotator: { paused?: boolean; message?: string } }>(stack.apiUrl, ops.token, PAUSE, {
      c: campaignId,
      u: cal.id,
      r: 'read the updated guidelines first',
    });
    expect(res.pauseAnnotator.paused, res.pauseAnnotator.message).toBe(true);
    expect((await stack.prisma.assignment.findUniqueOrThrow({ where: { id: held.id! } })).status).toBe('RELEASED');
    expect((await stack.prisma.task.findUniqueOrThrow({ where: { id: held.taskId! } })).openSlots).toBe(before.openSlots + 1);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'claims.released', entityId: held.taskId!, actorId: ops.id } })).toBe(1);
    const refused = await claim(cal);
    expect(refused).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/paused on this campaign \(read the updated guidelines first\)/) });
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!, $u: ID!) { unpauseAnnotator(campaignId: $c, userId: $u) { ... on GoldAccuracy { paused } } }`, {
      c: campaignId,
      u: cal.id,
    });
    const back = await claim(cal);
    expect(back.id, back.message).toBeDefined();
    await submit(cal, back.id!, { label: 'grasper' });
  });

  it('lets the batch finish, pass QA and export with its gold tasks left out', async () => {
    expect((await setGold(0.5, null, 3)).id).toBe(campaignId);
    let finished = false;
    const watcher = waitFor('batch accepted', async () => (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).status === 'ACCEPTED', 240_000).finally(() => {
      finished = true;
    });
    const auditing = audit(
      stack,
      auditor,
      () => finished,
      () => 'PASS',
    );
    for (const who of [gail, cal]) {
      for (;;) {
        const c = await claim(who);
        if (c.code === 'NO_TASK_AVAILABLE') break;
        expect(c.id, c.message).toBeDefined();
        const answer = await goldAnswerOf(c.taskId!);
        await submit(who, c.id!, answer ?? { label: 'grasper' });
      }
    }
    await watcher;
    await auditing;

    const goldTasks = await stack.prisma.task.findMany({ where: { batchId, goldItemId: { not: null } }, select: { id: true, status: true } });
    expect(goldTasks.length).toBeGreaterThanOrEqual(5);
    expect(new Set(goldTasks.map((t) => t.status))).toEqual(new Set(['EXCLUDED']));
    const progress = await gql<{ batch: { progress: Record<string, number> } }>(
      stack.apiUrl,
      ops.token,
      `query($b: ID!) { batch(id: $b) { progress { total accepted excluded labelsSubmitted labelsNeeded } } }`,
      { b: batchId },
    );
    expect(progress.batch.progress).toEqual({ total: TASKS, accepted: TASKS, excluded: 0, labelsSubmitted: 2 * TASKS, labelsNeeded: 2 * TASKS });
    expect(await stack.prisma.qaAudit.count({ where: { task: { goldItemId: { not: null } } } })).toBe(0);

    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.stage).toBe('DONE');
    const exported = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: batch.exportKey! }));
    const text = await exported.Body!.transformToString();
    const body = JSON.parse(text) as { tasks: unknown[] };
    expect(body.tasks).toHaveLength(TASKS);
    for (const t of goldTasks) expect(text).not.toContain(t.id);
  });
});
