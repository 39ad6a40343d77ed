// The campaign's consensus method on the real stack, three annotators per task. Once the campaign holds enough
// labels, the worker fits the campaign's method (Dawid-Skene for 'auto' and 'dawid-skene', MACE ...) on them and
// a task's consensus follows the model, so a reliable annotator outweighs two unreliable ones where a majority
// vote would not; 'majority' keeps the majority answer on the same data. The method is recorded on each task and
// in the export, the console's API shows the staff each annotator's estimated reliability (never annotators), and
// a method the annotation type does not offer is refused.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignAnswers, MIN_CROWD_TASKS } from '@suture/workflows/lifecycle/crowd';
import { labelSchemaSchema } from '@suture/workflows/domain/label-schema';
import { majorityVote, runConsensusMethod } from '@suture/workflows/quality';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';

const CLASSES = ['a', 'b', 'c'];
const LABEL_SCHEMA = { geometry: 'classification', classes: CLASSES.map((key) => ({ key, name: key.toUpperCase() })) };
const QA = { tolerableErrorRate: 0.2, confidence: 0.8, seed: 'it' };

/** A fixed pseudo-random sequence (mulberry32; no Math.random in tests). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Classes each annotator gave on the campaign's earlier, finished tasks. */
type History = (who: 'eve' | 'mo' | 'ran', truth: number, task: number) => number;

/**
 * The original history: Eve is right 19 times in 20, Mo two times in three, Ran guesses (60 tasks). Generated
 * task by task, so the sequence is the one the first version of this test drew.
 */
function legacyHistory(): { tasks: number; give: History } {
  let s = 7;
  const lcg = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return {
    tasks: MIN_CROWD_TASKS * 2,
    give: (who, truth, i) => (who === 'eve' ? (i % 20 === 0 ? (truth + 1) % 3 : truth) : who === 'mo' ? (i % 3 === 1 ? (truth + 1) % 3 : truth) : Math.floor(lcg() * 3)),
  };
}

/**
 * 90 tasks: Eve is right 95% of the time, Mo calls half of the true b's a, Ran is right 55% of the time. On a
 * task where Eve says b and both others say a, a majority vote says a; Dawid-Skene and MACE, knowing Mo's
 * confusion and Ran's noise, say b (whatever order the ids put the answers in).
 */
function confusedHistory(): { tasks: number; give: History } {
  const next = random(6);
  const near = (truth: number, p: number) => (next() < p ? truth : (truth + 1 + Math.floor(next() * 2)) % 3);
  return {
    tasks: MIN_CROWD_TASKS * 3,
    give: (who, truth) => (who === 'eve' ? near(truth, 0.95) : who === 'mo' ? (truth === 1 && next() < 0.5 ? 0 : truth) : near(truth, 0.55)),
  };
}

const CONSENSUS_FIELDS = `
  __typename
  ... on DomainError { code message }
  ... on CampaignConsensus {
    method effectiveMethod minTasks answers tasksWithLabels converged categories fittedAt
    annotators { userId name answers reliability skill confusion { trueClass given } }
    choices { id fitted }
  }`;

interface ConsensusView {
  __typename: string;
  code?: string;
  message?: string;
  method: string;
  effectiveMethod: string;
  minTasks: number | null;
  answers: number;
  tasksWithLabels: number;
  converged: boolean | null;
  categories: string[];
  fittedAt: string | null;
  annotators: Array<{ userId: string; name: string; answers: number; reliability: number; skill: number | null; confusion: Array<{ trueClass: string; given: number[] }> | null }>;
  choices: Array<{ id: string; fitted: boolean }>;
}

describe('crowd-model consensus', () => {
  let stack: Stack;
  let eve: Person;
  let mo: Person;
  let ran: Person;
  let ops: Person;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    eve = await register(stack, admin, 'Eve Reliable', ['ANNOTATOR'], [['laparoscopy', 3]]);
    mo = await register(stack, admin, 'Mo Mediocre', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ran = await register(stack, admin, 'Ran Random', ['ANNOTATOR'], [['laparoscopy', 3]]);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** A campaign of three-way classification with one new batch of `tasks` tasks and the given earlier work. */
  async function campaignWith(history: { tasks: number; give: History }, tasks: number, consensus?: Record<string, unknown>) {
    const setup = await createCampaignWithBatch(stack, ops, {
      tasks,
      overlap: 3,
      // One pair in three agreeing is enough to accept: the consensus method decides the label.
      threshold: 0.3,
      labelSchema: LABEL_SCHEMA,
      qa: { ...QA, ...(consensus ? { consensus } : {}) },
    });
    const earlier = await stack.prisma.batch.create({ data: { campaignId: setup.campaignId, name: 'earlier work', status: 'ACCEPTED', stage: 'DONE' } });
    const taskRows = [];
    const assignmentRows = [];
    const annotationRows = [];
    for (let i = 0; i < history.tasks; i++) {
      const truth = i % 3;
      const taskId = randomUUID();
      taskRows.push({ id: taskId, batchId: earlier.id, campaignId: setup.campaignId, status: 'ACCEPTED' as const, round: 0, consensus: { label: CLASSES[truth]! } });
      for (const [slot, [name, who]] of (
        [
          ['eve', eve],
          ['mo', mo],
          ['ran', ran],
        ] as const
      ).entries()) {
        const assignmentId = randomUUID();
        const at = new Date();
        assignmentRows.push({
          id: assignmentId,
          taskId,
          userId: who.id,
          kind: 'LABEL' as const,
          round: 0,
          slot: slot + 1,
          status: 'SUBMITTED' as const,
          leaseExpiresAt: at,
          submittedAt: at,
        });
        annotationRows.push({ assignmentId, taskId, userId: who.id, version: 1, data: { label: CLASSES[history.give(name, truth, i)]! }, submitted: true });
      }
    }
    await stack.prisma.task.createMany({ data: taskRows });
    await stack.prisma.assignment.createMany({ data: assignmentRows });
    await stack.prisma.annotation.createMany({ data: annotationRows });
    return setup;
  }

  /** Each of the three labels every task of the batch through the API with their class, then the batch is accepted. */
  async function labelBatch(batchId: string, tasks: number, classes: Array<[Person, string]>) {
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === tasks);
    for (let i = 0; i < tasks; i++) {
      for (const [who, cls] of classes) {
        const claim = await gql<{ claimNextTask: { id?: string; code?: string } }>(
          stack.apiUrl,
          who.token,
          `mutation { claimNextTask { ... on Assignment { id } ... on DomainError { code } } }`,
        );
        expect(claim.claimNextTask.id, `${who.name} claims`).toBeDefined();
        const res = await gql<{ submitAnnotation: { id?: string; message?: string } }>(
          stack.apiUrl,
          who.token,
          `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { message } } }`,
          { a: claim.claimNextTask.id, d: { label: cls }, k: `crowd-${batchId}-${who.id}-${i}` },
        );
        expect(res.submitAnnotation.id, res.submitAnnotation.message).toBeDefined();
      }
    }
    return waitFor('batch tasks accepted', async () => {
      const rows = await stack.prisma.task.findMany({ where: { batchId }, orderBy: { id: 'asc' } });
      return rows.every((t) => t.status === 'ACCEPTED') ? rows : null;
    });
  }

  const consensusOf = async (who: Person, campaignId: string) =>
    (await gql<{ campaign: { consensus: ConsensusView } }>(stack.apiUrl, who.token, `query($c: ID!) { campaign(id: $c) { consensus { ${CONSENSUS_FIELDS} } } }`, { c: campaignId }))
      .campaign.consensus;

  /** Every answer of the campaign as the worker reads them, with the consensus of `method` fitted on them. */
  async function fitted(campaignId: string, method: 'dawid-skene' | 'mace', options: Record<string, unknown> = {}) {
    const answers = await campaignAnswers(stack.prisma, campaignId, labelSchemaSchema.parse(LABEL_SCHEMA));
    return runConsensusMethod(method, answers, { categories: CLASSES, ...options } as never);
  }

  it("'auto' accepts the reliable annotator’s class over a two-vote majority once the campaign has enough labels", async () => {
    const { batchId } = await campaignWith(legacyHistory(), 1);
    const [task] = await labelBatch(batchId, 1, [
      [eve, 'a'],
      [mo, 'b'],
      [ran, 'b'],
    ]);
    // A majority vote says b; the crowd model, fitted on the campaign's labels, says a.
    expect(task!.consensusMethod).toBe('dawid-skene');
    expect(task!.consensus).toEqual({ label: 'a' });
  });

  let dsCampaign: string;

  it("a campaign set to 'dawid-skene' accepts Dawid-Skene’s answer where a majority vote disagrees", async () => {
    const { campaignId, batchId } = await campaignWith(confusedHistory(), 2, { method: 'dawid-skene' });
    dsCampaign = campaignId;
    const disputed: Array<[Person, string]> = [
      [eve, 'b'],
      [mo, 'a'],
      [ran, 'a'],
    ];
    const tasks = await labelBatch(batchId, 2, disputed);
    expect(majorityVote(disputed.map(([who, label]) => ({ task: 't', annotator: who.id, label }))).tasks[0]!.label).toBe('a');
    for (const t of tasks) expect({ method: t.consensusMethod, consensus: t.consensus }).toEqual({ method: 'dawid-skene', consensus: { label: 'b' } });
    // The library on the campaign's labels as they stand agrees task for task.
    const reference = await fitted(campaignId, 'dawid-skene');
    for (const t of tasks) expect(reference.tasks.find((r) => r.task === t.id)!.label).toBe('b');
  });

  it("the same data under 'majority' (set by the ops manager, audited) gives the majority answer", async () => {
    const { campaignId, batchId } = await campaignWith(confusedHistory(), 2);
    const set = await gql<{ setCampaignConsensus: { id?: string; code?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!) { setCampaignConsensus(campaignId: $c, method: "majority") { ... on Campaign { id } ... on DomainError { code message } } }`,
      { c: campaignId },
    );
    expect(set.setCampaignConsensus).toEqual({ id: campaignId });
    const audit = await stack.prisma.auditEvent.findFirst({ where: { action: 'campaign.consensus', entityId: campaignId } });
    expect(audit).toMatchObject({ actorId: ops.id, data: { method: 'majority', minTasks: null, seed: null, options: '{}' } });
    const tasks = await labelBatch(batchId, 2, [
      [eve, 'b'],
      [mo, 'a'],
      [ran, 'a'],
    ]);
    for (const t of tasks) expect({ method: t.consensusMethod, consensus: t.consensus }).toEqual({ method: 'majority-vote', consensus: { label: 'a' } });
    // Dawid-Skene on these very labels says b: only the campaign's method made the difference.
    const reference = await fitted(campaignId, 'dawid-skene');
    for (const t of tasks) expect(reference.tasks.find((r) => r.task === t.id)!.label).toBe('b');
  });

  it('MACE runs through the lifecycle and is recorded on the task and in the export', async () => {
    const { campaignId, batchId } = await campaignWith(confusedHistory(), 1, { method: 'mace', seed: 'it-mace', options: { restarts: 6 } });
    const [task] = await labelBatch(batchId, 1, [
      [eve, 'b'],
      [mo, 'a'],
      [ran, 'a'],
    ]);
    // The model fitted on the campaign's labels (this task's included) with the campaign's seed and options.
    const reference = await fitted(campaignId, 'mace', { seed: 'it-mace', restarts: 6 });
    expect(reference.tasks.find((r) => r.task === task!.id)!.label).toBe('b');
    expect({ method: task!.consensusMethod, consensus: task!.consensus }).toEqual({ method: 'mace', consensus: { label: 'b' } });

    const done = await gql<{ exportLabels: { url?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $b: ID) { exportLabels(campaignId: $c, batchId: $b, format: "native") { ... on LabelExport { url } ... on DomainError { message } } }`,
      { c: campaignId, b: batchId },
    );
    expect(done.exportLabels.url, done.exportLabels.message).toBeDefined();
    const doc = (await (await fetch(done.exportLabels.url!)).json()) as {
      consensus: { method: string; effectiveMethod: string; seed: string; options: unknown; annotators: Array<{ annotator: string; reliability: number; skill: number }> };
      conventions: { emptyMasks: string };
      tasks: Array<{ id: string; consensusMethod: string; consensus: unknown }>;
    };
    expect(doc.consensus).toMatchObject({ method: 'mace', effectiveMethod: 'mace', seed: 'it-mace', options: { restarts: 6 } });
    // The reliability snapshot under pseudonyms: the reference fit's competences, no user id or name.
    const byReliability = (xs: Array<{ reliability: number }>) => xs.map((a) => a.reliability).sort((x, y) => x - y);
    expect(byReliability(doc.consensus.annotators)).toEqual(byReliability(reference.annotators));
    for (const a of doc.consensus.annotators) {
      expect(a.annotator).toMatch(/^ann-[0-9a-f]{20}$/);
      expect(a.skill).toBe(a.reliability);
    }
    expect(JSON.stringify(doc.consensus)).not.toMatch(new RegExp(`${eve.id}|${mo.id}|${ran.id}|Eve|Ran Random`));
    expect(doc.tasks).toEqual([expect.objectContaining({ id: task!.id, consensusMethod: 'mace', consensus: { label: 'b' } })]);
    expect(doc.conventions.emptyMasks).toMatch(/^Two empty masks score IoU 1/);
  });

  it("shows the campaign's staff the method and each annotator's reliability, and annotators nothing", async () => {
    const view = await consensusOf(ops, dsCampaign);
    expect(view).toMatchObject({ __typename: 'CampaignConsensus', method: 'dawid-skene', effectiveMethod: 'dawid-skene', minTasks: MIN_CROWD_TASKS, categories: CLASSES });
    expect(view.tasksWithLabels).toBe(MIN_CROWD_TASKS * 3 + 2);
    expect(view.answers).toBe(3 * view.tasksWithLabels);
    expect(view.annotators.map((a) => a.name)).toEqual(['Eve Reliable', 'Mo Mediocre', 'Ran Random']);
    for (const a of view.annotators) {
      expect(a.confusion!.map((r) => r.trueClass)).toEqual(CLASSES);
      for (const row of a.confusion!) expect(row.given.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
    }
    // Mo's confusion: a true b is given as a often.
    expect(view.annotators[1]!.confusion![1]!.given[0]).toBeGreaterThan(0.3);
    expect(view.choices.map((c) => c.id)).toEqual(['auto', 'majority', 'wawa', 'zbs', 'one-coin', 'dawid-skene', 'glad', 'mace', 'mmsr']);

    const blind = await consensusOf(eve, dsCampaign);
    expect(blind).toMatchObject({ __typename: 'DomainError', code: 'FORBIDDEN' });
  });

  it('refuses a method the annotation type does not offer, naming the methods it does', async () => {
    const created = await gql<{ createCampaign: { id?: string; code?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { code message } } }`,
      { i: { name: 'Three classes, KOS', labelSchema: LABEL_SCHEMA, overlap: 3, agreementThreshold: 0.3, qaSettings: { ...QA, consensus: { method: 'kos' } } } },
    );
    expect(created.createCampaign).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("qaSettings.consensus.method: 'kos' is not a consensus method for classification labels of this schema (KOS takes exactly two classes"),
    });
    expect(created.createCampaign.message).toContain('choose one of auto, majority, wawa, zbs, one-coin, dawid-skene, glad, mace, mmsr');

    const set = (who: Person, method: string, options?: unknown) =>
      gql<{ setCampaignConsensus: { id?: string; code?: string; message?: string } }>(
        stack.apiUrl,
        who.token,
        `mutation($c: ID!, $m: String!, $o: JSON) { setCampaignConsensus(campaignId: $c, method: $m, options: $o) { ... on Campaign { id } ... on DomainError { code message } } }`,
        { c: dsCampaign, m: method, o: options ?? null },
      );
    expect((await set(ops, 'staple')).setCampaignConsensus).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'staple' is not a consensus method") });
    expect((await set(ops, 'mace', { restarts: 0 })).setCampaignConsensus).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('qaSettings.consensus.options: restarts must be an integer >= 1'),
    });
    // An annotator holds no role that may set it.
    await expect(set(eve, 'majority')).rejects.toThrow(/your role does not allow this/);
    // Nothing changed.
    expect((await consensusOf(ops, dsCampaign)).method).toBe('dawid-skene');
  });
});
