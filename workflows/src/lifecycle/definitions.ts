// Names, inputs, signals and queries of the lifecycle workflows: shared by workflows, the worker and the API.
// No Node built-ins here: workflow code imports this file.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const TASK_QUEUE = 'suture-lifecycle';

export type BatchStageName = 'INGEST' | 'PRELABEL' | 'LABELING' | 'QA' | 'REWORK' | 'DONE';

export interface BatchLifecycleInput {
  batchId: string;
  /** How often the batch re-reads progress when nothing nudges it (seconds). */
  pollSeconds?: number;
  /** Continue as new once the history holds this many events (default 4,000; well below the 10,240 warning). */
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
  outcome: 'ACCEPTED' | 'REJECTED' | null;
}

export interface TaskLifecycleInput {
  taskId: string;
  round: number;
  /** Re-check the database this often even without signals (seconds). */
  recheckSeconds?: number;
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
