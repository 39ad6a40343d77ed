// GLAD (Whitehill et al. 2009): each annotator has an ability, each task a difficulty; multi-class as Crowd-Kit.
import { QualityInputError } from '../errors.ts';
import { encodeAnswers, type CategoricalAnswer, type DuplicatePolicy, type EncodedAnswers } from '../labels.ts';
import type { AnnotatorReliability, CrowdConsensusResult, CrowdMethodOptions, MethodTaskResult } from './method.ts';

/**
 * Options for {@link glad}. The model: an annotator with ability α answers a task with inverse difficulty
 * e^b correctly with probability σ(α·e^b) and gives each wrong category with probability (1 − σ)/(K − 1);
 * α ~ N(alphaPriorMean, 1), b ~ N(betaPriorMean, 1) (b is the log inverse difficulty, as in Crowd-Kit).
 * GLAD is deterministic: `seed` is accepted and ignored.
 */
export interface GladOptions extends CrowdMethodOptions {
  /** Maximum EM iterations (default 100, Crowd-Kit's `n_iter`). */
  maxIterations?: number;
  /**
   * Stop when the mean log marginal posterior per answer (the `objective` reported) rises by less than this
   * (default 1e-5, the value of Crowd-Kit's `tol`). EM never lowers this objective, so stopping means it has
   * levelled off. Crowd-Kit watches its expected complete-data log-likelihood instead, which can fall between
   * iterations and so stop it early.
   */
  tolerance?: number;
  /**
   * Maximum gradient steps per M-step (default 10). Crowd-Kit runs up to 25 conjugate-gradient iterations; with
   * our curvature-scaled steps 25 changes the accuracy on the 13 public crowd sets by at most 0.0002 (one task
   * on S_Rel, one on Sentiment Polarity) and takes about three times as long.
   */
  mStepIterations?: number;
  /** End the M-step when every gradient coordinate is below this in absolute value (default 1e-2, Crowd-Kit's `m_step_tol`). */
  mStepTolerance?: number;
  /**
   * First step length of each M-step gradient step (default 1). Each coordinate of the gradient is divided by its
   * Fisher curvature, so 1 is a Newton step per parameter; the step is halved (up to 30 times) until the
   * expected log-posterior rises enough (Armijo), so every accepted step improves the fit.
   */
  learningRate?: number;
  /** Prior mean of every annotator's ability α (default 1; prior standard deviation 1). */
  alphaPriorMean?: number;
  /** Prior mean of every task's log inverse difficulty b (default 1; prior standard deviation 1). */
  betaPriorMean?: number;
  /** Fixed class priors in category order (default uniform); positive, normalised to sum 1. */
  classPriors?: readonly number[];
  /** Repeated answers of one annotator on one task: separate answers (`count`, default) or an error. */
  duplicates?: DuplicatePolicy;
}

/** One task's GLAD consensus: the posterior plus the estimated inverse difficulty e^b (larger = easier). */
export interface GladTaskResult extends MethodTaskResult {
  inverseDifficulty: number;
}

/** Result of {@link glad}: annotators' `skill` is their ability α (negative = worse than chance). */
export interface GladResult extends CrowdConsensusResult {
  method: 'glad';
  tasks: GladTaskResult[];
}

/** Scores closer than this share of a task's total absolute evidence tie (floating-point noise); the lowest category wins. */
const TIE = 1e-9;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * GLAD truth inference. EM as in Crowd-Kit: the E-step computes each task's posterior over the true category;
 * the M-step climbs the expected log-posterior in α and b with curvature-scaled, backtracked gradient steps
 * (Crowd-Kit uses scipy's conjugate gradient for the same maximisation). Class priors stay fixed.
 * Posteriors are recomputed after the last M-step. Ties (within 1e-9 of the task's evidence) go to the
 * lowest category. Annotator reliability = mean σ(α·e^b) over the annotator's answers.
 */
export function glad(answers: readonly CategoricalAnswer[], options: GladOptions = {}): GladResult {
  const maxIterations = integerOption(options.maxIterations, 100, 'maxIterations', 1);
  const tolerance = numberOption(options.tolerance, 1e-5, 'tolerance', 0);
  const mStepIterations = integerOption(options.mStepIterations, 10, 'mStepIterations', 1);
  const mStepTolerance = numberOption(options.mStepTolerance, 1e-2, 'mStepTolerance', 0);
  const learningRate = numberOption(options.learningRate, 1, 'learningRate', 0, true);
  const muA = numberOption(options.alphaPriorMean, 1, 'alphaPriorMean');
  const muB = numberOption(options.betaPriorMean, 1, 'betaPriorMean');
  const enc = encodeForGlad(answers, options);
  const { taskOf, annotatorOf: workerOf, labelOf } = enc;
  const n = taskOf.length;
  const T = enc.tasks.length;
  const W = enc.annotators.length;
  const K = enc.categories.keys.length;
  const logPrior = classLogPriors(options.classPriors, K);
  let maxAbsLogPrior = 0;
  for (let k = 0; k < K; k++) maxAbsLogPrior = Math.max(maxAbsLogPrior, Math.abs(logPrior[k] as number));
  const logK1 = Math.log(K - 1);
  const constPrior = -HALF_LOG_2PI * (W + T);

  let alpha = new Float64Array(W).fill(muA);
  let beta = new Float64Array(T).fill(muB);
  let nextAlpha = new Float64Array(W);
  let nextBeta = new Float64Array(T);
  const score = new Float64Array(T * K);
  const post = new Float64Array(T * K);
  const base = new Float64Array(T);
  const scale = new Float64Array(T);
  const pGiven = new Float64Array(n);
  const gA = new Float64Array(W);
  const gB = new Float64Array(T);
  const hA = new Float64Array(W);
  const hB = new Float64Array(T);
  const dA = new Float64Array(W);
  const dB = new Float64Array(T);
  const expB = new Float64Array(T);

  const penalty = (a: Float64Array, b: Float64Array): number => {
    let sa = 0;
    for (let w = 0; w < W; w++) sa += ((a[w] as number) - muA) ** 2;
    let sb = 0;
    for (let t = 0; t < T; t++) sb += ((b[t] as number) - muB) ** 2;
    return -0.5 * sa - 0.5 * sb;
  };

  // E-step: posteriors of the true category; returns the mean log marginal posterior per answer.
  const eStep = (): number => {
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < K; k++) score[t * K + k] = logPrior[k] as number;
      base[t] = 0;
      scale[t] = maxAbsLogPrior;
    }
    for (let t = 0; t < T; t++) expB[t] = Math.exp(beta[t] as number);
    for (let i = 0; i < n; i++) {
      const t = taskOf[i] as number;
      const x = (alpha[workerOf[i] as number] as number) * (expB[t] as number);
      score[t * K + (labelOf[i] as number)]! += x + logK1;
      base[t]! += -softplus(x) - logK1;
      scale[t]! += Math.abs(x + logK1);
    }
    let logMarginal = 0;
    for (let t = 0; t < T; t++) {
      const b = t * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, score[b + k] as number);
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp((score[b + k] as number) - max);
        post[b + k] = e;
        sum += e;
      }
      for (let k = 0; k < K; k++) post[b + k] = (post[b + k] as number) / sum;
      logMarginal += max + Math.log(sum) + (base[t] as number);
    }
    for (let i = 0; i < n; i++) pGiven[i] = post[(taskOf[i] as number) * K + (labelOf[i] as number)] as number;
    return (logMarginal + (penalty(alpha, beta) + constPrior)) / n;
  };

  // Expected complete log-posterior in α and b for the current posteriors (terms constant in α, b dropped), and
  // in the same pass its raw gradient (gA, gB) and Fisher curvature (hA, hB) before the prior's share.
  const evaluate = (a: Float64Array, b: Float64Array): number => {
    for (let t = 0; t < T; t++) expB[t] = Math.exp(b[t] as number);
    gA.fill(0);
    gB.fill(0);
    hA.fill(0);
    hB.fill(0);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const t = taskOf[i] as number;
      const w = workerOf[i] as number;
      const eb = expB[t] as number;
      const x = (a[w] as number) * eb;
      const z = Math.exp(-Math.abs(x));
      const p = pGiven[i] as number;
      s += p * x - (Math.max(x, 0) + Math.log1p(z));
      const sig = x >= 0 ? 1 / (1 + z) : z / (1 + z);
      const r = p - sig;
      const c = sig * (1 - sig);
      gA[w]! += r * eb;
      gB[t]! += r * x;
      hA[w]! += c * eb * eb;
      hB[t]! += c * x * x;
    }
    return s + penalty(a, b);
  };

  const mStep = (): void => {
    let q = evaluate(alpha, beta);
    for (let step = 0; step < mStepIterations; step++) {
      let gMax = 0;
      let slope = 0;
      for (let w = 0; w < W; w++) {
        const g = (gA[w] as number) - ((alpha[w] as number) - muA);
        const d = g / ((hA[w] as number) + 1);
        dA[w] = d;
        slope += g * d;
        gMax = Math.max(gMax, Math.abs(g));
      }
      for (let t = 0; t < T; t++) {
        const g = (gB[t] as number) - ((beta[t] as number) - muB);
        const d = g / ((hB[t] as number) + 1);
        dB[t] = d;
        slope += g * d;
        gMax = Math.max(gMax, Math.abs(g));
      }
      if (gMax < mStepTolerance) return;
      let eta = learningRate;
      let accepted = false;
      let nextQ = q;
      for (let halving = 0; halving < 30; halving++) {
        for (let w = 0; w < W; w++) nextAlpha[w] = (alpha[w] as number) + eta * (dA[w] as number);
        for (let t = 0; t < T; t++) nextBeta[t] = (beta[t] as number) + eta * (dB[t] as number);
        nextQ = evaluate(nextAlpha, nextBeta);
        if (nextQ >= q + 1e-4 * eta * slope) {
          accepted = true;
          break;
        }
        eta *= 0.5;
      }
      if (!accepted) return;
      [alpha, nextAlpha] = [nextAlpha, alpha];
      [beta, nextBeta] = [nextBeta, beta];
      q = nextQ;
    }
  };

  let objective = eStep();
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    mStep();
    const next = eStep();
    const gain = next - objective;
    objective = next;
    if (gain < tolerance) {
      converged = true;
      break;
    }
  }

  const correct = new Float64Array(W);
  const answered = new Int32Array(W);
  for (let i = 0; i < n; i++) {
    const w = workerOf[i] as number;
    const x = (alpha[w] as number) * Math.exp(beta[taskOf[i] as number] as number);
    correct[w]! += 1 / (1 + Math.exp(-x));
    answered[w]! += 1;
  }
  const keys = enc.categories.keys;
  return {
    method: 'glad',
    categories: keys,
    tasks: enc.tasks.map((task, t) => ({
      task,
      label: keys[pickLabel(score, t, K, TIE * (scale[t] as number))] as string,
      posterior: Array.from(post.subarray(t * K, (t + 1) * K)),
      inverseDifficulty: Math.exp(beta[t] as number),
    })),
    annotators: enc.annotators.map((annotator, w): AnnotatorReliability => ({
      annotator,
      answers: answered[w] as number,
      reliability: (correct[w] as number) / (answered[w] as number),
      skill: alpha[w] as number,
    })),
    convergence: { iterations, converged, stoppedBy: converged ? 'tolerance' : 'max-iterations', objective },
  };
}

function encodeForGlad(answers: readonly CategoricalAnswer[], options: GladOptions): EncodedAnswers {
  if (!Array.isArray(answers) || answers.length === 0) throw new QualityInputError('EMPTY_INPUT', 'GLAD needs at least one answer');
  const enc = encodeAnswers(answers, options.categories, options.duplicates ?? 'count');
  if (enc.annotators.length < 2) {
    throw new QualityInputError('RATER_COUNT', `GLAD needs answers from at least 2 annotators to estimate their abilities, got 1 ('${enc.annotators[0]}')`);
  }
  if (enc.categories.keys.length < 2) {
    throw new QualityInputError(
      'INVALID_ARGUMENT',
      `GLAD needs at least 2 categories, got only '${enc.categories.keys[0]}'; declare \`categories\` when every answer has the same label`,
    );
  }
  return enc;
}

function classLogPriors(priors: readonly number[] | undefined, K: number): Float64Array {
  const out = new Float64Array(K);
  if (priors === undefined) return out.fill(Math.log(1 / K));
  if (!Array.isArray(priors) || priors.length !== K)
    throw new QualityInputError('LENGTH_MISMATCH', `classPriors must have one value per category (${K}), got ${Array.isArray(priors) ? priors.length : typeof priors}`);
  let sum = 0;
  priors.forEach((p, k) => {
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0) throw new QualityInputError('INVALID_NUMBER', `classPriors[${k}] must be a finite number > 0, got ${String(p)}`);
    sum += p;
  });
  priors.forEach((p, k) => (out[k] = Math.log(p / sum)));
  return out;
}

function integerOption(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new QualityInputError('INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function numberOption(value: number | undefined, fallback: number, name: string, min = -Infinity, exclusive = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (exclusive && value === min)) {
    const bound = min === -Infinity ? '' : ` ${exclusive ? '>' : '>='} ${min}`;
    throw new QualityInputError('INVALID_NUMBER', `${name} must be a finite number${bound}, got ${String(value)}`);
  }
  return value;
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Index of the best score of row `t`; scores within `tie` of the best count as tied and the lowest index wins. */
function pickLabel(score: Float64Array, t: number, K: number, tie: number): number {
  let best = -Infinity;
  for (let k = 0; k < K; k++) best = Math.max(best, score[t * K + k] as number);
  for (let k = 0; k < K; k++) if ((score[t * K + k] as number) >= best - tie) return k;
  return 0;
}
