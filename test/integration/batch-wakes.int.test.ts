// A batch's workflow wakes on events, not on a clock: with its idle re-check set to an hour, a batch still runs
// from ingest to acceptance as fast as people work (accepted tasks, expert reviews and QA verdicts wake it), and
// its history holds a few events per change rather than a stream of polls while nothing happens. On the way,
// the QA rules an auditor meets: a failure needs a note, and a verdict can be changed until the lot is decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchWorkflowId } from '@suture/workflows/lifecycle/definitions';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { adjudicate, annotate, truth, type Annotator } from '../support/crowd.ts';

const VERDICT = `mutation($a: ID!, $v: QaVerdict!, $n: String) {
  submitAuditVerdict(auditId: $a, verdict: $v, notes: $n) { __typename ... on QaAudit { verdict } ... on DomainError { code message } }
}`;

const TASKS = 4;
/** Far longer than the test may take: were the batch waiting for its re-check, the test would time out. */
const IDLE_RECHECK_SECONDS = 3_600;

describe('a batch woken by events', () => {
  let stack: Stack;
  let ops: Person;
  let annotators: Annotator[];
  let expert: Person;
  let auditor: Person;
  let otherAuditor: Person;

  beforeAll(async () => {
    stack = await startStack({ batchPollSeconds: IDLE_RECHECK_SECONDS });
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    const ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    const ben = await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]]);
    // Ben disagrees on the first asset, so one task reaches acceptance through an expert's review.
    annotators = [
      { ...ann, name: 'Ann', answer: (k) => truth(k) },
      { ...ben, name: 'Ben', answer: (k) => (k === 0 ? truth(k + 1) : truth(k)) },
    ];
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    auditor = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);
    otherAuditor = await register(stack, admin, 'Rita QA', ['QA_AUDITOR']);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs to acceptance with an hour-long idle re-check, in a short history; QA verdicts need notes to fail and can be changed until the lot is decided', async () => {
    const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: TASKS, qa: { tolerableErrorRate: 0.2, confidence: 0.8, seed: 'wakes' } });
    const assets = await stack.prisma.asset.findMany({ where: { campaignId }, orderBy: { createdAt: 'asc' } });
    const assetIndex = new Map(assets.map((a, i) => [a.id, i]));
    await startBatch(stack, ops, batchId);

    // Labelling and review: the batch must reach QA on the wakes of accepted tasks alone.
    let finished = false;
    const done = () => finished;
    const inQa = waitFor('batch in QA', async () => finished || (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).stage === 'QA', 240_000).finally(() => {
      finished = true;
    });
    const stopOnError = <T>(p: Promise<T>): Promise<T> =>
      p.catch((error: unknown) => {
        finished = true;
        throw error;
      });
    const [, reviews] = await Promise.all([
      Promise.all(annotators.map((a) => stopOnError(annotate(stack, a, assetIndex, done)))),
      stopOnError(adjudicate(stack, expert, assetIndex, done)),
      inQa,
    ]);
    expect(reviews).toBe(1);
    expect(await stack.prisma.task.count({ where: { batchId, status: 'ACCEPTED' } })).toBe(TASKS);

    // QA: the plan checks every task of this small lot.
    const queue = await gql<{ auditQueue: Array<{ id: string }> }>(stack.apiUrl, auditor.token, `{ auditQueue { id } }`);
    expect(queue.auditQueue).toHaveLength(TASKS);
    const [first, ...rest] = queue.auditQueue.map((a) => a.id);
    const verdict = (who: Person, auditId: string, v: 'PASS' | 'FAIL', notes: string | null) =>
      gql<{ submitAuditVerdict: { __typename: string; verdict?: string; code?: string; message?: string } }>(stack.apiUrl, who.token, VERDICT, { a: auditId, v, n: notes }).then(
        (r) => r.submitAuditVerdict,
      );
    // A failure without a note is refused, and nothing is recorded.
    expect(await verdict(auditor, first!, 'FAIL', '   ')).toMatchObject({ __typename: 'DomainError', code: 'INVALID_INPUT', message: expect.stringMatching(/note/) });
    expect((await stack.prisma.qaAudit.findUniqueOrThrow({ where: { id: first! } })).verdict).toBeNull();
    // Pass, then change to fail with a note (an undo): the lot is not decided while other items wait.
    expect(await verdict(auditor, first!, 'PASS', null)).toMatchObject({ __typename: 'QaAudit', verdict: 'PASS' });
    expect(await verdict(auditor, first!, 'FAIL', 'wrong instrument')).toMatchObject({ __typename: 'QaAudit', verdict: 'FAIL' });
    expect(await verdict(auditor, first!, 'PASS', null)).toMatchObject({ __typename: 'QaAudit', verdict: 'PASS' });
    // Another auditor cannot overturn it.
    expect(await verdict(otherAuditor, first!, 'FAIL', 'I disagree')).toMatchObject({ __typename: 'DomainError', code: 'CONFLICT' });
    const changes = await stack.prisma.auditEvent.count({
      where: { action: 'qa.verdict-changed', entityId: (await stack.prisma.qaAudit.findUniqueOrThrow({ where: { id: first! } })).taskId },
    });
    expect(changes).toBe(2);
    // One AUDIT payable however often the verdict changed.
    expect(await stack.prisma.ledgerEntry.count({ where: { batchId, kind: 'AUDIT' } })).toBe(1);

    for (const id of rest) expect(await verdict(auditor, id, 'PASS', null)).toMatchObject({ __typename: 'QaAudit' });
    await waitFor('batch accepted', async () => (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).status === 'ACCEPTED', 120_000);
    // Once the lot is decided, its verdicts stand.
    expect(await verdict(auditor, first!, 'FAIL', 'too late')).toMatchObject({ __typename: 'DomainError', code: 'CONFLICT', message: expect.stringMatching(/closed/) });

    // One run, and its events: each wake costs a signal, a workflow task and a progress read, so the history
    // grows with what happened (the acceptances, the QA verdicts), never with the time spent waiting.
    const handle = stack.temporal.client.workflow.getHandle(batchWorkflowId(batchId));
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const scheduled = (name: string) => events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name).length;
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    expect(signals).toBeGreaterThanOrEqual(TASKS);
    // Every read but the first of each waiting stage answers a wake (a signal); none is a poll.
    expect(scheduled('batchProgress') + scheduled('qaProgress')).toBeLessThanOrEqual(signals + 2);
    expect(events.length).toBeLessThan(20 * signals + 80);
  });
});
