// Classification: one class per item (or several, when the campaign is multi-label), with attributes.
// Agreement: same class (single) or Jaccard of the class sets (multi-label); campaign-level kappa and
// alpha come from the metrics. Consensus (single-label): the campaign's method (annotation/consensus.ts). With
// 'majority', a majority vote, ties to the lowest class key; with a fitted method ('auto' = Dawid-Skene once
// the campaign has enough labels, or Wawa, ZBS, one-coin, Dawid-Skene, GLAD, MACE, KOS, M-MSR), the model's
// consensus of the task (or, for a task it did not see, its annotators' estimated reliability), so that a
// reliable annotator can outweigh two unreliable ones; a majority vote while the model is missing or does not
// know an annotator. Multi-label: a class is in when more than half of the annotators chose it.
// Pre-labelling: the model's first output holds one logit per class, in schema order (any shape with that
// many values, e.g. [1, C]). Single-label: softmax, the most probable class, confidence = its probability.
// Multi-label: a sigmoid per class, every class with p >= 0.5, confidence = the mean over classes of
// max(p, 1 - p) (how sure the model is of each yes and each no).
import { z } from 'zod';
import { majorityVote } from '../../quality/index.ts';
import { attributes, classKey, className, consensusAttributes, sortKeys } from '../common.ts';
import { categoricalConsensusMethods, crowdConsensus, onlyMethod } from '../consensus.ts';
import { firstOutput, PrelabelMismatchError } from '../model-output.ts';
import type { AnnotationType, ConsensusMethods } from '../module.ts';

export { MIN_CROWD_ANSWERS } from '../consensus.ts';

export interface ClassificationLabel {
  /** The class (single-label campaigns). */
  label?: string;
  /** The classes (multi-label campaigns), sorted and unique. */
  labels?: string[];
  attributes?: Record<string, boolean | number | string>;
}

const classesOf = (d: ClassificationLabel): string[] => d.labels ?? (d.label === undefined ? [] : [d.label]);

export const classification: AnnotationType<ClassificationLabel> = {
  classesOf,
  kind: 'classification',
  title: 'Classification',
  payload({ schema }) {
    const attrs = attributes(schema).optional();
    if (schema.multiLabel) {
      return z
        .strictObject({
          labels: z.array(classKey(schema)).max(schema.classes.length),
          attributes: attrs,
        })
        .superRefine((d, ctx) => {
          if (new Set(d.labels).size !== d.labels.length) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'a class is listed twice' });
        })
        .transform((d) => ({ labels: [...d.labels].sort(), ...(d.attributes ? { attributes: sortKeys(d.attributes) } : {}) }));
    }
    return z.strictObject({ label: classKey(schema), attributes: attrs }).transform((d) => ({ label: d.label, ...(d.attributes ? { attributes: sortKeys(d.attributes) } : {}) }));
  },
  agreement(a, b) {
    const x = new Set(classesOf(a));
    const y = new Set(classesOf(b));
    if (a.labels !== undefined || b.labels !== undefined) {
      const inter = [...x].filter((k) => y.has(k)).length;
      const union = new Set([...x, ...y]).size;
      return { value: union === 0 ? 1 : inter / union, metric: 'jaccard' };
    }
    return { value: a.label === b.label ? 1 : 0, metric: 'percent-agreement' };
  },
  consensus(labels, ctx) {
    const { schema, crowd } = ctx;
    const order = schema.classes.map((c) => c.key);
    const attrs = consensusAttributes(labels.map((l) => l.data.attributes ?? {}));
    if (schema.multiLabel) {
      // A class is in the consensus when more than half of the annotators chose it.
      const chosen = order.filter((k) => labels.filter((l) => (l.data.labels ?? []).includes(k)).length * 2 > labels.length);
      return { data: { labels: chosen.sort(), ...(attrs ? { attributes: attrs } : {}) }, method: 'per-class-majority' };
    }
    // The crowd model counts only when it is the one the campaign's method fits ('majority' never uses one).
    const methods = consensusMethodsOf(schema);
    const fits = methods.choices.find((c) => c.id === (ctx.consensusMethod ?? methods.default))?.crowd;
    const fromCrowd =
      crowd && fits !== undefined && fits !== 'majority' && crowd.method === fits
        ? crowdConsensus(
            crowd,
            ctx.task,
            labels.map((l) => ({ annotator: l.annotator, label: l.data.label ?? '' })),
          )
        : null;
    if (fromCrowd) return { data: { label: fromCrowd.label, ...(attrs ? { attributes: attrs } : {}) }, method: fromCrowd.method };
    const vote = majorityVote(
      labels.map((l) => ({ task: 't', annotator: l.annotator, label: l.data.label ?? '' })),
      { tiePolicy: 'lowest' },
    );
    return { data: { label: vote.tasks[0]!.label ?? '', ...(attrs ? { attributes: attrs } : {}) }, method: 'majority-vote' };
  },
  consensusMethods: consensusMethodsOf,
  summarize(data, schema) {
    const names = classesOf(data).map((k) => className(schema, k));
    return names.length ? names.join(', ') : 'no class';
  },
  objectCount: () => 1,
  prelabel: {
    describe: 'first output: one logit per class, in schema order',
    decode(outputs, { schema }) {
      const logits = Array.from(firstOutput(outputs).data);
      if (logits.length !== schema.classes.length)
        throw new PrelabelMismatchError(`the model outputs ${logits.length} scores but the label schema has ${schema.classes.length} classes`);
      if (!logits.every(Number.isFinite)) throw new PrelabelMismatchError('the model outputs a score that is not a finite number');
      if (schema.multiLabel) {
        const probs = logits.map((v) => 1 / (1 + Math.exp(-v)));
        const labels = schema.classes
          .filter((_, i) => probs[i]! >= 0.5)
          .map((c) => c.key)
          .sort();
        return { data: { labels }, confidence: probs.reduce((s, p) => s + Math.max(p, 1 - p), 0) / probs.length };
      }
      const probs = softmax(logits);
      const best = probs.indexOf(Math.max(...probs));
      return { data: { label: schema.classes[best]!.key }, confidence: probs[best]! };
    },
  },
};

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / sum);
}

function consensusMethodsOf(schema: Parameters<typeof categoricalConsensusMethods>[0]): ConsensusMethods {
  return schema.multiLabel
    ? onlyMethod('per-class-majority', 'Per-class majority', 'A class is in the consensus when more than half of the annotators chose it.')
    : categoricalConsensusMethods(schema);
}
