// One batch's lifecycle: ingest -> pre-label -> labelling (task workflows) -> spot-check -> accept or rework.
// History stays bounded: tasks run in their own workflows started by an activity, the batch follows
// progress through counts read from PostgreSQL, and continues as new before its history grows large.
// The batch wakes on events: an accepted task (advanceTask), a QA verdict and a privacy decision nudge it, the
// earliest claim lease sets its timer, and an idle re-check (pollSeconds, a minute by default) only backs up lost
// nudges. Its history grows with what happens, never with the time spent waiting or the number of tasks.
import { condition, continueAsNew, log, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { LifecycleActivities } from '../activities/index.ts';
import { BATCH_HISTORY_BUDGET, batchNudge, batchState, type BatchLifecycleInput, type BatchLifecycleState, type BatchStageName } from './definitions.ts';
import { historyGuard } from './history.ts';

const acts = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' },
});
const longActs = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Nudges are hints: a burst of them (QA verdicts) makes at most one progress read per this interval. */
const MIN_READ_GAP_MS = 1_000;

export async function batchLifecycle(input: BatchLifecycleInput): Promise<BatchLifecycleState> {
  const pollMs = Math.max(0.1, input.pollSeconds ?? 5) * 1000;
  const minReadGapMs = Math.min(pollMs, MIN_READ_GAP_MS);
  const historyFull = historyGuard(input.historyBudget ?? BATCH_HISTORY_BUDGET);
  const state: BatchLifecycleState = {
    batchId: input.batchId,
    stage: input.resume?.stage ?? 'INGEST',
    qaRound: input.resume?.qaRound ?? 0,
    counts: null,
    qa: null,
    privacy: null,
    outcome: null,
  };
  let nudged = false;
  setHandler(batchNudge, () => {
    nudged = true;
  });
  setHandler(batchState, () => state);

  const enter = async (stage: BatchStageName): Promise<void> => {
    state.stage = stage;
    await acts.recordBatchStage({ batchId: input.batchId, stage, qaRound: state.qaRound });
  };
  const maybeContinueAsNew = async (): Promise<void> => {
    const full = historyFull();
    // Runs recorded before the guard replay with the rule they were recorded with.
    const info = workflowInfo();
    const due = patched('batch-history-guard') ? full : info.historyLength > (input.historyBudget ?? BATCH_HISTORY_BUDGET) || info.continueAsNewSuggested;
    if (due) await continueAsNew<typeof batchLifecycle>({ ...input, resume: { stage: state.stage, qaRound: state.qaRound } });
  };
  let lastRead = Date.now();
  /** Sleeps until nudged, the poll interval, or the next claim lease expiry (the SLA timer). */
  const waitForChange = async (nextLeaseExpiry: number | null): Promise<void> => {
    lastRead = Date.now();
    const untilLease = nextLeaseExpiry === null ? pollMs : Math.max(50, nextLeaseExpiry - Date.now() + 50);
    await condition(() => nudged, Math.min(pollMs, untilLease));
    nudged = false;
    // Coalesce a flood of nudges: the nudges that arrive meanwhile are answered by the next read.
    const sinceRead = Date.now() - lastRead;
    if (sinceRead < minReadGapMs && patched('batch-coalesce-nudges')) await sleep(minReadGapMs - sinceRead);
  };

  if (state.stage === 'INGEST') {
    await enter('INGEST');
    await longActs.ingestBatch({ batchId: input.batchId });
    await enter('PRELABEL');
  }
  if (state.stage === 'PRELABEL') {
    const prelabel = await longActs.prelabelBatch({ batchId: input.batchId });
    log.info('pre-label stage finished', { ran: prelabel.ran, note: prelabel.note });
    await longActs.openBatch({ batchId: input.batchId });
    await enter('LABELING');
  }

  let nothingLeft = false;
  for (;;) {
    if (state.stage === 'LABELING' || state.stage === 'REWORK') {
      for (;;) {
        const counts = await acts.batchProgress({ batchId: input.batchId });
        state.counts = counts;
        // The privacy gate: tasks still PENDING here belong to assets a privacy officer has not cleared yet.
        // Their decisions nudge the batch; released assets' tasks open, rejected ones leave the batch.
        if ((counts.pending > 0 || counts.total === 0) && patched('privacy-gate')) {
          const gate = await acts.applyPrivacyDecisions({ batchId: input.batchId });
          state.privacy = gate;
          if (gate.opened > 0 || gate.excluded > 0) continue;
          // Every asset rejected: nothing is left to label, QA or export but an empty result.
          if (counts.total === 0 && gate.waiting === 0 && gate.rejected > 0) {
            nothingLeft = true;
            break;
          }
        }
        if (counts.total > 0 && counts.accepted === counts.total) break;
        await waitForChange(counts.nextLeaseExpiry);
        await maybeContinueAsNew();
      }
      if (nothingLeft) break;
      state.qaRound += 1;
      await enter('QA');
      await acts.drawSpotCheck({ batchId: input.batchId, qaRound: state.qaRound });
    }
    if (state.stage === 'QA') {
      for (;;) {
        const qa = await acts.qaProgress({ batchId: input.batchId, qaRound: state.qaRound });
        state.qa = qa;
        if (qa.audited === qa.sampled) break;
        await waitForChange(null);
        await maybeContinueAsNew();
      }
      const decision = await acts.decideLot({ batchId: input.batchId, qaRound: state.qaRound });
      if (decision.accepted) break;
      await enter('REWORK');
      await longActs.reopenForRework({ batchId: input.batchId, qaRound: state.qaRound, taskIds: decision.reworkTaskIds });
    }
  }

  await longActs.completeBatch({ batchId: input.batchId });
  state.stage = 'DONE';
  state.outcome = 'ACCEPTED';
  return state;
}
