// KOS (Karger, Oh & Shah 2011): message passing between tasks and annotators for binary labels, as in Crowd-Kit.
import { QualityInputError } from '../errors.ts';
import { encodeAnswers, type CategoricalAnswer, type DuplicatePolicy } from '../labels.ts';
import { createRng } from '../random.ts';
import type { AnnotatorReliability, CrowdConsensusResult, CrowdMethodOptions } from './method.ts';

/** Options for {@link kos}. Results are deterministic for a `seed` (default 0, Crowd-Kit's `random_state`). */
export interface KosOptions extends CrowdMethodOptions {
  /** Maximum message-passing iterations (default 100, Crowd-Kit's `n_iter`). */
  maxIterations?: number;
  /**
   * Stop early when no max-normalised annotator message moves by more than this between iterations (default 1e-9):
   * the messages have settled on their direction and further iterations cannot change a label.
   */
  tolerance?: number;
  /** Repeated answers of one annotator on one task: separate answers (`count`, default) or an error. */
  duplicates?: DuplicatePolicy;
}

/** Task scores closer to 0 than this share of their absolute sum are ties (floating-point noise); the first category wins. */
const TIE = 1e-9;

/**
 * KOS truth inference for exactly two categories. Answers become A = +1 (first category) or −1 (second). Every
 * answer carries an annotator message y, first drawn from N(1, 1) (seeded; Box-Muller); each iteration sets the
 * task messages x(task→annotator) = Σ A·y over the task's other answers, then y(annotator→task) = Σ A·x over
 * the annotator's other answers. The label is the sign of Σ A·y over the task (0 → first category).
 *
 * Crowd-Kit stops as soon as a message exceeds 1e300; here messages are rescaled by a power of two after each
 * half-step, which changes no rounding, so all `maxIterations` can run. KOS gives no calibrated probability:
 * `posterior` is one-hot ([0.5, 0.5] on a tie). Annotator `skill` is Σ A·x over the annotator's answers divided
 * by the largest such magnitude (in [−1, 1]); `reliability` is the share of their answers equal to the KOS label.
 */
export function kos(answers: readonly CategoricalAnswer[], options: KosOptions = {}): CrowdConsensusResult {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-9;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new QualityInputError('INVALID_ARGUMENT', `maxIterations must be an integer >= 1, got ${String(maxIterations)}`);
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0)
    throw new QualityInputError('INVALID_NUMBER', `tolerance must be a finite number >= 0, got ${String(tolerance)}`);
  const rng = createRng(options.seed ?? 0);
  if (!Array.isArray(answers) || answers.length === 0) throw new QualityInputError('EMPTY_INPUT', 'KOS needs at least one answer');
  const enc = encodeAnswers(answers, options.categories, options.duplicates ?? 'count');
  const keys = enc.categories.keys;
  if (keys.length !== 2) {
    throw new QualityInputError(
      'INVALID_ARGUMENT',
      keys.length > 2
        ? `KOS is for binary labels only: got ${keys.length} categories (${keys.join(', ')}); use Dawid-Skene, GLAD, MACE or M-MSR`
        : `KOS needs exactly 2 categories, got only '${keys[0]}'; declare \`categories\` when every answer has the same label`,
    );
  }
  if (enc.annotators.length < 2) throw new QualityInputError('RATER_COUNT', `KOS needs answers from at least 2 annotators, got 1 ('${enc.annotators[0]}')`);

  const { taskOf, annotatorOf: workerOf, labelOf } = enc;
  const n = taskOf.length;
  const T = enc.tasks.length;
  const W = enc.annotators.length;
  const sign = new Float64Array(n);
  for (let i = 0; i < n; i++) sign[i] = labelOf[i] === 0 ? 1 : -1;
  let y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u1 = 1 - rng.next();
    const u2 = rng.next();
    y[i] = 1 + Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  const x = new Float64Array(n);
  let nextY = new Float64Array(n);
  const taskSum = new Float64Array(T);
  const workerSum = new Float64Array(W);
  let unit = normalised(y);
  let change = Infinity;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    taskSum.fill(0);
    for (let i = 0; i < n; i++) taskSum[taskOf[i] as number]! += (sign[i] as number) * (y[i] as number);
    for (let i = 0; i < n; i++) x[i] = (taskSum[taskOf[i] as number] as number) - (sign[i] as number) * (y[i] as number);
    rescale(x);
    workerSum.fill(0);
    for (let i = 0; i < n; i++) workerSum[workerOf[i] as number]! += (sign[i] as number) * (x[i] as number);
    for (let i = 0; i < n; i++) nextY[i] = (workerSum[workerOf[i] as number] as number) - (sign[i] as number) * (x[i] as number);
    rescale(nextY);
    [y, nextY] = [nextY, y];
    const nextUnit = normalised(y);
    change = 0;
    for (let i = 0; i < n; i++) change = Math.max(change, Math.abs((nextUnit[i] as number) - (unit[i] as number)));
    unit = nextUnit;
    if (change < tolerance) {
      converged = true;
      break;
    }
  }

  const score = new Float64Array(T);
  const magnitude = new Float64Array(T);
  for (let i = 0; i < n; i++) {
    const t = taskOf[i] as number;
    const v = (sign[i] as number) * (y[i] as number);
    score[t]! += v;
    magnitude[t]! += Math.abs(v);
  }
  const label = new Int8Array(T);
  const tied = new Uint8Array(T);
  for (let t = 0; t < T; t++) {
    const s = score[t] as number;
    if (Math.abs(s) <= TIE * (magnitude[t] as number)) tied[t] = 1;
    else if (s < 0) label[t] = 1;
  }
  // Annotator skill from the final task messages; reliability = agreement with the KOS labels.
  workerSum.fill(0);
  const agreed = new Int32Array(W);
  const answered = new Int32Array(W);
  for (let i = 0; i < n; i++) {
    const w = workerOf[i] as number;
    workerSum[w]! += (sign[i] as number) * (x[i] as number);
    answered[w]! += 1;
    if (labelOf[i] === label[taskOf[i] as number]) agreed[w]! += 1;
  }
  let maxSkill = 0;
  for (let w = 0; w < W; w++) maxSkill = Math.max(maxSkill, Math.abs(workerSum[w] as number));
  return {
    method: 'kos',
    categories: keys,
    tasks: enc.tasks.map((task, t) => ({
      task,
      label: keys[label[t] as number] as string,
      posterior: tied[t] ? [0.5, 0.5] : label[t] === 0 ? [1, 0] : [0, 1],
    })),
    annotators: enc.annotators.map((annotator, w): AnnotatorReliability => ({
      annotator,
      answers: answered[w] as number,
      reliability: (agreed[w] as number) / (answered[w] as number),
      skill: maxSkill > 0 ? (workerSum[w] as number) / maxSkill : 0,
    })),
    convergence: { iterations, converged, stoppedBy: converged ? 'tolerance' : 'max-iterations', objective: change },
  };
}

/** Divides every message by the power of two nearest their largest magnitude: exact, so no rounding changes. */
function rescale(messages: Float64Array): void {
  let max = 0;
  for (let i = 0; i < messages.length; i++) max = Math.max(max, Math.abs(messages[i] as number));
  if (!(max > 0) || !Number.isFinite(max)) return;
  const factor = 2 ** -Math.round(Math.log2(max));
  for (let i = 0; i < messages.length; i++) messages[i] = (messages[i] as number) * factor;
}

function normalised(messages: Float64Array): Float64Array {
  let max = 0;
  for (let i = 0; i < messages.length; i++) max = Math.max(max, Math.abs(messages[i] as number));
  const out = new Float64Array(messages.length);
  if (max > 0) for (let i = 0; i < messages.length; i++) out[i] = (messages[i] as number) / max;
  return out;
}
