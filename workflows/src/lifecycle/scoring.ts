// How the lifecycle scores a task's labels: the campaign's annotation type module parses them again (the
// same rules the API applied), measures agreement and builds the consensus. Anything the module refuses or
// cannot score is a deterministic outcome, never an error to retry: the task goes to an expert with the reason.
import { mediaBoundsOf, parseLabels, taskAgreement, taskConsensus, LabelRejectedError, type AnnotationContext } from '../annotation/registry.ts';
import type { ConsensusResult, CrowdModel } from '../annotation/module.ts';
import type { ConsensusResolution } from '../annotation/consensus.ts';
import type { LabelSchema } from '../domain/label-schema.ts';
import type { TaskAgreement } from '../annotation/registry.ts';

export interface SubmittedLabel {
  annotationId: string;
  userId: string;
  data: unknown;
}

export interface ScoringInput {
  schema: LabelSchema;
  /** The task's asset as stored (its kind and ingest metadata bound the labels); null for tasks without one. */
  asset: { kind: string; metadata: unknown } | null;
  frame: number | null;
  /** The task scored (a crowd model that saw its labels gives its fitted consensus). */
  taskId?: string;
  /** The campaign's consensus method checked against its type (lifecycle/crowd.ts campaignConsensus); absent = the type's default. */
  consensus?: ConsensusResolution;
  /** The campaign's crowd model, when it has one (categorical consensus weighs annotators by it). */
  crowd?: CrowdModel | null;
}

export type TaskScore =
  | { outcome: 'accept'; agreement: TaskAgreement; consensus: ConsensusResult<unknown> }
  | { outcome: 'review'; agreement: TaskAgreement; code: 'LOW_AGREEMENT'; reason: string }
  | { outcome: 'unscorable'; agreement: null; code: 'LABEL_REJECTED' | 'SCORING_FAILED'; reason: string };

export function annotationContext(input: ScoringInput): AnnotationContext {
  return {
    schema: input.schema,
    media: mediaBoundsOf(input.asset),
    frame: input.frame,
    ...(input.taskId !== undefined ? { task: input.taskId } : {}),
    ...(input.consensus?.ok ? { consensusMethod: input.consensus.value.method } : {}),
    ...(input.crowd ? { crowd: input.crowd } : {}),
  };
}

/** Agreement of the round's labels against the campaign's threshold, and the consensus when it is met. */
export function scoreTask(input: ScoringInput, labels: readonly SubmittedLabel[], threshold: number): TaskScore {
  const ctx = annotationContext(input);
  if (input.consensus && !input.consensus.ok) {
    return {
      outcome: 'unscorable',
      agreement: null,
      code: 'SCORING_FAILED',
      reason: `the campaign's consensus setting does not fit: ${input.consensus.problems.join('; ').slice(0, 300)}`,
    };
  }
  try {
    const parsed = parseLabels(
      ctx,
      labels.map((l) => ({ annotator: l.userId, data: l.data })),
    );
    const agreement = taskAgreement(ctx, parsed);
    if (agreement.value < threshold) {
      return {
        outcome: 'review',
        agreement,
        code: 'LOW_AGREEMENT',
        reason: `agreement ${agreement.value.toFixed(3)} (${agreement.metric}) is below the campaign's threshold ${threshold}`,
      };
    }
    return { outcome: 'accept', agreement, consensus: taskConsensus(ctx, parsed) };
  } catch (error) {
    // The modules are pure: the same labels fail the same way on every attempt, so retrying cannot help.
    if (error instanceof LabelRejectedError) return { outcome: 'unscorable', agreement: null, code: 'LABEL_REJECTED', reason: error.message };
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { outcome: 'unscorable', agreement: null, code: 'SCORING_FAILED', reason: `the labels could not be scored (${message.slice(0, 300)})` };
  }
}
