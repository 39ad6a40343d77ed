// Wawa, "worker agreement with aggregate" (Crowd-Kit's Wawa): majority vote weighted by agreement with majority vote.
import type { CategoricalAnswer } from '../labels.ts';
import { agreementWithLabels, CLOSED_FORM, crowdResult, encodeCrowdAnswers, pickLabels, voteShares, type CrowdInputOptions } from './crowd-input.ts';
import type { CrowdConsensusResult } from './method.ts';

/** Options for {@link wawa}: only the input options (the method has no parameters). */
export type WawaOptions = CrowdInputOptions;

/**
 * Wawa: (1) majority vote (ties → lowest category); (2) each annotator's skill = share of their distinct
 * (task, label) answers equal to it; (3) the skill-weighted vote. Posteriors are the weighted vote shares; a task
 * whose annotators all have skill 0 keeps its plain vote shares. Annotators' `reliability` = `skill`.
 */
export function wawa(answers: readonly CategoricalAnswer[], options: WawaOptions = {}): CrowdConsensusResult {
  const input = encodeCrowdAnswers(answers, options, 'wawa');
  const majority = pickLabels(voteShares(input), input.T, input.K).labels;
  const skills = agreementWithLabels(input, majority);
  const post = voteShares(input, skills);
  const { labels } = pickLabels(post, input.T, input.K);
  return crowdResult('wawa', input, post, labels, (w) => ({ reliability: skills[w] as number, skill: skills[w] as number }), { ...CLOSED_FORM });
}
