// openBatch opens a batch's tasks in heartbeated pages. When its worker dies part-way, Temporal runs it
// again with the last heartbeat's details: the retry picks up from there, starts no task workflow twice,
// opens every task exactly once and records one batch.opened audit event with the right count. Real
// PostgreSQL and a real Temporal server; the crash is injected at a heartbeat of the first attempt.
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '@suture/workflows/activities';
import { taskWorkflowId } from '@suture/workflows/lifecycle/definitions';
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
    // Every task round has its workflow, running (describe reads the workflow itself; the visibility
    // list behind count() catches up only eventually). A second start of the same id would have been refused.
    const taskIds = (await stack.prisma.task.findMany({ where: { batchId: batch.id }, select: { id: true } })).map((t) => t.id);
    const statuses = new Map<string, number>();
    for (let i = 0; i < taskIds.length; i += 16) {
      const described = await Promise.all(taskIds.slice(i, i + 16).map((id) => stack.temporal.client.workflow.getHandle(taskWorkflowId(id, 0)).describe()));
      for (const d of described) statuses.set(d.status.name, (statuses.get(d.status.name) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ RUNNING: TASKS });
  }, 300_000);
});
