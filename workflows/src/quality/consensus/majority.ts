// Majority vote over categorical answers with a declared, deterministic tie policy.
import { QualityInputError } from '../errors.ts';
import { encodeAnswers, type CategoricalAnswer, type DuplicatePolicy, type Label } from '../labels.ts';
import { createRng, hashString, type Seed } from '../random.ts';

/**
 * What to do when several categories share the top vote:
 * - `lowest`: the first tied category in category order (numeric if all labels are numbers) — the default;
 * - `random`: a seeded draw per task (seed + task id, so the result does not depend on input order);
 * - `unresolved`: no label (`null`); the task needs adjudication.
 */
export type TiePolicy = 'lowest' | 'random' | 'unresolved';

/** Options for {@link majorityVote}. */
export interface MajorityVoteOptions {
  tiePolicy?: TiePolicy;
  /** Required for `tiePolicy: 'random'`. */
  seed?: Seed;
  /** Declared categories (in order); labels outside them are rejected. */
  categories?: readonly Label[];
  /** Optional vote weight per annotator (default 1); weights must be finite and >= 0. */
  weights?: Readonly<Record<string, number>>;
  /** Repeated answers of one annotator on one task: separate votes (`count`, default) or an error. */
  duplicates?: DuplicatePolicy;
}

/** The consensus of one task. */
export interface TaskConsensus {
  task: string;
  /** Winning category key, or null when the tie policy is `unresolved` and the top vote is tied. */
  label: string | null;
  /** Share of (weighted) votes for each category, aligned with `categories`. */
  distribution: number[];
  /** Whether the top vote was tied. */
  tied: boolean;
  /** Number of answers on the task. */
  answers: number;
}

/** Result of a categorical consensus method. */
export interface CategoricalConsensus {
  categories: string[];
  tasks: TaskConsensus[];
}

/** Majority vote per task (plurality of possibly weighted votes) with the declared tie policy. */
export function majorityVote(answers: readonly CategoricalAnswer[], options: MajorityVoteOptions = {}): CategoricalConsensus {
  const tiePolicy = options.tiePolicy ?? 'lowest';
  if (tiePolicy !== 'lowest' && tiePolicy !== 'random' && tiePolicy !== 'unresolved') throw new QualityInputError('INVALID_ARGUMENT', `unknown tie policy '${String(tiePolicy)}'`);
  if (tiePolicy === 'random' && options.seed === undefined) throw new QualityInputError('INVALID_ARGUMENT', "tie policy 'random' needs a seed");
  if (answers.length === 0) throw new QualityInputError('EMPTY_INPUT', 'majority vote needs at least one answer');
  const enc = encodeAnswers(answers, options.categories, options.duplicates ?? 'count');
  const k = enc.categories.keys.length;
  const weightOf = new Float64Array(enc.annotators.length).fill(1);
  if (options.weights) {
    enc.annotators.forEach((a, i) => {
      const w = options.weights?.[a];
      if (w === undefined) return;
      if (!Number.isFinite(w) || w < 0) throw new QualityInputError('INVALID_NUMBER', `weight of annotator '${a}' must be a finite number >= 0, got ${w}`);
      weightOf[i] = w;
    });
  }
  const votes = new Float64Array(enc.tasks.length * k);
  const counts = new Int32Array(enc.tasks.length);
  for (let i = 0; i < enc.taskOf.length; i++) {
    const t = enc.taskOf[i] as number;
    votes[t * k + (enc.labelOf[i] as number)]! += weightOf[enc.annotatorOf[i] as number] as number;
    counts[t]! += 1;
  }
  const seedText = options.seed === undefined ? '' : String(options.seed);
  const tasks = enc.tasks.map((task, t): TaskConsensus => {
    const row = Array.from(votes.subarray(t * k, (t + 1) * k));
    const total = row.reduce((s, x) => s + x, 0);
    const top = Math.max(...row);
    const winners: number[] = [];
    row.forEach((v, c) => {
      if (v === top) winners.push(c);
    });
    const tied = winners.length > 1;
    let pick: number | null = winners[0] as number;
    if (tied && tiePolicy === 'random') pick = winners[createRng(hashString(`${seedText}\u0000${task}`)).int(winners.length)] as number;
    if (tied && tiePolicy === 'unresolved') pick = null;
    return {
      task,
      label: pick === null ? null : (enc.categories.keys[pick] as string),
      distribution: row.map((v) => (total > 0 ? v / total : 1 / k)),
      tied,
      answers: counts[t] as number,
    };
  });
  return { categories: enc.categories.keys, tasks };
}

/** Fast majority vote on pre-encoded answers (ties → lowest index); returns the label index per task. */
export function majorityVoteEncoded(nTasks: number, nClasses: number, taskOf: Int32Array, labelOf: Int32Array): Int32Array {
  const votes = new Int32Array(nTasks * nClasses);
  for (let i = 0; i < taskOf.length; i++) votes[(taskOf[i] as number) * nClasses + (labelOf[i] as number)]! += 1;
  const out = new Int32Array(nTasks);
  for (let t = 0; t < nTasks; t++) {
    let best = 0;
    let bestVotes = -1;
    for (let c = 0; c < nClasses; c++) {
      const v = votes[t * nClasses + c] as number;
      if (v > bestVotes) {
        bestVotes = v;
        best = c;
      }
    }
    out[t] = best;
  }
  return out;
}
