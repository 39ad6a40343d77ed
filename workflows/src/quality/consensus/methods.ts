// One registry over every categorical truth-inference method: run any of them by name, and list their options.
import { QualityInputError } from '../errors.ts';
import type { CategoricalAnswer } from '../labels.ts';
import { agreementWithLabels, CLOSED_FORM, crowdResult, encodeCrowdAnswers, pickLabels, voteShares, type CrowdInputOptions } from './crowd-input.ts';
import { DAWID_SKENE_DEFAULTS, DAWID_SKENE_INITS, DAWID_SKENE_STOPS, dawidSkene, type DawidSkeneOptions } from './dawid-skene.ts';
import { glad, type GladOptions } from './glad.ts';
import { kos, type KosOptions } from './kos.ts';
import { mace, type MaceOptions } from './mace.ts';
import { majorityVote } from './majority.ts';
import type { CrowdConsensusResult, CrowdMethodName } from './method.ts';
import { mmsr, type MmsrOptions } from './mmsr.ts';
import { oneCoinDawidSkene, type OneCoinOptions } from './one-coin.ts';
import { wawa, type WawaOptions } from './wawa.ts';
import { zeroBasedSkill, type ZbsOptions } from './zbs.ts';

/** Options of {@link majorityConsensus}. */
export interface MajorityConsensusOptions extends CrowdInputOptions {
  /** Ties: the lowest category (default) or a seeded draw per task (`random`, needs `seed`). */
  tiePolicy?: 'lowest' | 'random';
}

/**
 * Majority vote as a {@link CrowdConsensusResult}: posteriors are vote shares; each annotator's reliability is
 * the share of their distinct (task, label) answers that equal the consensus (Crowd-Kit's MajorityVote skills).
 */
export function majorityConsensus(answers: readonly CategoricalAnswer[], options: MajorityConsensusOptions = {}): CrowdConsensusResult {
  const tiePolicy = options.tiePolicy ?? 'lowest';
  if (tiePolicy !== 'lowest' && tiePolicy !== 'random') throw new QualityInputError('INVALID_ARGUMENT', `tiePolicy must be 'lowest' or 'random' here, got '${String(tiePolicy)}'`);
  const input = encodeCrowdAnswers(answers, options, 'majority');
  const shares = voteShares(input);
  // Vote counts are integers, so shares tie exactly or differ by at least 1/answers: the near-tie rule picks the lowest.
  let labels = pickLabels(shares, input.T, input.K).labels;
  if (tiePolicy === 'random') {
    const vote = majorityVote(answers, {
      tiePolicy,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      categories: input.categories.keys,
      duplicates: options.duplicates ?? 'count',
    });
    labels = Int32Array.from(vote.tasks, (t) => input.categories.index.get(t.label as string) as number);
  }
  const skills = agreementWithLabels(input, labels);
  return crowdResult('majority', input, shares, labels, (w) => ({ reliability: skills[w] as number }), { ...CLOSED_FORM });
}

/** Each method's own options type. */
export interface ConsensusOptionsByMethod {
  majority: MajorityConsensusOptions;
  wawa: WawaOptions;
  zbs: ZbsOptions;
  'one-coin': OneCoinOptions;
  'dawid-skene': DawidSkeneOptions;
  glad: GladOptions;
  mace: MaceOptions;
  kos: KosOptions;
  mmsr: MmsrOptions;
}

/** How an option's value is written (on the command line) and checked. */
export type MethodOptionType = 'integer' | 'number' | 'choice' | 'seed' | 'numbers';

/** One documented option of a method. */
export interface MethodOptionDoc {
  /** Property name in the options object (the CLI flag is its kebab-case form, e.g. `maxIterations` → `--max-iterations`). */
  name: string;
  type: MethodOptionType;
  choices?: readonly string[];
  /** The default, as text. */
  default: string;
  description: string;
}

/** A method and its documented options. */
export interface ConsensusMethodDoc {
  name: CrowdMethodName;
  title: string;
  /** Where the model comes from. */
  reference: string;
  options: readonly MethodOptionDoc[];
}

const ds = DAWID_SKENE_DEFAULTS;
/** 1e-5 rather than 0.00001. */
function numberText(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential() : String(x);
}
const stopOption: MethodOptionDoc = {
  name: 'stop',
  type: 'choice',
  choices: DAWID_SKENE_STOPS,
  default: ds.stop,
  description: "stopping rule: Crowd-Kit's ELBO rising by less than the tolerance, |change| of the log-likelihood per answer, or the largest posterior change",
};
const initOption: MethodOptionDoc = {
  name: 'init',
  type: 'choice',
  choices: DAWID_SKENE_INITS,
  default: ds.init,
  description: 'first posteriors: vote shares, all mass on the majority label, or Wawa-weighted vote shares',
};

/** Every categorical method with its options and defaults, in the order the CLI lists them. */
export const CONSENSUS_METHODS: readonly ConsensusMethodDoc[] = [
  {
    name: 'majority',
    title: 'Majority vote',
    reference: 'plurality vote; Crowd-Kit MajorityVote',
    options: [
      { name: 'tiePolicy', type: 'choice', choices: ['lowest', 'random'], default: 'lowest', description: 'tied top votes: lowest category, or a seeded draw per task' },
      { name: 'seed', type: 'seed', default: 'none', description: "seed of tiePolicy 'random' (required with it)" },
    ],
  },
  { name: 'wawa', title: 'Wawa (worker agreement with aggregate)', reference: 'Crowd-Kit Wawa', options: [] },
  {
    name: 'zbs',
    title: 'Zero-Based Skill',
    reference: 'Crowd-Kit ZeroBasedSkill',
    options: [
      { name: 'maxIterations', type: 'integer', default: '100', description: 'maximum iterations' },
      { name: 'tolerance', type: 'number', default: '1e-10', description: 'stop when the labels repeat and every skill is this close to its agreement (0 = all iterations)' },
      { name: 'learningRate', type: 'number', default: '1', description: 'initial learning rate, in (0, 1]' },
      { name: 'lrStepsToReduce', type: 'integer', default: '20', description: 'reduce the learning rate every this many iterations' },
      { name: 'lrReduceFactor', type: 'number', default: '0.5', description: 'factor of each reduction, in (0, 1]' },
      { name: 'initialSkill', type: 'number', default: '1/K + 1e-5', description: 'starting skill of every annotator, in (0, 1]' },
    ],
  },
  {
    name: 'one-coin',
    title: 'One-coin Dawid-Skene',
    reference: 'Zhang, Chen, Zhou & Jordan 2016; Crowd-Kit OneCoinDawidSkene',
    options: [
      { name: 'maxIterations', type: 'integer', default: '100', description: 'maximum EM iterations' },
      { name: 'tolerance', type: 'number', default: '1e-5', description: 'threshold of the stopping rule' },
      { ...stopOption, default: 'elbo' },
      { ...initOption, default: 'soft-majority' },
    ],
  },
  {
    name: 'dawid-skene',
    title: 'Dawid-Skene',
    reference: 'Dawid & Skene 1979; Crowd-Kit DawidSkene',
    options: [
      { name: 'maxIterations', type: 'integer', default: String(ds.maxIterations), description: 'maximum EM iterations' },
      { name: 'tolerance', type: 'number', default: numberText(ds.tolerance), description: 'threshold of the stopping rule' },
      stopOption,
      {
        name: 'smoothing',
        type: 'number',
        default: numberText(ds.smoothing),
        description: 'pseudo-count added to every confusion-matrix cell (used cells are also floored at 1e-10)',
      },
      initOption,
    ],
  },
  {
    name: 'glad',
    title: 'GLAD',
    reference: 'Whitehill et al. 2009; Crowd-Kit GLAD',
    options: [
      { name: 'maxIterations', type: 'integer', default: '100', description: 'maximum EM iterations' },
      { name: 'tolerance', type: 'number', default: '1e-5', description: 'stop when the mean log marginal posterior per answer rises by less than this' },
      { name: 'mStepIterations', type: 'integer', default: '10', description: 'gradient steps per M-step' },
      { name: 'mStepTolerance', type: 'number', default: '1e-2', description: 'end the M-step when every gradient coordinate is below this' },
      { name: 'learningRate', type: 'number', default: '1', description: 'first step length of each M-step gradient step' },
      { name: 'alphaPriorMean', type: 'number', default: '1', description: "prior mean of every annotator's ability" },
      { name: 'betaPriorMean', type: 'number', default: '1', description: "prior mean of every task's log inverse difficulty" },
      { name: 'classPriors', type: 'numbers', default: 'uniform', description: 'fixed class priors in category order (comma-separated on the command line)' },
    ],
  },
  {
    name: 'mace',
    title: 'MACE (multi-annotator competence estimation)',
    reference: 'Hovy et al. 2013; Crowd-Kit MACE',
    options: [
      { name: 'restarts', type: 'integer', default: '10', description: 'random restarts; the most likely one wins' },
      { name: 'maxIterations', type: 'integer', default: '50', description: 'EM iterations per restart' },
      {
        name: 'tolerance',
        type: 'number',
        default: '1e-6',
        description: 'stop a restart when the log-likelihood per answer changes by less than this (0 = all iterations, as Crowd-Kit)',
      },
      { name: 'inference', type: 'choice', choices: ['vb', 'em'], default: 'vb', description: 'M-step: variational Bayes with priors, or smoothed EM' },
      { name: 'alpha', type: 'number', default: '0.5', description: 'Beta prior pseudo-count on spamming (vb)' },
      { name: 'beta', type: 'number', default: '0.5', description: 'Beta prior pseudo-count on knowing (vb)' },
      { name: 'strategyPrior', type: 'number', default: '10', description: 'Dirichlet prior on each strategy (vb)' },
      { name: 'smoothing', type: 'number', default: '0.01/K', description: 'pseudo-count of the em M-step' },
      { name: 'defaultNoise', type: 'number', default: '0.5', description: 'spread of the random initial values' },
      { name: 'seed', type: 'seed', default: '0', description: "seed of the restarts' initial values" },
    ],
  },
  {
    name: 'kos',
    title: 'KOS (binary only)',
    reference: 'Karger, Oh & Shah 2011; Crowd-Kit KOS',
    options: [
      { name: 'maxIterations', type: 'integer', default: '100', description: 'maximum message-passing iterations' },
      { name: 'tolerance', type: 'number', default: '1e-9', description: 'stop when no normalised annotator message moves by more than this' },
      { name: 'seed', type: 'seed', default: '0', description: 'seed of the initial messages' },
    ],
  },
  {
    name: 'mmsr',
    title: 'M-MSR',
    reference: 'Ma & Olshevsky 2020; Crowd-Kit MMSR',
    options: [
      { name: 'maxIterations', type: 'integer', default: '10000', description: 'maximum iterations' },
      { name: 'tolerance', type: 'number', default: '1e-10', description: 'stop when the rank-one estimate changes by less than this' },
      { name: 'trim', type: 'integer', default: 'max(0, floor(d/2) - 1)', description: 'values dropped at each end of every trimmed mean' },
      { name: 'seed', type: 'seed', default: '0', description: 'seed of the initial vectors' },
    ],
  },
];

/** Options every method accepts in {@link runConsensusMethod}. */
const COMMON_OPTIONS = ['categories', 'duplicates', 'seed'] as const;

const RUNNERS: { [M in CrowdMethodName]: (answers: readonly CategoricalAnswer[], options: ConsensusOptionsByMethod[M]) => CrowdConsensusResult } = {
  majority: majorityConsensus,
  wawa,
  zbs: zeroBasedSkill,
  'one-coin': oneCoinDawidSkene,
  'dawid-skene': dawidSkene,
  glad,
  mace,
  kos,
  mmsr,
};

/** The names {@link runConsensusMethod} accepts. */
export const CONSENSUS_METHOD_NAMES: readonly CrowdMethodName[] = CONSENSUS_METHODS.map((m) => m.name);

/** Whether `name` is a method {@link runConsensusMethod} knows. */
export function isConsensusMethod(name: string): name is CrowdMethodName {
  return (CONSENSUS_METHOD_NAMES as readonly string[]).includes(name);
}

/**
 * Runs the categorical method `name` on `answers`. Unknown methods and options (other than `categories`,
 * `duplicates` and `seed`, which every method accepts; deterministic methods ignore `seed`) are rejected with
 * a {@link QualityInputError}, as are bad option values.
 */
export function runConsensusMethod<M extends CrowdMethodName>(name: M, answers: readonly CategoricalAnswer[], options?: ConsensusOptionsByMethod[M]): CrowdConsensusResult {
  if (typeof name !== 'string' || !isConsensusMethod(name)) {
    throw new QualityInputError('INVALID_ARGUMENT', `unknown consensus method '${String(name)}'; expected one of ${CONSENSUS_METHOD_NAMES.join(', ')}`);
  }
  const given: object = options ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) throw new QualityInputError('INVALID_ARGUMENT', `options of ${name} must be an object`);
  const doc = CONSENSUS_METHODS.find((m) => m.name === name) as ConsensusMethodDoc;
  const known = new Set<string>([...COMMON_OPTIONS, ...doc.options.map((o) => o.name)]);
  for (const key of Object.keys(given)) {
    if (!known.has(key)) throw new QualityInputError('INVALID_ARGUMENT', `${name} has no option '${key}'; its options are ${[...known].join(', ')}`);
  }
  const runner = RUNNERS[name] as (answers: readonly CategoricalAnswer[], options: object) => CrowdConsensusResult;
  return runner(answers, given);
}
