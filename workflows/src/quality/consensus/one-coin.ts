// One-coin Dawid-Skene (Zhang, Chen, Zhou & Jordan 2016; Crowd-Kit's OneCoinDawidSkene): one skill per annotator.
import type { CategoricalAnswer } from '../labels.ts';
import { encodeCrowdAnswers, pickLabels, type CrowdInputOptions } from './crowd-input.ts';
import { confusionEm, FLOOR, resolveDawidSkeneOptions, type DawidSkeneInit, type DawidSkeneStop } from './dawid-skene.ts';
import type { CrowdConsensusResult } from './method.ts';

/**
 * Options for {@link oneCoinDawidSkene}. The model: an annotator with skill s gives the true category with
 * probability s and each other category with probability (1 − s)/(K − 1). Defaults are Crowd-Kit's
 * (`elbo` stop, tolerance 1e-5, 100 iterations, vote-share initialisation); the stopping rules and
 * initialisations are those of Dawid-Skene.
 */
export interface OneCoinOptions extends CrowdInputOptions {
  maxIterations?: number;
  tolerance?: number;
  stop?: DawidSkeneStop;
  init?: DawidSkeneInit;
}

/** Result of {@link oneCoinDawidSkene}: annotators' `reliability` and `skill` are the estimated skill s. */
export interface OneCoinResult extends CrowdConsensusResult {
  method: 'one-coin';
  priors: number[];
}

/**
 * One-coin Dawid-Skene EM, as Crowd-Kit: M-step skill = mean posterior of the label the annotator gave over
 * their answers; confusion entries clipped to [1e-10, 1 − 1e-10]; E-step and stopping rules as Dawid-Skene.
 */
export function oneCoinDawidSkene(answers: readonly CategoricalAnswer[], options: OneCoinOptions = {}): OneCoinResult {
  const { maxIterations, tolerance, stop, init } = resolveDawidSkeneOptions(options);
  const input = encodeCrowdAnswers(answers, options, 'one-coin');
  const { W, K, taskOf, annotatorOf, labelOf, answered } = input;
  const skills = new Float64Array(W);
  const r = confusionEm(input, { maxIterations, tolerance, stop, init }, (_data, post, conf) => {
    skills.fill(0);
    for (let i = 0; i < taskOf.length; i++) skills[annotatorOf[i] as number]! += post[(taskOf[i] as number) * K + (labelOf[i] as number)] as number;
    for (let w = 0; w < W; w++) {
      const s = (answered[w] as number) > 0 ? (skills[w] as number) / (answered[w] as number) : 1 / K;
      skills[w] = s;
      const on = Math.min(Math.max(s, FLOOR), 1 - FLOOR);
      const off = Math.min(Math.max((1 - s) / (K - 1), FLOOR), 1 - FLOOR);
      const b = w * K * K;
      for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) conf[b + k * K + l] = k === l ? on : off;
    }
  });
  const { labels } = pickLabels(r.post, input.T, K);
  const keys = input.categories.keys;
  return {
    method: 'one-coin',
    categories: keys.slice(),
    tasks: input.tasks.map((task, t) => ({ task, label: keys[labels[t] as number] as string, posterior: Array.from(r.post.subarray(t * K, (t + 1) * K)) })),
    annotators: input.annotators.map((annotator, w) => ({ annotator, answers: answered[w] as number, reliability: skills[w] as number, skill: skills[w] as number })),
    convergence: { iterations: r.iterations, converged: r.converged, stoppedBy: r.converged ? 'tolerance' : 'max-iterations', objective: r.objective },
    priors: Array.from(r.priors),
  };
}
