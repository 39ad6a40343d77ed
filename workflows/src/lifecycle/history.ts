// Keeps one workflow run's history under a budget: call the returned check between the steps of a
// workflow's loop; when it says so, continue as new. Deterministic: it reads only workflowInfo().
import { workflowInfo } from '@temporalio/workflow';

/** Events the continue-as-new itself adds (the workflow task's completion and the close event). */
const CLOSING_EVENTS = 2;

/**
 * Returns a check that is true once the run may not fit another step within `budget` events, or when
 * the server suggests continuing as new. A step is whatever happened since the previous check
 * (activities, timers, signals); the check leaves room for two steps as large as the largest seen, so
 * a run ends below its budget rather than just above it.
 */
export function historyGuard(budget: number): () => boolean {
  let last = workflowInfo().historyLength;
  let largestStep = 0;
  return () => {
    const info = workflowInfo();
    largestStep = Math.max(largestStep, info.historyLength - last);
    last = info.historyLength;
    return info.continueAsNewSuggested || info.historyLength + 2 * largestStep + CLOSING_EVENTS >= budget;
  };
}
