// A campaign's consensus method: which methods each annotation type offers (categorical labels get every
// truth-inference method of the quality engine), how a campaign's choice is checked against its type, and how a
// task's categorical consensus reads a crowd model fitted with the chosen method (lifecycle/crowd.ts fits it).
import type { ConsensusSetting, LabelSchema } from '../domain/label-schema.ts';
import { CONSENSUS_METHODS, QualityInputError, runConsensusMethod, type CrowdMethodName, type MethodOptionDoc } from '../quality/index.ts';
import type { ConsensusChoice, ConsensusMethods, CrowdModel } from './module.ts';

/** Tasks with two or more labels a campaign needs before a fitted model decides its categorical consensus. */
export const MIN_CROWD_TASKS = 30;
/** Answers an annotator needs in the crowd model before their estimate weighs a task the model did not see. */
export const MIN_CROWD_ANSWERS = 10;
/** Reliabilities are clipped to [RELIABILITY_CLIP, 1 − RELIABILITY_CLIP] before they become vote weights. */
export const RELIABILITY_CLIP = 0.01;
/** Scores within this of the best are a tie (sums of the same logs in another order differ by a few ulps). */
const TIE = 1e-9;

/** The id of the categorical default: majority vote until the campaign has enough labels, then Dawid-Skene. */
export const AUTO = 'auto';

const DESCRIPTIONS: Record<CrowdMethodName, { title: string; description: string }> = {
  majority: { title: 'Majority vote', description: 'The class most annotators chose; a tie goes to the class whose key sorts first.' },
  wawa: { title: 'Agreement-weighted vote (Wawa)', description: 'Each vote counts by how often its annotator agrees with the majority over the whole campaign.' },
  zbs: { title: 'Skill-weighted vote (Zero-Based Skill)', description: 'Each vote counts by a skill learnt step by step from agreement with the weighted vote.' },
  'one-coin': {
    title: 'One-coin Dawid-Skene',
    description: "One accuracy per annotator, learnt from all the campaign's labels; their mistakes are spread evenly over the other classes.",
  },
  'dawid-skene': {
    title: 'Dawid-Skene',
    description:
      "A confusion matrix per annotator (which class they give for each true class), learnt from all the campaign's labels: a reliable annotator can outweigh two unreliable ones.",
  },
  glad: {
    title: 'GLAD (ability and task difficulty)',
    description: "Learns each annotator's ability and each task's difficulty together; hard tasks count less against an annotator.",
  },
  mace: {
    title: 'MACE (competence and guessing)',
    description: 'Learns how often each annotator knows the answer rather than guessing; guesses, and annotators who mostly guess, count for little.',
  },
  kos: { title: 'KOS (two classes only)', description: 'Messages passed between tasks and annotators until they settle; for yes/no questions.' },
  mmsr: {
    title: 'M-MSR (robust skill estimate)',
    description: 'Annotator skills from how their agreement with each other fits one low-rank pattern, robust to a few adversarial annotators; then a skill-weighted vote.',
  },
};

/** The method's documented options, without the seed (a campaign sets it once, beside `minTasks`). */
function optionsOf(method: CrowdMethodName): readonly MethodOptionDoc[] {
  return (CONSENSUS_METHODS.find((m) => m.name === method)?.options ?? []).filter((o) => o.name !== 'seed');
}

function crowdChoice(method: CrowdMethodName): ConsensusChoice {
  return { id: method, ...DESCRIPTIONS[method], crowd: method, options: method === 'majority' ? [] : optionsOf(method) };
}

/**
 * The consensus methods of single-label classification: 'auto' (the default), majority vote, and every
 * categorical truth-inference method of the quality engine (KOS only when the schema has exactly two classes).
 * A schema with one class has nothing to infer: majority vote only.
 */
export function categoricalConsensusMethods(schema: LabelSchema): ConsensusMethods {
  const k = schema.classes.length;
  const auto: ConsensusChoice = {
    id: AUTO,
    title: 'Automatic (majority vote, then Dawid-Skene)',
    description: `Majority vote until the campaign has enough tasks with two or more labels (${MIN_CROWD_TASKS} unless set), then Dawid-Skene: a confusion matrix per annotator, learnt from all the campaign's labels, weighs each vote.`,
    crowd: 'dawid-skene',
    options: optionsOf('dawid-skene'),
  };
  if (k < 2) return { default: AUTO, choices: [{ ...auto, crowd: 'majority', options: [] }, crowdChoice('majority')] };
  const methods: CrowdMethodName[] = ['majority', 'wawa', 'zbs', 'one-coin', 'dawid-skene', 'glad', 'mace', ...(k === 2 ? (['kos'] as const) : []), 'mmsr'];
  return { default: AUTO, choices: [auto, ...methods.map(crowdChoice)] };
}

/** The methods of a type that has one way to form a consensus. */
export function onlyMethod(id: string, title: string, description: string): ConsensusMethods {
  return { default: id, choices: [{ id, title, description }] };
}

/** A campaign's consensus setting, checked against its type and completed with the defaults. */
export interface CampaignConsensus {
  /** The configured method id (the type's default when the campaign set none). */
  method: string;
  choice: ConsensusChoice;
  /** Tasks with two or more labels before a fitted model decides (methods fitted on the campaign's labels). */
  minTasks: number;
  seed?: string | number;
  /** The method's own options as configured. */
  options: Record<string, unknown>;
}

export type ConsensusResolution = { ok: true; value: CampaignConsensus } | { ok: false; problems: string[] };

/** Where a campaign's consensus setting lives, for messages that name the field. */
export const CONSENSUS_FIELD = 'qaSettings.consensus';

/**
 * Checks a campaign's consensus setting against the methods its annotation type offers: the method must be one
 * of them, `minTasks`, `seed` and `options` only where the method fits a model, and the options must be the
 * method's own with values it accepts (tried on a small synthetic set with the campaign's classes). Every
 * problem names its field and, for an unknown method, the methods allowed.
 */
export function resolveConsensus(schema: LabelSchema, methods: ConsensusMethods, setting: ConsensusSetting | undefined): ConsensusResolution {
  const id = setting?.method ?? methods.default;
  const choice = methods.choices.find((c) => c.id === id);
  if (!choice) {
    const allowed = methods.choices.map((c) => c.id).join(', ');
    const why = id === 'kos' && schema.geometry === 'classification' ? ` (KOS takes exactly two classes; this schema has ${schema.classes.length})` : '';
    return { ok: false, problems: [`${CONSENSUS_FIELD}.method: '${id}' is not a consensus method for ${schema.geometry} labels of this schema${why}; choose one of ${allowed}`] };
  }
  const problems: string[] = [];
  const fits = choice.crowd !== undefined && choice.crowd !== 'majority';
  if (!fits) {
    for (const key of ['minTasks', 'seed', 'options'] as const)
      if (setting?.[key] !== undefined) problems.push(`${CONSENSUS_FIELD}.${key}: '${id}' fits no model on the campaign's labels, so it takes no ${key}`);
    if (problems.length) return { ok: false, problems };
    return { ok: true, value: { method: id, choice, minTasks: MIN_CROWD_TASKS, options: {} } };
  }
  const options = { ...(setting?.options ?? {}) };
  const known = new Set((choice.options ?? []).map((o) => o.name));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      problems.push(
        `${CONSENSUS_FIELD}.options.${key}: ${choice.title} has no option '${key}'${known.size ? `; its options are ${[...known].join(', ')}` : ' (it takes none)'}${key === 'seed' ? ` (set ${CONSENSUS_FIELD}.seed instead)` : ''}`,
      );
    }
  }
  if (problems.length) return { ok: false, problems };
  const value: CampaignConsensus = { method: id, choice, minTasks: setting?.minTasks ?? MIN_CROWD_TASKS, options, ...(setting?.seed !== undefined ? { seed: setting.seed } : {}) };
  // Option values are the method's business: let it refuse them on a tiny set with the campaign's classes.
  const categories = schema.classes.map((c) => c.key);
  const sample = categories.flatMap((label, t) => ['x', 'y'].map((annotator) => ({ task: `t${t}`, annotator, label })));
  try {
    runConsensusMethod(choice.crowd!, sample, crowdMethodOptions(value, categories) as never);
  } catch (error) {
    if (!(error instanceof QualityInputError)) throw error;
    return { ok: false, problems: [`${CONSENSUS_FIELD}.options: ${error.message}`] };
  }
  return { ok: true, value };
}

/** The options a fitted method runs with: the configured ones, the campaign's classes and its seed. */
export function crowdMethodOptions(consensus: CampaignConsensus, categories: readonly string[]): Record<string, unknown> {
  return { ...consensus.options, categories, ...(consensus.seed !== undefined ? { seed: consensus.seed } : {}) };
}

/**
 * The categorical method the campaign's consensus uses now: the choice's fitted method once the campaign has
 * `minTasks` tasks with two or more labels, majority vote before (and for 'majority'); null when the choice
 * fits no model (boxes, masks ...).
 */
export function effectiveCrowdMethod(consensus: CampaignConsensus, tasksWithLabels: number): CrowdMethodName | null {
  const crowd = consensus.choice.crowd;
  if (crowd === undefined) return null;
  return crowd === 'majority' || tasksWithLabels < consensus.minTasks ? 'majority' : crowd;
}

/** The labels a model saw on a task, as one comparable string (annotator and label pairs, sorted). */
export function seenLabels(labels: ReadonlyArray<{ annotator: string; label: string }>): string {
  return labels
    .map((l) => `${l.annotator}\u001f${l.label}`)
    .sort()
    .join('\u001e');
}

/**
 * The consensus of one task's categorical labels under a crowd model, and the method that formed it:
 * - the model's own consensus when it was fitted on exactly these labels of this task (`model.method`);
 * - otherwise, when every annotator has at least MIN_CROWD_ANSWERS answers in the model: Dawid-Skene's posterior
 *   (prior × each annotator's confusion row) for a Dawid-Skene model ('dawid-skene'), else a vote weighted by each
 *   annotator's reliability r as the one-coin posterior does, log((K − 1) r / (1 − r)) with r clipped to
 *   [0.01, 0.99] (`<method>-weighted-vote`);
 * - null when an annotator or a label is unknown to the model: the caller takes a majority vote.
 * Ties go to the class listed first.
 */
export function crowdConsensus(model: CrowdModel, task: string | undefined, labels: ReadonlyArray<{ annotator: string; label: string }>): { label: string; method: string } | null {
  const fitted = task === undefined ? undefined : model.tasks.get(task);
  if (fitted && fitted.seen === seenLabels(labels)) return { label: fitted.label, method: model.method };
  const index = new Map(model.categories.map((c, i) => [c, i]));
  const rows = labels.map((l) => ({ annotator: model.annotators.get(l.annotator), given: index.get(l.label) }));
  if (rows.length === 0 || rows.some((r) => !r.annotator || r.annotator.answers < MIN_CROWD_ANSWERS || r.given === undefined)) return null;
  const K = model.categories.length;
  const score = new Array<number>(K).fill(0);
  if (model.method === 'dawid-skene' && rows.every((r) => r.annotator!.confusion)) {
    for (let k = 0; k < K; k++) {
      score[k] = Math.log(model.priors[k] ?? 0);
      for (const r of rows) score[k]! += Math.log(r.annotator!.confusion![k]?.[r.given!] ?? 0);
    }
    const best = pick(score);
    return best === null ? null : { label: model.categories[best]!, method: 'dawid-skene' };
  }
  for (const r of rows) {
    const p = Math.min(1 - RELIABILITY_CLIP, Math.max(RELIABILITY_CLIP, r.annotator!.reliability));
    score[r.given!]! += Math.log(((K - 1) * p) / (1 - p));
  }
  const best = pick(score);
  return best === null ? null : { label: model.categories[best]!, method: `${model.method}-weighted-vote` };
}

/** The index of the largest finite score, ties to the lowest; null when none is finite. */
function pick(score: readonly number[]): number | null {
  let max = -Infinity;
  for (const s of score) if (s > max) max = s;
  if (!Number.isFinite(max)) return null;
  const best = score.findIndex((s) => s >= max - TIE);
  return best < 0 ? null : best;
}
