// Classification consensus from the campaign's crowd model on the real stack: once the campaign holds enough
// labels, the worker fits Dawid-Skene on them and a task's consensus weighs each annotator by their estimated
// confusion matrix, so one reliable annotator outweighs two unreliable ones where a majority vote would not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_CROWD_TASKS } from '@suture/workflows/lifecycle/crowd';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';

const CLASSES = ['a', 'b', 'c'];
const HISTORY = MIN_CROWD_TASKS * 2;

/** A fixed pseudo-random sequence (no Math.random in tests). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('crowd-model consensus', () => {
  let stack: Stack;
  let eve: Person;
  let mo: Person;
  let ran: Person;
  let ops: Person;
  let campaignId: string;
  let batchId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    eve = await register(stack, admin, 'Eve Reliable', ['ANNOTATOR'], [['laparoscopy', 3]]);
    mo = await register(stack, admin, 'Mo Mediocre', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ran = await register(stack, admin, 'Ran Random', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, {
      tasks: 1,
      overlap: 3,
      // One pair in three agreeing is enough to accept: the consensus method decides the label.
      threshold: 0.3,
      labelSchema: { geometry: 'classification', classes: CLASSES.map((key) => ({ key, name: key.toUpperCase() })) },
    }));
    // The campaign's earlier, finished work: Eve is right 19 times in 20, Mo two times in three, Ran guesses.
    const history = await stack.prisma.batch.create({ data: { campaignId, name: 'earlier work', status: 'ACCEPTED', stage: 'DONE' } });
    const random = lcg(7);
    for (let i = 0; i < HISTORY; i++) {
      const truth = i % 3;
      const answers: Array<[Person, number]> = [
        [eve, i % 20 === 0 ? (truth + 1) % 3 : truth],
        [mo, i % 3 === 1 ? (truth + 1) % 3 : truth],
        [ran, Math.floor(random() * 3)],
      ];
      const task = await stack.prisma.task.create({ data: { batchId: history.id, campaignId, status: 'ACCEPTED', round: 0, consensus: { label: CLASSES[truth]! } } });
      for (const [slot, [who, given]] of answers.entries()) {
        const a = await stack.prisma.assignment.create({
          data: { taskId: task.id, userId: who.id, kind: 'LABEL', round: 0, slot: slot + 1, status: 'SUBMITTED', leaseExpiresAt: new Date(), submittedAt: new Date() },
        });
        await stack.prisma.annotation.create({ data: { assignmentId: a.id, taskId: task.id, userId: who.id, version: 1, data: { label: CLASSES[given]! }, submitted: true } });
      }
    }
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('accepts the reliable annotator’s class over a two-vote majority once the campaign has enough labels', async () => {
    await startBatch(stack, ops, batchId);
    await waitFor('task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
    const label = async (who: Person, cls: string) => {
      const claim = await gql<{ claimNextTask: { id?: string; code?: string } }>(
        stack.apiUrl,
        who.token,
        `mutation { claimNextTask { ... on Assignment { id } ... on DomainError { code } } }`,
      );
      const res = await gql<{ submitAnnotation: { id?: string; message?: string } }>(
        stack.apiUrl,
        who.token,
        `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { message } } }`,
        { a: claim.claimNextTask.id, d: { label: cls }, k: `crowd-${who.id}` },
      );
      expect(res.submitAnnotation.id).toBeDefined();
    };
    await label(eve, 'a');
    await label(mo, 'b');
    await label(ran, 'b');
    const task = await waitFor('task accepted', async () => {
      const t = await stack.prisma.task.findFirstOrThrow({ where: { batchId } });
      return t.status === 'ACCEPTED' ? t : null;
    });
    // A majority vote says b; the crowd model, fitted on the campaign's labels, says a.
    expect(task.consensusMethod).toBe('dawid-skene');
    expect(task.consensus).toEqual({ label: 'a' });
  });
});
