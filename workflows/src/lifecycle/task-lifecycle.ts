// One task's sub-lifecycle in one round: N blind labels -> agreement -> (expert review) -> consensus.
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { LifecycleActivities } from '../activities/index.ts';
import { taskChanged, taskState, type TaskLifecycleInput, type TaskLifecycleState } from './definitions.ts';

const acts = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' },
});

export async function taskLifecycle(input: TaskLifecycleInput): Promise<TaskLifecycleState> {
  const recheck = `${input.recheckSeconds ?? 300} seconds`;
  const state: TaskLifecycleState = { taskId: input.taskId, round: input.round, stage: 'LABELING', submitted: 0, agreement: null };
  let changed = true;
  setHandler(taskChanged, () => {
    changed = true;
  });
  setHandler(taskState, () => state);

  for (;;) {
    // Signals are nudges; the database is the truth, so a lost signal only delays by `recheck`.
    await condition(() => changed, recheck);
    changed = false;
    const step = await acts.advanceTask({ taskId: input.taskId, round: input.round });
    state.submitted = step.submitted;
    state.agreement = step.agreement;
    state.stage = step.stage;
    if (step.stage === 'ACCEPTED' || step.superseded) return state;
  }
}
