// Kill the worker process mid-batch and start it again: the batch completes with nothing lost and
// nothing duplicated (tasks, annotations, ledger entries, QA audits).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { annotate, audit, truth, type Annotator } from '../support/crowd.ts';

const TASKS = 12;

describe('worker crash mid-batch', () => {
  let stack: Stack;
  let ops: Person;
  let annotators: Annotator[];
  let auditor: Person;
  let campaignId: string;
  let batchId: string;
  let assetIndex: Map<string, number>;

  beforeAll(async () => {
    // A tiny history budget makes the batch continue as new many times across the crash.
    stack = await startStack({ inProcessWorker: false, batchHistoryBudget: 40 });
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    annotators = [];
    for (const name of ['Ann', 'Ben', 'Cai']) annotators.push({ ...(await register(stack, admin, name, ['ANNOTATOR'], [['laparoscopy', 3]])), name, answer: truth });
    auditor = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: TASKS, threshold: 0.5 }));
    const assets = await stack.prisma.asset.findMany({ where: { campaignId }, orderBy: { createdAt: 'asc' } });
    assetIndex = new Map(assets.map((a, i) => [a.id, i]));
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('completes the batch exactly once after the worker is killed and restarted', async () => {
    const first = stack.startWorkerProcess();
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === TASKS, 180_000);

    let finished = false;
    const done = () => finished;
    const stopOnError = <T>(p: Promise<T>): Promise<T> =>
      p.catch((error: unknown) => {
        finished = true;
        throw error;
      });
    const people = Promise.all([...annotators.map((a) => stopOnError(annotate(stack, a, assetIndex, done))), stopOnError(audit(stack, auditor, done, () => 'PASS'))]);

    // Kill the worker once some tasks have moved on and others are still in flight.
    await waitFor('some tasks accepted', async () => finished || (await stack.prisma.task.count({ where: { batchId, status: 'ACCEPTED' } })) >= 3, 180_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const acceptedAtCrash = await stack.prisma.task.count({ where: { batchId, status: 'ACCEPTED' } });
    expect(acceptedAtCrash).toBeLessThan(TASKS);

    // Work keeps arriving through the API while no worker runs; then a new worker picks everything up.
    await waitFor(
      'more labels submitted while the worker is down',
      async () => finished || (await stack.prisma.annotation.count({ where: { task: { batchId }, submitted: true } })) > acceptedAtCrash * 2,
      60_000,
    );
    stack.startWorkerProcess();
    await waitFor('batch accepted', async () => finished || (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).status === 'ACCEPTED', 240_000).finally(() => {
      finished = true;
    });
    await people;

    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.status).toBe('ACCEPTED');
    expect(await stack.prisma.task.count({ where: { batchId } })).toBe(TASKS);
    expect(await stack.prisma.task.count({ where: { batchId, status: 'ACCEPTED' } })).toBe(TASKS);

    // Exactly overlap submitted labels per task, one submitted annotation per assignment.
    const submitted = await stack.prisma.assignment.findMany({
      where: { task: { batchId }, kind: 'LABEL', status: 'SUBMITTED' },
      include: { annotations: { where: { submitted: true } } },
    });
    expect(submitted).toHaveLength(TASKS * 2);
    for (const a of submitted) expect(a.annotations).toHaveLength(1);

    // One ledger entry per payable event.
    const ledger = await stack.prisma.ledgerEntry.findMany({ where: { campaignId } });
    const audits = await stack.prisma.qaAudit.findMany({ where: { batchId } });
    expect(ledger.filter((l) => l.kind === 'LABEL')).toHaveLength(TASKS * 2);
    expect(ledger.filter((l) => l.kind === 'AUDIT')).toHaveLength(audits.filter((a) => a.verdict !== null).length);
    expect(new Set(ledger.map((l) => l.idempotencyKey)).size).toBe(ledger.length);
    // One QA round, one sample, each task audited once.
    expect(batch.qaRound).toBe(1);
    expect(new Set(audits.map((a) => `${a.taskId}:${a.qaRound}`)).size).toBe(audits.length);
    expect((batch.qaHistory as unknown[]).length).toBe(1);
    expect((await stack.verifyAudit()).problem).toBeNull();

    // History stayed bounded: the batch workflow continued as new, and every run stayed under the budget.
    const runs = [];
    for await (const execution of stack.temporal.client.workflow.list({ query: `WorkflowId = 'batch-${batchId}'` })) runs.push(execution);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW').length).toBe(runs.length - 1);
    for (const r of runs) expect(r.historyLength).toBeLessThan(200);
  });
});
