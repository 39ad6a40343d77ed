// Nudges to lifecycle workflows after the database has recorded a change. The database is the
// truth and the workflows re-check it, so a failed nudge delays progress but loses nothing.
import {
  batchNudge,
  batchWorkflowId,
  privacyBoxesChanged,
  privacyRedactionWorkflowId,
  taskChanged,
  taskWorkflowId,
  type PrivacyRedactionInput,
} from '@suture/workflows/lifecycle/definitions';
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

/**
 * Has the worker black out a privacy officer's boxes: signals the asset's privacyRedaction workflow, or starts
 * it when none runs. A failure leaves the boxes stored but not applied (release waits for them); the next change
 * of the boxes tries again.
 */
export async function requestPrivacyRedaction(services: Services, assetId: string): Promise<void> {
  try {
    await services.temporal.workflow.signalWithStart('privacyRedaction', {
      taskQueue: services.config.TEMPORAL_TASK_QUEUE,
      workflowId: privacyRedactionWorkflowId(assetId),
      args: [{ assetId } satisfies PrivacyRedactionInput],
      signal: privacyBoxesChanged,
    });
  } catch (error) {
    services.log('warn', 'privacy redaction request failed; the boxes wait until the next change', { assetId, error: (error as Error).name });
  }
}
