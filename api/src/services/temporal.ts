// Nudges to lifecycle workflows after the database has recorded a change. The database is the
// truth and the workflows re-check it, so a failed nudge delays progress but loses nothing.
import { batchNudge, batchWorkflowId, taskChanged, taskWorkflowId } from '@suture/workflows/lifecycle/definitions';
import type { Services } from '../context.ts';

export async function nudgeTask(services: Services, taskId: string, round: number): Promise<void> {
  try {
    await services.temporal.workflow.getHandle(taskWorkflowId(taskId, round)).signal(taskChanged);
  } catch (error) {
    services.log('warn', 'task workflow nudge failed; it will re-check on its own', { taskId, round, error: (error as Error).name });
  }
}

export async function nudgeBatch(services: Services, batchId: string): Promise<void> {
  try {
    await services.temporal.workflow.getHandle(batchWorkflowId(batchId)).signal(batchNudge);
  } catch (error) {
    services.log('warn', 'batch workflow nudge failed; it will re-check on its own', { batchId, error: (error as Error).name });
  }
}
