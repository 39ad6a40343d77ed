// Dawid & Skene (1979) EM: class priors and one confusion matrix per annotator, with Crowd-Kit's stopping rule
// among others. The EM loop here is shared with one-coin Dawid-Skene (one-coin.ts).
import { QualityInputError } from '../errors.ts';
import type { CategoricalAnswer } from '../labels.ts';
import {
  agreementWithLabels,
  choiceOption,
  encodeCrowdAnswers,
  integerOption,
  numberOption,
  pickLabels,
  TIE,
  voteShares,
  type CrowdInputOptions,
  type DenseAnswers,
} from './crowd-input.ts';
import type { AnnotatorReliability, Convergence, CrowdConsensusResult, MethodTaskResult } from './method.ts';

/**
 * When EM stops:
 * - `elbo`: when the evidence lower bound per answer rises by less than `tolerance` or falls, as Crowd-Kit
 *   1.4.1 does. Its ELBO is Σ over answers and classes of q·(log confusion + log prior), plus the posteriors'
 *   entropy, divided by the number of answers; the prior term is counted once per answer, as Crowd-Kit
 *   computes it, so this rule stops earlier than a textbook ELBO would.
 * - `log-likelihood`: when the mean log marginal likelihood per answer changes by less than `tolerance`.
 * - `posterior`: when no task's posterior probability of any class changes by `tolerance` or more.
 */
export type DawidSkeneStop = 'elbo' | 'log-likelihood' | 'posterior';

/**
 * Where EM starts (the first posteriors, from which the first priors and confusion matrices are estimated):
 * - `soft-majority`: each task's vote shares (Crowd-Kit's MajorityVote probabilities);
 * - `majority`: all mass on the majority label (shared equally among tied labels);
 * - `wawa`: vote shares weighted by each annotator's agreement with the majority vote.
 */
export type DawidSkeneInit = 'soft-majority' | 'majority' | 'wawa';

export const DAWID_SKENE_STOPS: readonly DawidSkeneStop[] = ['elbo', 'log-likelihood', 'posterior'];
export const DAWID_SKENE_INITS: readonly DawidSkeneInit[] = ['soft-majority', 'majority', 'wawa'];

/** Crowd-Kit 1.4.1's `DawidSkene()` settings: n_iter 100, tol 1e-5 on its ELBO, majority-vote shares, ε = 1e-10 floor. */
export const CROWD_KIT_DAWID_SKENE = Object.freeze({ stop: 'elbo', tolerance: 1e-5, maxIterations: 100, smoothing: 0, init: 'soft-majority' } as const);

/**
 * Defaults of {@link dawidSkene}, one configuration for every dataset: Crowd-Kit 1.4.1's stopping rule, tolerance,
 * iteration cap and initialisation, with the engine's earlier smoothing of 1e-6 kept. The smoothing keeps a label
 * an annotator has not used yet possible (with 0 such a label makes every class impossible for a model fitted
 * before it, as the lifecycle's cached campaign model is). On each of the 13 public crowd sets these defaults are
 * at least as accurate as Crowd-Kit's own settings ({@link CROWD_KIT_DAWID_SKENE}) and converge (S_Rel in 21
 * iterations); the measurements and the alternatives are in the quality engine's README.
 */
export const DAWID_SKENE_DEFAULTS: Readonly<Required<DawidSkeneSettings>> = Object.freeze({ ...CROWD_KIT_DAWID_SKENE, smoothing: 1e-6 });

/** Options for Dawid-Skene (deterministic: `seed` is accepted and ignored). */
export interface DawidSkeneOptions extends CrowdInputOptions {
  /** Maximum EM iterations (E-step plus M-step); when reached, the result says `converged: false`. */
  maxIterations?: number;
  /** Threshold of the stopping rule (see {@link DawidSkeneStop}); 0 runs to `maxIterations` unless the watched quantity stops changing exactly. */
  tolerance?: number;
  /** Stopping rule. */
  stop?: DawidSkeneStop;
  /**
   * Pseudo-count added to every cell of every confusion-matrix row before normalising (0 = maximum likelihood).
   * Each cell an annotator actually used is also floored at 1e-10 (Crowd-Kit's ε), so no answer ever has
   * probability 0; a label an annotator never gave keeps probability 0 unless smoothing is positive.
   */
  smoothing?: number;
  /** Initialisation. */
  init?: DawidSkeneInit;
}

/** The settings of the EM itself (no input options). */
export type DawidSkeneSettings = Omit<DawidSkeneOptions, keyof CrowdInputOptions>;

/** Dense Dawid-Skene input: answer i says annotator `workerOf[i]` gave label `labelOf[i]` to task `taskOf[i]`. */
export interface DawidSkeneEncodedInput {
  nTasks: number;
  nWorkers: number;
  nClasses: number;
  taskOf: Int32Array;
  workerOf: Int32Array;
  labelOf: Int32Array;
}

/** Dense Dawid-Skene output. */
export interface DawidSkeneEncodedResult {
  /** nTasks × nClasses posterior probabilities of the true class (from the last E-step). */
  posteriors: Float64Array;
  /** Per task, the lowest class whose posterior is within 1e-9 of the largest. */
  labels: Int32Array;
  /** Class priors and confusion matrices re-estimated from the final posteriors. */
  priors: Float64Array;
  /** nWorkers × nClasses(true) × nClasses(given): P(gives l | true k). */
  confusion: Float64Array;
  iterations: number;
  converged: boolean;
  stoppedBy: Convergence['stoppedBy'];
  /** Final value of the quantity the stopping rule watched. */
  objective: number;
  /** Mean log marginal likelihood per answer at the last E-step. */
  logLikelihood: number;
}

/** Probabilities below this are floored (Crowd-Kit's ε): used cells of a confusion row, priors, and entropy terms. */
export const FLOOR = 1e-10;

/** The EM settings after validation. */
export interface ResolvedEmOptions {
  maxIterations: number;
  tolerance: number;
  stop: DawidSkeneStop;
  init: DawidSkeneInit;
}

/**
 * Re-estimates the confusion matrices (conf[w·K·K + k·K + l] = P(gives l | true k)) from posteriors. Returns
 * the per-annotator skill for one-coin models, nothing for the full model.
 */
export type ConfusionMStep = (data: DenseAnswers, post: Float64Array, conf: Float64Array) => void;

/** Result of {@link confusionEm}. */
export interface ConfusionEmResult {
  post: Float64Array;
  priors: Float64Array;
  conf: Float64Array;
  iterations: number;
  converged: boolean;
  objective: number;
  logLikelihood: number;
}

/** First posteriors of EM. */
export function initialPosteriors(data: DenseAnswers, init: DawidSkeneInit): Float64Array {
  const { T, K } = data;
  if (init === 'soft-majority') return voteShares(data);
  if (init === 'wawa') return voteShares(data, agreementWithLabels(data, pickLabels(voteShares(data), T, K).labels));
  const shares = voteShares(data);
  for (let t = 0; t < T; t++) {
    const b = t * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, shares[b + k] as number);
    let near = 0;
    for (let k = 0; k < K; k++) if ((shares[b + k] as number) >= max - TIE) near++;
    for (let k = 0; k < K; k++) shares[b + k] = (shares[b + k] as number) >= max - TIE ? 1 / near : 0;
  }
  return shares;
}

/**
 * EM over confusion-matrix models (full and one-coin Dawid-Skene), in Crowd-Kit's order: initial posteriors,
 * priors and M-step; then per iteration E-step, priors = mean posterior, M-step, stopping rule.
 */
export function confusionEm(data: DenseAnswers, options: ResolvedEmOptions, mStep: ConfusionMStep): ConfusionEmResult {
  const { T, W, K, taskOf, annotatorOf: workerOf, labelOf } = data;
  const n = taskOf.length;
  const KK = K * K;
  const post = initialPosteriors(data, options.init);
  const previousPost = options.stop === 'posterior' ? new Float64Array(T * K) : undefined;
  const priors = new Float64Array(K);
  const logPrior = new Float64Array(K);
  const conf = new Float64Array(W * KK);
  const logConf = new Float64Array(W * KK);
  const maximise = (): void => {
    priors.fill(0);
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) priors[k]! += post[t * K + k] as number;
    for (let k = 0; k < K; k++) {
      priors[k] = (priors[k] as number) / T;
      logPrior[k] = Math.log(Math.max(priors[k] as number, FLOOR));
    }
    mStep(data, post, conf);
    for (let j = 0; j < conf.length; j++) logConf[j] = Math.log(conf[j] as number);
  };
  maximise();
  let previous = -Infinity;
  let objective = Number.NaN;
  let logLikelihood = Number.NaN;
  let iterations = 0;
  let converged = false;
  const next = new Float64Array(T * K);
  while (iterations < options.maxIterations) {
    iterations++;
    // E-step: posteriors ∝ prior · Π confusion over the task's answers.
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) next[t * K + k] = logPrior[k] as number;
    for (let i = 0; i < n; i++) {
      const tb = (taskOf[i] as number) * K;
      const cb = (workerOf[i] as number) * KK + (labelOf[i] as number);
      for (let k = 0; k < K; k++) next[tb + k]! += logConf[cb + k * K] as number;
    }
    let total = 0;
    for (let t = 0; t < T; t++) {
      const b = t * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) if ((next[b + k] as number) > max) max = next[b + k] as number;
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp((next[b + k] as number) - max);
        next[b + k] = e;
        sum += e;
      }
      for (let k = 0; k < K; k++) next[b + k] = (next[b + k] as number) / sum;
      total += max + Math.log(sum);
    }
    logLikelihood = total / n;
    if (previousPost) previousPost.set(post);
    post.set(next);
    maximise();
    let done: boolean;
    if (options.stop === 'elbo') {
      objective = elbo(data, post, logPrior, logConf);
      done = objective - previous < options.tolerance;
    } else if (options.stop === 'log-likelihood') {
      objective = logLikelihood;
      done = Math.abs(objective - previous) < options.tolerance;
    } else {
      let change = 0;
      const before = previousPost as Float64Array;
      for (let j = 0; j < post.length; j++) change = Math.max(change, Math.abs((post[j] as number) - (before[j] as number)));
      objective = change;
      done = change < options.tolerance;
    }
    previous = objective;
    if (done) {
      converged = true;
      break;
    }
  }
  return { post, priors, conf, iterations, converged, objective, logLikelihood };
}

/** Crowd-Kit's evidence lower bound per answer (see {@link DawidSkeneStop}). */
function elbo(data: DenseAnswers, post: Float64Array, logPrior: Float64Array, logConf: Float64Array): number {
  const { T, K, taskOf, annotatorOf: workerOf, labelOf } = data;
  const n = taskOf.length;
  let joint = 0;
  for (let i = 0; i < n; i++) {
    const tb = (taskOf[i] as number) * K;
    const cb = (workerOf[i] as number) * K * K + (labelOf[i] as number);
    for (let k = 0; k < K; k++) joint += (post[tb + k] as number) * ((logConf[cb + k * K] as number) + (logPrior[k] as number));
  }
  let entropy = 0;
  for (let j = 0; j < T * K; j++) {
    const q = Math.max(post[j] as number, FLOOR);
    entropy -= q * Math.log(q);
  }
  return (joint + entropy) / n;
}

/** The full model's M-step: expected counts, each used cell floored at {@link FLOOR}, plus smoothing, normalised per true class. */
function fullConfusionMStep(smoothing: number): ConfusionMStep {
  let used: Uint8Array | undefined;
  return (data, post, conf) => {
    const { W, K, taskOf, annotatorOf: workerOf, labelOf } = data;
    const KK = K * K;
    if (!used) {
      used = new Uint8Array(W * K);
      for (let i = 0; i < taskOf.length; i++) used[(workerOf[i] as number) * K + (labelOf[i] as number)] = 1;
    }
    conf.fill(0);
    for (let i = 0; i < taskOf.length; i++) {
      const tb = (taskOf[i] as number) * K;
      const cb = (workerOf[i] as number) * KK + (labelOf[i] as number);
      for (let k = 0; k < K; k++) conf[cb + k * K]! += post[tb + k] as number;
    }
    for (let w = 0; w < W; w++) {
      for (let k = 0; k < K; k++) {
        const b = w * KK + k * K;
        let sum = 0;
        for (let l = 0; l < K; l++) {
          const v = (used[w * K + l] ? Math.max(conf[b + l] as number, FLOOR) : 0) + smoothing;
          conf[b + l] = v;
          sum += v;
        }
        if (sum > 0) for (let l = 0; l < K; l++) conf[b + l] = (conf[b + l] as number) / sum;
        else for (let l = 0; l < K; l++) conf[b + l] = 1 / K;
      }
    }
  };
}

/** Validates Dawid-Skene's options and fills in the defaults. */
export function resolveDawidSkeneOptions(options: DawidSkeneSettings): ResolvedEmOptions & { smoothing: number } {
  const d = DAWID_SKENE_DEFAULTS;
  return {
    maxIterations: integerOption(options.maxIterations, d.maxIterations, 'maxIterations', 1),
    tolerance: numberOption(options.tolerance, d.tolerance, 'tolerance', 0),
    stop: choiceOption(options.stop, d.stop, 'stop', DAWID_SKENE_STOPS),
    smoothing: numberOption(options.smoothing, d.smoothing, 'smoothing', 0),
    init: choiceOption(options.init, d.init, 'init', DAWID_SKENE_INITS),
  };
}

/**
 * Dawid-Skene EM on dense typed arrays (the fast path used by {@link dawidSkene} and the benchmark). See
 * {@link DawidSkeneOptions} for the settings; defaults are {@link DAWID_SKENE_DEFAULTS}.
 */
export function dawidSkeneEncoded(input: DawidSkeneEncodedInput, options: DawidSkeneSettings = {}): DawidSkeneEncodedResult {
  const resolved = resolveDawidSkeneOptions(options);
  const { nTasks, nWorkers, nClasses: K, taskOf, workerOf, labelOf } = input;
  const n = taskOf.length;
  if (workerOf.length !== n || labelOf.length !== n) throw new QualityInputError('LENGTH_MISMATCH', 'taskOf, workerOf and labelOf must have the same length');
  if (n === 0 || nTasks === 0) throw new QualityInputError('EMPTY_INPUT', 'Dawid-Skene needs at least one answer');
  if (!Number.isInteger(K) || K < 2) throw new QualityInputError('INVALID_ARGUMENT', `Dawid-Skene needs at least two classes, got nClasses = ${String(K)}`);
  const seen = new Uint8Array(nTasks);
  for (let i = 0; i < n; i++) {
    const t = taskOf[i] as number;
    const w = workerOf[i] as number;
    const l = labelOf[i] as number;
    if (t < 0 || t >= nTasks || w < 0 || w >= nWorkers || l < 0 || l >= K) throw new QualityInputError('INVALID_ARGUMENT', `answer ${i} has an index out of range`);
    seen[t] = 1;
  }
  const unanswered = seen.indexOf(0);
  if (unanswered >= 0) throw new QualityInputError('INVALID_ARGUMENT', `task ${unanswered} has no answer (every task index below nTasks needs one)`);
  const data: DenseAnswers = { T: nTasks, W: nWorkers, K, taskOf, annotatorOf: workerOf, labelOf };
  const r = confusionEm(data, resolved, fullConfusionMStep(resolved.smoothing));
  return {
    posteriors: r.post,
    labels: pickLabels(r.post, nTasks, K).labels,
    priors: r.priors,
    confusion: r.conf,
    iterations: r.iterations,
    converged: r.converged,
    stoppedBy: r.converged ? 'tolerance' : 'max-iterations',
    objective: r.objective,
    logLikelihood: r.logLikelihood,
  };
}

/** Per-annotator output of Dawid-Skene. */
export interface DawidSkeneAnnotator extends AnnotatorReliability {
  /** confusion[k][l] = P(annotator gives category l | true category k). */
  confusion: number[][];
  /** Probability that the annotator's label is correct: Σ_k prior_k · confusion[k][k], in [0, 1]. */
  reliability: number;
}

/** Result of {@link dawidSkene}: the common consensus result plus priors and confusion matrices. */
export interface DawidSkeneResult extends CrowdConsensusResult {
  method: 'dawid-skene';
  tasks: MethodTaskResult[];
  priors: number[];
  annotators: DawidSkeneAnnotator[];
  /** Same as `convergence.iterations` / `convergence.converged` (kept for existing callers). */
  iterations: number;
  converged: boolean;
  /** Mean log marginal likelihood per answer at the last E-step. */
  logLikelihood: number;
}

/** Dawid-Skene consensus over answer records, with per-task posteriors and per-annotator confusion and reliability. */
export function dawidSkene(answers: readonly CategoricalAnswer[], options: DawidSkeneOptions = {}): DawidSkeneResult {
  const resolved = resolveDawidSkeneOptions(options);
  const input = encodeCrowdAnswers(answers, options, 'dawid-skene');
  const { K } = input;
  const r = confusionEm(input, resolved, fullConfusionMStep(resolved.smoothing));
  const { labels } = pickLabels(r.post, input.T, K);
  const keys = input.categories.keys;
  return {
    method: 'dawid-skene',
    categories: keys.slice(),
    tasks: input.tasks.map((task, t) => ({ task, label: keys[labels[t] as number] as string, posterior: Array.from(r.post.subarray(t * K, (t + 1) * K)) })),
    priors: Array.from(r.priors),
    annotators: input.annotators.map((annotator, w) => {
      const confusion = Array.from({ length: K }, (_, k) => Array.from(r.conf.subarray(w * K * K + k * K, w * K * K + (k + 1) * K)));
      let reliability = 0;
      for (let k = 0; k < K; k++) reliability += (r.priors[k] as number) * (confusion[k]?.[k] as number);
      return { annotator, answers: input.answered[w] as number, reliability, confusion };
    }),
    convergence: { iterations: r.iterations, converged: r.converged, stoppedBy: r.converged ? 'tolerance' : 'max-iterations', objective: r.objective },
    iterations: r.iterations,
    converged: r.converged,
    logLikelihood: r.logLikelihood,
  };
}
