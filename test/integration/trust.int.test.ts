// Labels that could wedge a batch or break double-blind, tried on the real stack (PostgreSQL, Temporal,
// S3, the API and the worker): poison payloads, a stored label the quality engine refuses, an expert
// writing a label through a review slot, and a labeller who also holds oversight roles reading peers' work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';

const SCHEMA = {
  geometry: 'polygon',
  classes: [
    { key: 'liver', name: 'Liver' },
    { key: 'gallbladder', name: 'Gallbladder' },
  ],
};
/** The synthetic frames are 96 x 64 pixels. */
const square = (x: number, y: number, s: number) => [
  [x, y],
  [x + s, y],
  [x + s, y + s],
  [x, y + s],
];
const GOOD = { objects: [{ label: 'liver', rings: [square(10, 10, 30)] }] };
const BOWTIE = {
  objects: [
    {
      label: 'liver',
      rings: [
        [
          [10, 10],
          [40, 40],
          [40, 10],
          [10, 40],
        ],
      ],
    },
  ],
};

const CLAIM = `mutation { claimNextTask { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const DRAFT = `mutation($a: ID!, $d: JSON!) { saveDraft(assignmentId: $a, data: $d) { ... on Annotation { id } ... on DomainError { code message } } }`;

/** One GraphQL operation, keeping the errors (an authorisation refusal is an error, not a failure here). */
async function gqlRaw(stack: Stack, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${stack.apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
}

type Outcome = { id?: string; taskId?: string; code?: string; message?: string };

describe('trust: nothing wedges a batch, double-blind holds for every role', () => {
  let stack: Stack;
  let ops: Person;
  let ann: Person;
  let overseer: Person;
  let expert: Person;
  let batchId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    // Labels, and also audits and runs campaigns: the blind rule must still win.
    overseer = await register(stack, admin, 'Owen Overseer', ['ANNOTATOR', 'QA_AUDITOR', 'OPS_MANAGER'], [['laparoscopy', 3]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    ({ batchId } = await createCampaignWithBatch(stack, ops, { tasks: 2, threshold: 0.5, labelSchema: SCHEMA }));
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open for claims', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 2);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses poison labels with a message naming the field, before anything is stored', async () => {
    const claim = (await gql<{ claimNextTask: Outcome }>(stack.apiUrl, ann.token, CLAIM)).claimNextTask;
    expect(claim.id).toBeDefined();
    const submit = async (data: unknown, key: string) =>
      (await gql<{ submitAnnotation: Outcome }>(stack.apiUrl, ann.token, SUBMIT, { a: claim.id, d: data, k: key })).submitAnnotation;

    const bowtie = await submit(BOWTIE, 'poison-bowtie');
    expect(bowtie.code).toBe('INVALID_INPUT');
    expect(bowtie.message).toMatch(/objects\.0\.rings: .*self-intersecting/);
    const outside = await submit({ objects: [{ label: 'liver', rings: [square(80, 10, 30)] }] }, 'poison-outside');
    expect(outside.message).toMatch(/objects\.0\.rings\.0\.1\.0: x must lie inside the image \(0\.\.96\)/);
    expect((await submit({}, 'poison-empty')).message).toMatch(/objects: /);
    expect((await submit({ objects: [{ label: 'spleen', rings: [square(1, 1, 5)] }] }, 'poison-class')).message).toMatch(/objects\.0\.label: unknown class/);
    expect((await submit({ objects: [{ label: 'liver', rings: [square(1, 1, 5)], colour: 'red' }] }, 'poison-key')).message).toMatch(/objects\.0: .*colour/);
    const huge = await gql<{ saveDraft: Outcome }>(stack.apiUrl, ann.token, DRAFT, { a: claim.id, d: { objects: [], note: 'x'.repeat(3 * 1024 * 1024) } });
    expect(huge.saveDraft.message).toMatch(/bytes of JSON; at most 2097152/);
    expect(await stack.prisma.annotation.count({ where: { assignmentId: claim.id! } })).toBe(0);

    // Autosave overwrites one draft; it never piles up versions.
    for (let i = 0; i < 3; i++) expect((await gql<{ saveDraft: Outcome }>(stack.apiUrl, ann.token, DRAFT, { a: claim.id, d: GOOD })).saveDraft.id).toBeDefined();
    expect(await stack.prisma.annotation.count({ where: { assignmentId: claim.id! } })).toBe(1);

    // Keys in another order are the same label: stored canonically.
    const reordered = { objects: [{ rings: [square(10, 10, 30)], label: 'liver' }] };
    expect((await submit(reordered, 'good-label-ann')).id).toBeDefined();
    const stored = await stack.prisma.annotation.findFirstOrThrow({ where: { assignmentId: claim.id!, submitted: true } });
    expect(JSON.stringify(stored.data)).toBe(JSON.stringify(GOOD));
  });

  it('hides peers’ labels from a labeller who is also QA auditor and ops manager', async () => {
    const claim = (await gql<{ claimNextTask: Outcome }>(stack.apiUrl, overseer.token, CLAIM)).claimNextTask;
    const annTask = await stack.prisma.annotation.findFirstOrThrow({ where: { userId: ann.id, submitted: true } });
    expect(claim.taskId).toBe(annTask.taskId);
    const peek = await gqlRaw(stack, overseer.token, `query($t: ID!) { task(id: $t) { ... on Task { id consensus agreement submittedLabels { id data annotator { name } } } } }`, {
      t: claim.taskId,
    });
    expect(JSON.stringify(peek)).not.toContain('Ann');
    expect(JSON.stringify(peek)).not.toContain('rings');
    expect(peek.errors?.length).toBeGreaterThan(0);
    // Ann's assignment of the same task, reached directly: the assignment is visible to oversight, her label is not.
    const annAssignment = await stack.prisma.assignment.findFirstOrThrow({ where: { userId: ann.id, taskId: claim.taskId! } });
    const direct = await gqlRaw(stack, overseer.token, `query($a: ID!) { assignment(id: $a) { ... on Assignment { id latestAnnotation { data } } } }`, { a: annAssignment.id });
    expect(JSON.stringify(direct)).not.toContain('rings');
  });

  it('sends a task whose stored label the engine refuses to expert review with the reason, and the expert resolves it', async () => {
    const own = (await gql<{ claimNextTask: Outcome }>(stack.apiUrl, overseer.token, CLAIM)).claimNextTask;
    // A label stored before today's rules (or by a bug): the worker must not retry it forever.
    const annLabel = await stack.prisma.annotation.findFirstOrThrow({ where: { userId: ann.id, submitted: true, taskId: own.taskId! } });
    await stack.prisma.annotation.update({ where: { id: annLabel.id }, data: { data: BOWTIE } });
    const submitted = (await gql<{ submitAnnotation: Outcome }>(stack.apiUrl, overseer.token, SUBMIT, { a: own.id, d: GOOD, k: 'good-label-overseer' })).submitAnnotation;
    expect(submitted.id).toBeDefined();
    const inReview = await waitFor('task in review', async () => {
      const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: own.taskId! } });
      return t.status === 'IN_REVIEW' ? t : null;
    });
    expect(inReview.reviewReason).toMatch(/self-intersecting/);
    expect(inReview.agreement).toBeNull();

    // The expert's review slot cannot take a label (it would leave the task IN_REVIEW for good).
    // (A claim skips a task row the worker holds for a moment; the expert asks again.)
    const review = await waitFor('review claimed', async () => {
      const r = await gql<{ claimNextReview: Outcome & { task?: { reviewReason: string | null } } }>(
        stack.apiUrl,
        expert.token,
        `mutation { claimNextReview { ... on Assignment { id taskId task { reviewReason } } ... on DomainError { code message } } }`,
      );
      return r.claimNextReview.id ? r : null;
    });
    expect(review.claimNextReview.taskId).toBe(own.taskId);
    expect(review.claimNextReview.task?.reviewReason).toMatch(/self-intersecting/);
    const viaLabel = await gqlRaw(stack, expert.token, SUBMIT, { a: review.claimNextReview.id, d: GOOD, k: 'expert-through-label' });
    expect(JSON.stringify(viaLabel)).toMatch(/FORBIDDEN|Not authorized|annotators/);
    const viaDraft = await gqlRaw(stack, expert.token, DRAFT, { a: review.claimNextReview.id, d: GOOD });
    expect(JSON.stringify(viaDraft)).toMatch(/FORBIDDEN|Not authorized|annotators/);
    expect(await stack.prisma.annotation.count({ where: { userId: expert.id } })).toBe(0);
    const slot = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: review.claimNextReview.id! } });
    expect(slot.status).toBe('ACTIVE');
    expect(await stack.prisma.ledgerEntry.count({ where: { userId: expert.id } })).toBe(0);

    const chosen = await stack.prisma.annotation.findFirstOrThrow({ where: { userId: overseer.id, submitted: true, taskId: own.taskId! } });
    const decided = await gql<{ submitReview: Outcome }>(
      stack.apiUrl,
      expert.token,
      `mutation($a: ID!, $c: ID!) { submitReview(assignmentId: $a, chosenAnnotationId: $c, idempotencyKey: "review-poisoned-task") { ... on Review { id } ... on DomainError { code message } } }`,
      { a: review.claimNextReview.id, c: chosen.id },
    );
    expect(decided.submitReview.id).toBeDefined();
    const accepted = await waitFor('task accepted', async () => {
      const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: own.taskId! } });
      return t.status === 'ACCEPTED' ? t : null;
    });
    expect(accepted.consensus).toEqual(GOOD);
    expect(accepted.consensusMethod).toBe('expert-review:accept_annotation');

    // Accepted or not, the labeller with oversight roles still sees nothing of the peer's work on it.
    const after = await gqlRaw(stack, overseer.token, `query($t: ID!) { task(id: $t) { ... on Task { consensus submittedLabels { data } } } }`, { t: own.taskId });
    expect(JSON.stringify(after)).not.toContain('rings');

    // Nor through an export, which holds every individual label: another ops manager exports them.
    const campaignId = (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).campaignId;
    const EXPORT = `mutation($c: ID!) { exportLabels(campaignId: $c, format: "native") { ... on LabelExport { items } ... on DomainError { code message } } }`;
    const refused = await gqlRaw(stack, overseer.token, EXPORT, { c: campaignId });
    expect(JSON.stringify(refused)).toMatch(/FORBIDDEN|labels stay hidden from you/);
    expect(JSON.stringify(refused)).not.toContain('"items"');
    const allowed = await gql<{ exportLabels: { items?: number; message?: string } }>(stack.apiUrl, ops.token, EXPORT, { c: campaignId });
    expect(allowed.exportLabels.items, allowed.exportLabels.message).toBe(1);
  });
});
