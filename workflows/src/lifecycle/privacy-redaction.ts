// Blacks out a privacy officer's boxes on one flagged asset's de-identified derivatives, one revision after
// another: the API signals (or starts) this workflow on every change of the boxes, so applications of one asset
// never run side by side, and the last revision stored is the last one applied.
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { LifecycleActivities } from '../activities/index.ts';
import { privacyBoxesChanged, type PrivacyRedactionInput } from './definitions.ts';

const acts = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function privacyRedaction(input: PrivacyRedactionInput): Promise<{ appliedRevision: number }> {
  // Set by a signal: the boxes changed after the application under way read them.
  let changed: boolean;
  setHandler(privacyBoxesChanged, () => {
    changed = true;
  });
  for (;;) {
    changed = false;
    const applied = await acts.applyPrivacyBoxes({ assetId: input.assetId });
    // The database says whether a newer revision waits; a signal that arrived meanwhile says so too (and
    // Temporal refuses to close a run over a signal it has not handled).
    if (applied.appliedRevision >= applied.revision && !changed) return { appliedRevision: applied.appliedRevision };
  }
}
