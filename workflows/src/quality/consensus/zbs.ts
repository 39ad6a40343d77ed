// Zero-Based Skill (Crowd-Kit's ZeroBasedSkill): skill-weighted majority vote with skills learnt by gradient steps.
import type { CategoricalAnswer } from '../labels.ts';
import { agreementWithLabels, crowdResult, encodeCrowdAnswers, integerOption, numberOption, pickLabels, voteShares, type CrowdInputOptions } from './crowd-input.ts';
import type { CrowdConsensusResult } from './method.ts';

/** Options for {@link zeroBasedSkill}; defaults are Crowd-Kit's. */
export interface ZbsOptions extends CrowdInputOptions {
  /** Maximum iterations (default 100, Crowd-Kit's `n_iter`). */
  maxIterations?: number;
  /** Initial learning rate, in (0, 1] so that skills stay in [0, 1] (default 1). */
  learningRate?: number;
  /** The learning rate is multiplied by `lrReduceFactor` at every iteration that is a multiple of this (default 20). */
  lrStepsToReduce?: number;
  /** Default 0.5. */
  lrReduceFactor?: number;
  /**
   * Stop once the labels are the same as in the previous iteration and every skill is within this of the
   * annotator's agreement with them (default 1e-10): the skills are then at their fixed point, so further
   * iterations could only move them by less than that. 0 runs all `maxIterations`, as Crowd-Kit always does; on
   * the 13 public crowd sets both give the same labels.
   */
  tolerance?: number;
  /** Starting skill of every annotator (default 1/K + 1e-5, Crowd-Kit's). */
  initialSkill?: number;
}

/**
 * ZBS: skills start at `initialSkill`; each iteration i (1-based) multiplies the learning rate by
 * `lrReduceFactor` when i is a multiple of `lrStepsToReduce`, takes the skill-weighted vote (ties → lowest) and
 * moves every skill by lr · (agreement with the vote − skill), agreement as in Wawa. The result is the weighted
 * vote with the final skills. `convergence.objective` is the largest |agreement − skill| at the last iteration.
 */
export function zeroBasedSkill(answers: readonly CategoricalAnswer[], options: ZbsOptions = {}): CrowdConsensusResult {
  const maxIterations = integerOption(options.maxIterations, 100, 'maxIterations', 1);
  let lr = numberOption(options.learningRate, 1, 'learningRate', 0, true, 1);
  const steps = integerOption(options.lrStepsToReduce, 20, 'lrStepsToReduce', 1);
  const factor = numberOption(options.lrReduceFactor, 0.5, 'lrReduceFactor', 0, true, 1);
  const tolerance = numberOption(options.tolerance, 1e-10, 'tolerance', 0);
  const input = encodeCrowdAnswers(answers, options, 'zbs');
  const { T, W, K } = input;
  const skills = new Float64Array(W).fill(numberOption(options.initialSkill, 1 / K + 1e-5, 'initialSkill', 0, true, 1));
  let previous: Int32Array | undefined;
  let iterations = 0;
  let converged = false;
  let gap = Number.NaN;
  for (let it = 1; it <= maxIterations; it++) {
    iterations = it;
    if (it % steps === 0) lr *= factor;
    const { labels } = pickLabels(voteShares(input, skills), T, K);
    const agreement = agreementWithLabels(input, labels);
    gap = 0;
    for (let w = 0; w < W; w++) {
      const delta = (agreement[w] as number) - (skills[w] as number);
      gap = Math.max(gap, Math.abs(delta));
      skills[w] = (skills[w] as number) + lr * delta;
    }
    if (previous && sameLabels(previous, labels) && gap < tolerance) {
      converged = true;
      break;
    }
    previous = labels;
  }
  const post = voteShares(input, skills);
  const { labels } = pickLabels(post, T, K);
  return crowdResult('zbs', input, post, labels, (w) => ({ reliability: skills[w] as number, skill: skills[w] as number }), {
    iterations,
    converged,
    stoppedBy: converged ? 'tolerance' : 'max-iterations',
    objective: gap,
  });
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
