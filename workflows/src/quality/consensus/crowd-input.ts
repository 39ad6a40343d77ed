// Shared plumbing of the categorical truth-inference methods: validated encoding, option checks, vote shares,
// near-tie label picking and the common result shape.
import { QualityInputError } from '../errors.ts';
import { encodeAnswers, type CategoricalAnswer, type DuplicatePolicy, type EncodedAnswers } from '../labels.ts';
import type { AnnotatorReliability, Convergence, CrowdConsensusResult, CrowdMethodName, CrowdMethodOptions, MethodTaskResult } from './method.ts';

/**
 * Posteriors (or vote shares) within this of a task's largest are a tie, resolved to the lowest category in
 * category order. Mathematically equal sums computed in a different order differ by a few ulps, so an exact
 * comparison would pick by rounding noise.
 */
export const TIE = 1e-9;

/** Dense answers: answer i says annotator `annotatorOf[i]` gave category `labelOf[i]` to task `taskOf[i]`. */
export interface DenseAnswers {
  /** Number of tasks, annotators and categories. */
  T: number;
  W: number;
  K: number;
  taskOf: Int32Array;
  annotatorOf: Int32Array;
  labelOf: Int32Array;
}

/** Answers encoded for a truth-inference method, with the counts every method needs. */
export interface CrowdInput extends EncodedAnswers, DenseAnswers {
  /** Number of answers. */
  n: number;
  /** Answers per annotator. */
  answered: Int32Array;
}

/** Options every categorical method's record API accepts for its input (`seed` matters only to randomised methods). */
export interface CrowdInputOptions extends CrowdMethodOptions {
  /** Repeated answers of one annotator on one task: separate answers (`count`, default, as Crowd-Kit) or an error. */
  duplicates?: DuplicatePolicy;
}

/** Validates and encodes answers for `method`: at least one answer and at least two categories. */
export function encodeCrowdAnswers(answers: readonly CategoricalAnswer[], options: CrowdInputOptions, method: CrowdMethodName): CrowdInput {
  if (!Array.isArray(answers)) throw new QualityInputError('INVALID_ARGUMENT', `${method}: answers must be an array`);
  if (answers.length === 0) throw new QualityInputError('EMPTY_INPUT', `${method} needs at least one answer`);
  const duplicates = options.duplicates ?? 'count';
  if (duplicates !== 'count' && duplicates !== 'reject')
    throw new QualityInputError('INVALID_ARGUMENT', `${method}: duplicates must be 'count' or 'reject', got '${String(duplicates)}'`);
  const enc = encodeAnswers(answers, options.categories, duplicates);
  const K = enc.categories.keys.length;
  if (K < 2) {
    throw new QualityInputError(
      'INVALID_ARGUMENT',
      options.categories
        ? `${method} needs at least two categories; the declared categories are only '${enc.categories.keys[0] ?? ''}'`
        : `${method} needs at least two categories; every answer is '${enc.categories.keys[0] ?? ''}' (declare the categories to fit a model anyway)`,
    );
  }
  const answered = new Int32Array(enc.annotators.length);
  for (let i = 0; i < enc.annotatorOf.length; i++) answered[enc.annotatorOf[i] as number]! += 1;
  return { ...enc, T: enc.tasks.length, W: enc.annotators.length, K, n: enc.taskOf.length, answered };
}

/** An integer option: `fallback` when undefined, else an integer >= min. */
export function integerOption(value: unknown, fallback: number, what: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new QualityInputError('INVALID_ARGUMENT', `${what} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/** A finite number option: `fallback` when undefined, else a finite number >= min (or > min when `exclusive`) and <= max. */
export function numberOption(value: unknown, fallback: number, what: string, min = -Infinity, exclusive = false, max = Infinity): number {
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusive ? value > min : value >= min) && value <= max;
  if (!ok) {
    const range = [Number.isFinite(min) ? `${exclusive ? '>' : '>='} ${min}` : '', Number.isFinite(max) ? `<= ${max}` : ''].filter(Boolean).join(' and ');
    throw new QualityInputError('INVALID_ARGUMENT', `${what} must be a finite number${range ? ` ${range}` : ''}, got ${String(value)}`);
  }
  return value;
}

/** One of the listed choices: `fallback` when undefined. */
export function choiceOption<C extends string>(value: unknown, fallback: C, what: string, choices: readonly C[]): C {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value))
    throw new QualityInputError('INVALID_ARGUMENT', `${what} must be one of ${choices.join(', ')}; got '${String(value)}'`);
  return value as C;
}

/**
 * Per-task shares of (weighted) votes, T × K. A task whose annotators all weigh 0 falls back to its unweighted
 * vote shares rather than to an undefined 0/0.
 */
export function voteShares(input: DenseAnswers, weights?: Float64Array): Float64Array {
  const { T, K, taskOf, annotatorOf, labelOf } = input;
  const shares = new Float64Array(T * K);
  for (let i = 0; i < taskOf.length; i++) shares[(taskOf[i] as number) * K + (labelOf[i] as number)]! += weights ? (weights[annotatorOf[i] as number] as number) : 1;
  let plain: Float64Array | undefined;
  for (let t = 0; t < T; t++) {
    const b = t * K;
    let sum = 0;
    for (let k = 0; k < K; k++) sum += shares[b + k] as number;
    if (!(sum > 0)) {
      if (!weights) continue; // a task without answers keeps zero shares
      plain ??= voteShares(input);
      for (let k = 0; k < K; k++) shares[b + k] = plain[b + k] as number;
      continue;
    }
    for (let k = 0; k < K; k++) shares[b + k] = (shares[b + k] as number) / sum;
  }
  return shares;
}

/** Per task, the lowest category whose posterior is within {@link TIE} of the largest; and how many tasks were tied. */
export function pickLabels(post: Float64Array, T: number, K: number): { labels: Int32Array; ties: number } {
  const labels = new Int32Array(T);
  let ties = 0;
  for (let t = 0; t < T; t++) {
    const b = t * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if ((post[b + k] as number) > max) max = post[b + k] as number;
    let first = -1;
    let near = 0;
    for (let k = 0; k < K; k++) {
      if ((post[b + k] as number) >= max - TIE) {
        if (first < 0) first = k;
        near++;
      }
    }
    labels[t] = first;
    if (near > 1) ties++;
  }
  return { labels, ties };
}

/**
 * Per annotator, the share of their distinct (task, label) answers that equal `labels` (Crowd-Kit's
 * `get_accuracy`: a repeated identical answer counts once, a repeated different answer counts separately).
 */
export function agreementWithLabels(input: DenseAnswers, labels: Int32Array): Float64Array {
  const { W, K, taskOf, annotatorOf, labelOf } = input;
  const hits = new Float64Array(W);
  const distinct = new Float64Array(W);
  const seen = new Set<number>();
  for (let i = 0; i < taskOf.length; i++) {
    const t = taskOf[i] as number;
    const w = annotatorOf[i] as number;
    const l = labelOf[i] as number;
    // (t, w, l) as one exact integer: tasks, annotators and categories are each below 2^31, their product below 2^53 in practice.
    const key = (t * W + w) * K + l;
    if (seen.has(key)) continue;
    seen.add(key);
    distinct[w]! += 1;
    if (labels[t] === l) hits[w]! += 1;
  }
  for (let w = 0; w < W; w++) hits[w] = (distinct[w] as number) > 0 ? (hits[w] as number) / (distinct[w] as number) : 0;
  return hits;
}

/** Assembles the common result from dense posteriors and labels. */
export function crowdResult(
  method: CrowdMethodName,
  input: CrowdInput,
  post: Float64Array,
  labels: Int32Array,
  annotator: (w: number) => Omit<AnnotatorReliability, 'annotator' | 'answers'>,
  convergence: Convergence,
): CrowdConsensusResult {
  const { K } = input;
  const keys = input.categories.keys;
  const tasks: MethodTaskResult[] = input.tasks.map((task, t) => ({ task, label: keys[labels[t] as number] as string, posterior: Array.from(post.subarray(t * K, (t + 1) * K)) }));
  return {
    method,
    categories: keys.slice(),
    tasks,
    annotators: input.annotators.map((name, w) => ({ annotator: name, answers: input.answered[w] as number, ...annotator(w) })),
    convergence,
  };
}

/** The convergence record of a method without iterations. */
export const CLOSED_FORM: Readonly<Convergence> = Object.freeze({ iterations: 1, converged: true, stoppedBy: 'closed-form' });
