// Names, inputs, signals and queries of the lifecycle workflows: shared by workflows, the worker and the API.
// No Node built-ins here: workflow code imports this file.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const TASK_QUEUE = 'suture-lifecycle';

/**
 * The most events one run of batchLifecycle may hold before it continues as new: well below Temporal's
 * 10,240-event warning and 51,200-event limit. A batch's history grows with time (polls) and nudges,
 * never with its number of tasks.
 */
export const BATCH_HISTORY_BUDGET = 4_000;
/** The same for one run of taskLifecycle (it re-checks its task periodically while the task waits). */
export const TASK_HISTORY_BUDGET = 1_000;
/**
 * How often a task workflow re-checks its task without a signal (seconds). Only a backstop: the API
 * signals every label and review, and the batch's progress read nudges any task whose labels or review
 * are all in but which has not moved on (a lost signal). A short interval here would cost one activity
 * per waiting task per interval: 10,000 tasks at 300 s are 33 no-op activities a second.
 */
export const TASK_RECHECK_SECONDS = 3_600;
/** A task round whose labels or review are all in and that has not moved on for this long gets a nudge from the batch. */
export const STALLED_TASK_SECONDS = 30;

export type BatchStageName = 'INGEST' | 'PRELABEL' | 'LABELING' | 'QA' | 'REWORK' | 'DONE';

export interface BatchLifecycleInput {
  batchId: string;
  /** How often the batch re-reads progress when nothing nudged it (seconds): a backstop for lost nudges. */
  pollSeconds?: number;
  /** The most events one run may hold: it continues as new before reaching this (default BATCH_HISTORY_BUDGET). */
  historyBudget?: number;
  /** Carried across continue-as-new. */
  resume?: { stage: BatchStageName; qaRound: number };
}

export interface BatchCounts {
  total: number;
  pending: number;
  open: number;
  labeled: number;
  inReview: number;
  accepted: number;
  activeClaims: number;
  releasedClaims: number;
  /** Tasks nudged by this read because their labels or review were in but they had not moved on (lost signals). */
  stalledNudged: number;
  /** Earliest lease expiry among active claims (epoch ms), for the SLA timer. */
  nextLeaseExpiry: number | null;
}

export interface QaProgress {
  sampled: number;
  audited: number;
  failed: number;
}

export interface BatchLifecycleState {
  batchId: string;
  stage: BatchStageName;
  qaRound: number;
  counts: BatchCounts | null;
  qa: QaProgress | null;
  /** The privacy gate: assets of the batch waiting for a privacy officer, and what their decisions did so far. */
  privacy?: { waiting: number; opened: number; excluded: number; rejected: number } | null;
  outcome: 'ACCEPTED' | 'REJECTED' | null;
}

export interface TaskLifecycleInput {
  taskId: string;
  round: number;
  /** Re-check the database this often even without signals (seconds). */
  recheckSeconds?: number;
  /**
   * Check the task as soon as the workflow starts (default true). False only for workflows started
   * before their task opened for claims (openBatch): no label can exist yet, so the first check would
   * be a no-op activity per task.
   */
  checkFirst?: boolean;
  /** The most events one run may hold (default TASK_HISTORY_BUDGET). */
  historyBudget?: number;
}

export type TaskStageName = 'LABELING' | 'REVIEW' | 'ACCEPTED';

export interface TaskLifecycleState {
  taskId: string;
  round: number;
  stage: TaskStageName;
  submitted: number;
  agreement: number | null;
}

/** The API tells a batch that something it waits for may have changed. */
export const batchNudge = defineSignal('batchNudge');
export const batchState = defineQuery<BatchLifecycleState>('batchState');

/** The API tells a task that a label or review was stored (the database stays the source of truth). */
export const taskChanged = defineSignal('taskChanged');
export const taskState = defineQuery<TaskLifecycleState>('taskState');

export const batchWorkflowId = (batchId: string): string => `batch-${batchId}`;
export const taskWorkflowId = (taskId: string, round: number): string => `task-${taskId}-r${round}`;

/** One flagged asset's redaction runs: the API signals (or starts) it whenever the privacy officer's boxes change. */
export interface PrivacyRedactionInput {
  assetId: string;
}
export const privacyBoxesChanged = defineSignal('privacyBoxesChanged');
export const privacyRedactionWorkflowId = (assetId: string): string => `privacy-redaction-${assetId}`;
