// The common shape of every categorical truth-inference method (majority vote, Wawa, ZBS, one-coin and full
// Dawid-Skene, GLAD, MACE, KOS, MMSR): what the CLI, the benchmark and the lifecycle read from any of them.
import type { Label } from '../labels.ts';

/** Why an iterative method stopped. */
export type StopReason = 'tolerance' | 'max-iterations' | 'closed-form';

/** How an iterative method ended; closed-form methods report `{ iterations: 1, converged: true, stoppedBy: 'closed-form' }`. */
export interface Convergence {
  iterations: number;
  converged: boolean;
  stoppedBy: StopReason;
  /** The quantity the stopping rule watched at the last iteration (e.g. ELBO, log-likelihood, max change), when there is one. */
  objective?: number;
}

/** Estimated reliability of one annotator, in the method's own terms. */
export interface AnnotatorReliability {
  annotator: string;
  /** Number of answers the annotator gave. */
  answers: number;
  /**
   * One number in [0, 1] comparable across methods: the estimated probability that this annotator's answer is
   * correct (Dawid-Skene: Σ prior·diagonal; one-coin/Wawa/ZBS: skill; MACE: competence; GLAD: mean P(correct)
   * over the annotator's tasks; KOS/MMSR: skill mapped to [0, 1] as documented by the method).
   */
  reliability: number;
  /** Full Dawid-Skene only: confusion[k][l] = P(gives l | true k). */
  confusion?: number[][];
  /** MACE: P(the annotator is not spamming). GLAD: the annotator's alpha. Method-specific raw skill otherwise. */
  skill?: number;
}

/** Per-task consensus of a categorical method. */
export interface MethodTaskResult {
  task: string;
  label: string;
  /** Posterior (or normalised score) per category, in `categories` order, summing to 1. */
  posterior: number[];
}

/** Result of any categorical truth-inference method. */
export interface CrowdConsensusResult {
  method: CrowdMethodName;
  categories: string[];
  tasks: MethodTaskResult[];
  annotators: AnnotatorReliability[];
  convergence: Convergence;
}

/** Every categorical method the engine offers, by the name the CLI, the API and exports use. */
export type CrowdMethodName = 'majority' | 'wawa' | 'zbs' | 'one-coin' | 'dawid-skene' | 'glad' | 'mace' | 'kos' | 'mmsr';

/** Options every method accepts (methods add their own). */
export interface CrowdMethodOptions {
  /** Declared categories (in order); labels outside them are rejected. */
  categories?: readonly Label[];
  /** Seed for methods with random initialisation (MACE restarts, MMSR); results are deterministic for a seed. */
  seed?: string | number;
}
