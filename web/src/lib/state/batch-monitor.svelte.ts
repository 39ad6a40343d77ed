// Live view of one batch: polls its stage and progress every few seconds while someone listens, and
// keeps the accepted count over time (since the page opened) for the trend chart.
import { gql } from '$lib/api';
import { describeError } from '$lib/errors';
import type { BatchDetail, BatchProgress } from '$lib/types';

const POLL = /* GraphQL */ `
  query BatchProgress($id: ID!) {
    batch(id: $id) {
      stage status qaRound workflowStage qaHistory completedAt exportKey
      progress { total pending open labeled inReview accepted excluded labelsSubmitted labelsNeeded qaSampled qaAudited qaFailed privacyWaiting }
    }
  }
`;

type Polled = Pick<BatchDetail, 'stage' | 'status' | 'qaRound' | 'workflowStage' | 'qaHistory' | 'completedAt' | 'exportKey' | 'progress'>;

export interface ProgressSample {
  at: Date;
  accepted: number;
  labelsSubmitted: number;
}

/** Ten minutes of samples at the default interval. */
const MAX_SAMPLES = 300;

export class BatchMonitor {
  #batch = $state<BatchDetail>() as BatchDetail;
  #samples = $state<ProgressSample[]>([]);
  #problem = $state<string | null>(null);
  #updatedAt = $state<Date>(new Date());
  #timer: ReturnType<typeof setInterval> | undefined;
  #listeners = 0;
  #inFlight: AbortController | null = null;
  readonly #intervalMs: number;

  constructor(initial: BatchDetail, intervalMs = 2000) {
    this.#batch = initial;
    this.#intervalMs = intervalMs;
    this.#record(initial.progress);
  }

  get batch(): BatchDetail {
    return this.#batch;
  }
  get samples(): readonly ProgressSample[] {
    return this.#samples;
  }
  /** Why the last poll failed; null while polls succeed. */
  get problem(): string | null {
    return this.#problem;
  }
  get updatedAt(): Date {
    return this.#updatedAt;
  }

  /** Starts polling; the returned function stops it (when the last listener leaves). */
  listen(): () => void {
    this.#listeners++;
    if (!this.#timer) this.#timer = setInterval(() => void this.refresh(), this.#intervalMs);
    void this.refresh();
    return () => {
      this.#listeners = Math.max(0, this.#listeners - 1);
      if (this.#listeners > 0) return;
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#inFlight?.abort();
      this.#inFlight = null;
    };
  }

  async refresh(): Promise<void> {
    if (this.#inFlight) return; // a slow API never gets a second poll stacked on the first
    const controller = new AbortController();
    this.#inFlight = controller;
    try {
      const { batch } = await gql<{ batch: Polled | null }>(POLL, { id: this.#batch.id }, { signal: controller.signal });
      if (!batch) {
        this.#problem = 'this batch no longer exists';
        return;
      }
      this.#batch = { ...this.#batch, ...batch };
      this.#problem = null;
      this.#updatedAt = new Date();
      this.#record(batch.progress);
    } catch (error) {
      if (!controller.signal.aborted) this.#problem = describeError(error);
    } finally {
      if (this.#inFlight === controller) this.#inFlight = null;
    }
  }

  #record(progress: BatchProgress): void {
    this.#samples = [...this.#samples, { at: new Date(), accepted: progress.accepted, labelsSubmitted: progress.labelsSubmitted }].slice(-MAX_SAMPLES);
  }
}
