// One task's sub-lifecycle in one round: N blind labels -> agreement -> (expert review) -> consensus.
// A task may wait in the queue for days: each re-check adds a few events, so the run continues as new
// before its history reaches its budget.
import { condition, continueAsNew, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { LifecycleActivities } from '../activities/index.ts';
import { TASK_HISTORY_BUDGET, TASK_RECHECK_SECONDS, taskChanged, taskState, type TaskLifecycleInput, type TaskLifecycleState } from './definitions.ts';
import { historyGuard } from './history.ts';

const acts = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' },
});

export async function taskLifecycle(input: TaskLifecycleInput): Promise<TaskLifecycleState> {
  const recheck = `${input.recheckSeconds ?? TASK_RECHECK_SECONDS} seconds`;
  const historyFull = historyGuard(input.historyBudget ?? TASK_HISTORY_BUDGET);
  const state: TaskLifecycleState = { taskId: input.taskId, round: input.round, stage: 'LABELING', submitted: 0, agreement: null };
  let changed = input.checkFirst ?? true;
  setHandler(taskChanged, () => {
    changed = true;
  });
  setHandler(taskState, () => state);

  for (;;) {
    // Signals are nudges; the database is the truth. A lost signal is made good by the batch's progress
    // read (it nudges stalled tasks) or, failing that, by this re-check.
    await condition(() => changed, recheck);
    changed = false;
    const step = await acts.advanceTask({ taskId: input.taskId, round: input.round });
    state.submitted = step.submitted;
    state.agreement = step.agreement;
    state.stage = step.stage;
    if (step.stage === 'ACCEPTED' || step.superseded) return state;
    // A nudge that arrives during the hand-over is not lost: the next run checks first. (The patch keeps
    // runs recorded before this rule replaying as they were recorded.)
    if (historyFull() && patched('task-continue-as-new')) await continueAsNew<typeof taskLifecycle>({ ...input, checkFirst: true });
  }
}
