// openBatch opens a batch's tasks in heartbeated pages. When its worker dies part-way, Temporal runs it
// again with the last heartbeat's details: the retry picks up from there, starts no task workflow twice,
// opens every task exactly once and records one batch.opened audit event with the right count. Real
// PostgreSQL and a real Temporal server; the crash is injected at a heartbeat of the first attempt.
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '@suture/workflows/activities/index';
import { startStack, type Stack } from '../support/stack.ts';

/** More than two of openBatch's pages (500), so that the crash falls inside the second one. */
const TASKS = 1_200;
const OVERLAP = 2;
/** The first attempt dies at this heartbeat: page one done, page two part-started. */
const CRASH_AT_HEARTBEAT = 700;

describe('openBatch after a crash', () => {
  let stack: Stack;

  beforeAll(async () => {
    // No worker: the task workflows are started and wait; this test looks only at what openBatch does.
    stack = await startStack({ inProcessWorker: false });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it(`resumes from its last heartbeat and opens each of ${TASKS} tasks once, each with one workflow`, async () => {
    const campaign = await stack.prisma.campaign.create({
      data: { name: 'Open', status: 'ACTIVE', overlap: OVERLAP, labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'a' }] }, qaSettings: {} },
    });
    const batch = await stack.prisma.batch.create({ data: { campaignId: campaign.id, name: 'Open', status: 'RUNNING', stage: 'LABELING' } });
    await stack.prisma.$executeRaw`
      INSERT INTO "Task" (id, "batchId", "campaignId") SELECT gen_random_uuid(), ${batch.id}::uuid, ${campaign.id}::uuid FROM generate_series(1, ${TASKS}::int)`;
    const activities = createActivities({
      prisma: stack.prisma,
      s3: stack.s3.client,
      temporal: stack.temporal.client,
      config: { bucket: stack.s3.bucket, taskQueue: stack.taskQueue, deidSecret: randomBytes(32).toString('base64url') },
    });

    // Attempt 1 dies at a heartbeat; the details of the last one it sent are what Temporal keeps.
    const first = new MockActivityEnvironment({ attempt: 1 });
    let beats = 0;
    let lastDetails: unknown;
    first.on('heartbeat', (details: unknown) => {
      beats += 1;
      if (beats >= CRASH_AT_HEARTBEAT) throw new Error('worker died');
      lastDetails = details;
    });
    await expect(first.run(activities.openBatch, { batchId: batch.id })).rejects.toThrow('worker died');
    expect(lastDetails).toMatchObject({ opened: 500 });
    expect(await stack.prisma.task.count({ where: { batchId: batch.id, status: 'OPEN' } })).toBe(500);

    // Attempt 2 starts from those details.
    const second = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: lastDetails });
    expect(await second.run(activities.openBatch, { batchId: batch.id })).toEqual({ opened: TASKS });

    const tasks = await stack.prisma.task.groupBy({ by: ['status', 'openSlots', 'slots'], where: { batchId: batch.id }, _count: true });
    expect(tasks).toEqual([{ status: 'OPEN', openSlots: OVERLAP, slots: OVERLAP, _count: TASKS }]);
    const audits = await stack.prisma.auditEvent.findMany({ where: { action: 'batch.opened', entityId: batch.id } });
    expect(audits.map((a) => a.data)).toEqual([{ tasks: TASKS }]);
    // One workflow per task round, none started twice (a second start of an id would have failed or made a second run).
    const { count } = await stack.temporal.client.workflow.count(`WorkflowType = 'taskLifecycle'`);
    expect(count).toBe(TASKS);
    const ids = new Set<string>();
    for await (const w of stack.temporal.client.workflow.list({ query: `WorkflowType = 'taskLifecycle'` })) ids.add(w.workflowId);
    expect(ids.size).toBe(TASKS);
  }, 300_000);
});
