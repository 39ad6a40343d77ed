// A task can wait in the queue for days, its workflow re-checking it now and then: on a real Temporal
// server, each run of taskLifecycle stays under its history budget by continuing as new, the signal the
// API sends when a label arrives reaches whichever run is current, and the task completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskWorkflowId, type TaskLifecycleState } from '@suture/workflows/lifecycle/definitions';
import { bootstrapAdmin, createCampaignWithBatch, register, type Person } from '../support/scenario.ts';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';

/** Small enough that a run continues as new after a few re-checks. */
const HISTORY_BUDGET = 30;
const RUNS_BEFORE_LABELS = 3;

const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { __typename ... on Annotation { id } ... on DomainError { code message } } }`;

describe('a task workflow waiting for its labels', () => {
  let stack: Stack;
  let annotators: Person[];
  let ops: Person;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olga Ops', ['OPS_MANAGER']);
    annotators = [await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]), await register(stack, admin, 'Ann Two', ['ANNOTATOR'], [['laparoscopy', 3]])];
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it(`continues as new under a ${HISTORY_BUDGET}-event budget while it waits, and completes when the labels arrive`, async () => {
    const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1, overlap: 2 });
    // Opened by hand, as openBatch does, and watched by this test's workflow alone (the batch is not started).
    const task = await stack.prisma.task.findFirstOrThrow({ where: { batchId } });
    await stack.prisma.task.update({ where: { id: task.id }, data: { status: 'OPEN', openSlots: 2, slots: 2 } });
    const workflowId = taskWorkflowId(task.id, 0);
    await stack.temporal.client.workflow.start('taskLifecycle', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [{ taskId: task.id, round: 0, recheckSeconds: 1, historyBudget: HISTORY_BUDGET }],
    });
    const runs = async () => {
      const found = [];
      for await (const execution of stack.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(execution);
      return found;
    };
    await waitFor(
      `${RUNS_BEFORE_LABELS} runs continued as new`,
      async () => (await runs()).filter((r) => r.status.name === 'CONTINUED_AS_NEW').length >= RUNS_BEFORE_LABELS,
      120_000,
      500,
    );

    // Two annotators label the task through the API, which signals the workflow id: the current run hears it.
    for (const [i, who] of annotators.entries()) {
      const claim = await gql<{ claimNextTask: { __typename: string; id?: string; taskId?: string; code?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaignId });
      expect(claim.claimNextTask).toMatchObject({ __typename: 'Assignment', taskId: task.id });
      const submitted = await gql<{ submitAnnotation: { __typename: string } }>(stack.apiUrl, who.token, SUBMIT, {
        a: claim.claimNextTask.id,
        d: { label: 'grasper' },
        k: `history-test-${i}`,
      });
      expect(submitted.submitAnnotation.__typename).toBe('Annotation');
    }
    const result = (await stack.temporal.client.workflow.getHandle(workflowId).result()) as TaskLifecycleState;
    expect(result).toMatchObject({ taskId: task.id, round: 0, stage: 'ACCEPTED', submitted: 2, agreement: 1 });
    expect(await stack.prisma.task.findUniqueOrThrow({ where: { id: task.id }, select: { status: true, consensus: true } })).toEqual({
      status: 'ACCEPTED',
      consensus: { label: 'grasper' },
    });

    // Every run ended below the budget; all but the last continued as new. (The list comes from
    // Temporal's visibility store, which catches up with the workflows only eventually.)
    const all = await waitFor(
      'every run listed as ended',
      async () => {
        const listed = await runs();
        return listed.some((r) => r.status.name === 'COMPLETED') && listed.every((r) => r.status.name !== 'RUNNING') && listed;
      },
      60_000,
      200,
    );
    expect(all.length).toBeGreaterThan(RUNS_BEFORE_LABELS);
    expect(all.filter((r) => r.status.name === 'CONTINUED_AS_NEW')).toHaveLength(all.length - 1);
    expect(all.filter((r) => r.status.name === 'COMPLETED')).toHaveLength(1);
    for (const r of all) expect(r.historyLength).toBeLessThanOrEqual(HISTORY_BUDGET);
  });
});
