// Dawid & Skene (1979) EM: class priors and one confusion matrix per annotator, initialised from majority vote.
import { assertInteger, QualityInputError } from '../errors.ts';
import { encodeAnswers, type CategoricalAnswer, type DuplicatePolicy, type Label } from '../labels.ts';

/** Options for Dawid-Skene. */
export interface DawidSkeneOptions {
  /** Maximum EM iterations (default 100). */
  maxIterations?: number;
  /** Stop when the mean log-likelihood per answer changes by less than this (default 1e-7). */
  tolerance?: number;
  /**
   * Pseudo-count added to every cell of every confusion-matrix row before normalising (default 1e-6, the
   * role of Crowd-Kit's epsilon clip): keeps unseen annotator/class combinations away from probability 0.
   * Larger values (e.g. 0.01–1) regularise annotators with few answers; on the public crowd benchmarks the
   * near-zero default was the most accurate overall, so it is not tuned per dataset.
   */
  smoothing?: number;
  /** Declared categories (in order); labels outside them are rejected. */
  categories?: readonly Label[];
  /** Repeated answers of one annotator on one task: separate answers (`count`, default) or an error. */
  duplicates?: DuplicatePolicy;
}

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
  /** nTasks × nClasses posterior probabilities of the true class. */
  posteriors: Float64Array;
  /** Argmax of the posterior per task (ties → lowest class index). */
  labels: Int32Array;
  priors: Float64Array;
  /** nWorkers × nClasses(true) × nClasses(given): P(gives l | true k). */
  confusion: Float64Array;
  iterations: number;
  converged: boolean;
  /** Final mean log-likelihood per answer. */
  logLikelihood: number;
}

/**
 * Dawid-Skene EM on dense typed arrays (the fast path used by {@link dawidSkene} and the benchmark).
 * Initialisation: per-task vote shares (soft majority vote). M-step: priors = mean posterior; confusion rows
 * = smoothed expected counts. E-step: posteriors ∝ prior · Π confusion. Converges on the log-likelihood.
 */
export function dawidSkeneEncoded(input: DawidSkeneEncodedInput, options: Omit<DawidSkeneOptions, 'categories' | 'duplicates'> = {}): DawidSkeneEncodedResult {
  const { nTasks, nWorkers, nClasses: K, taskOf, workerOf, labelOf } = input;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-7;
  const smoothing = options.smoothing ?? 1e-6;
  assertInteger(maxIterations, 'maxIterations', 1);
  if (!(tolerance >= 0) || !(smoothing >= 0)) throw new QualityInputError('INVALID_ARGUMENT', 'tolerance and smoothing must be >= 0');
  const n = taskOf.length;
  if (workerOf.length !== n || labelOf.length !== n) throw new QualityInputError('LENGTH_MISMATCH', 'taskOf, workerOf and labelOf must have the same length');
  if (n === 0 || nTasks === 0 || K === 0) throw new QualityInputError('EMPTY_INPUT', 'Dawid-Skene needs at least one answer');
  for (let i = 0; i < n; i++) {
    const t = taskOf[i] as number;
    const w = workerOf[i] as number;
    const l = labelOf[i] as number;
    if (t < 0 || t >= nTasks || w < 0 || w >= nWorkers || l < 0 || l >= K) throw new QualityInputError('INVALID_ARGUMENT', `answer ${i} has an index out of range`);
  }
  const post = new Float64Array(nTasks * K);
  for (let i = 0; i < n; i++) post[(taskOf[i] as number) * K + (labelOf[i] as number)]! += 1;
  normaliseRows(post, nTasks, K);
  const priors = new Float64Array(K);
  const confusion = new Float64Array(nWorkers * K * K);
  const logConf = new Float64Array(nWorkers * K * K);
  const logPrior = new Float64Array(K);
  let previous = -Infinity;
  let logLikelihood = -Infinity;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // M-step.
    priors.fill(0);
    for (let t = 0; t < nTasks; t++) for (let k = 0; k < K; k++) priors[k]! += post[t * K + k] as number;
    for (let k = 0; k < K; k++) {
      priors[k] = (priors[k] as number) / nTasks;
      logPrior[k] = Math.log(Math.max(priors[k] as number, 1e-300));
    }
    confusion.fill(smoothing);
    for (let i = 0; i < n; i++) {
      const tb = (taskOf[i] as number) * K;
      const cb = (workerOf[i] as number) * K * K + (labelOf[i] as number);
      for (let k = 0; k < K; k++) confusion[cb + k * K]! += post[tb + k] as number;
    }
    normaliseRows(confusion, nWorkers * K, K);
    for (let j = 0; j < confusion.length; j++) logConf[j] = Math.log(Math.max(confusion[j] as number, 1e-300));
    // E-step.
    for (let t = 0; t < nTasks; t++) for (let k = 0; k < K; k++) post[t * K + k] = logPrior[k] as number;
    for (let i = 0; i < n; i++) {
      const tb = (taskOf[i] as number) * K;
      const cb = (workerOf[i] as number) * K * K + (labelOf[i] as number);
      for (let k = 0; k < K; k++) post[tb + k]! += logConf[cb + k * K] as number;
    }
    let total = 0;
    for (let t = 0; t < nTasks; t++) {
      const b = t * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) if ((post[b + k] as number) > max) max = post[b + k] as number;
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp((post[b + k] as number) - max);
        post[b + k] = e;
        sum += e;
      }
      for (let k = 0; k < K; k++) post[b + k] = (post[b + k] as number) / sum;
      total += max + Math.log(sum);
    }
    logLikelihood = total / n;
    if (Math.abs(logLikelihood - previous) < tolerance) {
      converged = true;
      break;
    }
    previous = logLikelihood;
  }
  const labels = new Int32Array(nTasks);
  for (let t = 0; t < nTasks; t++) {
    let best = 0;
    for (let k = 1; k < K; k++) if ((post[t * K + k] as number) > (post[t * K + best] as number)) best = k;
    labels[t] = best;
  }
  return { posteriors: post, labels, priors, confusion, iterations, converged, logLikelihood };
}

function normaliseRows(a: Float64Array, rows: number, width: number): void {
  for (let r = 0; r < rows; r++) {
    const b = r * width;
    let sum = 0;
    for (let c = 0; c < width; c++) sum += a[b + c] as number;
    if (sum > 0) for (let c = 0; c < width; c++) a[b + c] = (a[b + c] as number) / sum;
    else for (let c = 0; c < width; c++) a[b + c] = 1 / width;
  }
}

/** Per-annotator output of Dawid-Skene. */
export interface DawidSkeneAnnotator {
  annotator: string;
  /** confusion[k][l] = P(annotator gives category l | true category k). */
  confusion: number[][];
  /** Probability that the annotator's label is correct: Σ_k prior_k · confusion[k][k], in [0, 1]. */
  reliability: number;
  answers: number;
}

/** Result of {@link dawidSkene}. */
export interface DawidSkeneResult {
  categories: string[];
  tasks: Array<{ task: string; label: string; posterior: number[] }>;
  priors: number[];
  annotators: DawidSkeneAnnotator[];
  iterations: number;
  converged: boolean;
  logLikelihood: number;
}

/** Dawid-Skene consensus over answer records, with per-task posteriors and per-annotator reliability. */
export function dawidSkene(answers: readonly CategoricalAnswer[], options: DawidSkeneOptions = {}): DawidSkeneResult {
  if (answers.length === 0) throw new QualityInputError('EMPTY_INPUT', 'Dawid-Skene needs at least one answer');
  const enc = encodeAnswers(answers, options.categories, options.duplicates ?? 'count');
  const K = enc.categories.keys.length;
  const r = dawidSkeneEncoded(
    { nTasks: enc.tasks.length, nWorkers: enc.annotators.length, nClasses: K, taskOf: enc.taskOf, workerOf: enc.annotatorOf, labelOf: enc.labelOf },
    options,
  );
  const answered = new Int32Array(enc.annotators.length);
  for (let i = 0; i < enc.annotatorOf.length; i++) answered[enc.annotatorOf[i] as number]! += 1;
  return {
    categories: enc.categories.keys,
    tasks: enc.tasks.map((task, t) => ({ task, label: enc.categories.keys[r.labels[t] as number] as string, posterior: Array.from(r.posteriors.subarray(t * K, (t + 1) * K)) })),
    priors: Array.from(r.priors),
    annotators: enc.annotators.map((annotator, w) => {
      const confusion = Array.from({ length: K }, (_, k) => Array.from(r.confusion.subarray(w * K * K + k * K, w * K * K + (k + 1) * K)));
      let reliability = 0;
      for (let k = 0; k < K; k++) reliability += (r.priors[k] as number) * (confusion[k]?.[k] as number);
      return { annotator, confusion, reliability, answers: answered[w] as number };
    }),
    iterations: r.iterations,
    converged: r.converged,
    logLikelihood: r.logLikelihood,
  };
}
