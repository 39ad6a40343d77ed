// Classification: one class per item (or several, when the campaign is multi-label), with attributes.
// Agreement: same class (single) or Jaccard of the class sets (multi-label); campaign-level kappa and
// alpha come from the metrics. Consensus: majority vote per class, ties to the lowest class key; for single-label
// campaigns, once the campaign's labels have fitted a Dawid-Skene model that knows every annotator of the task
// (at least MIN_CROWD_ANSWERS answers each), the class with the highest posterior given each annotator's
// estimated confusion matrix, so that a reliable annotator can outweigh two unreliable ones.
// Pre-labelling: the model's first output holds one logit per class, in schema order (any shape with that
// many values, e.g. [1, C]). Single-label: softmax, the most probable class, confidence = its probability.
// Multi-label: a sigmoid per class, every class with p >= 0.5, confidence = the mean over classes of
// max(p, 1 - p) (how sure the model is of each yes and each no).
import { z } from 'zod';
import { majorityVote } from '../../quality/index.ts';
import { attributes, classKey, className, consensusAttributes, sortKeys } from '../common.ts';
import { firstOutput, PrelabelMismatchError } from '../model-output.ts';
import type { AnnotationType, CrowdModel, LabelOf } from '../module.ts';

export interface ClassificationLabel {
  /** The class (single-label campaigns). */
  label?: string;
  /** The classes (multi-label campaigns), sorted and unique. */
  labels?: string[];
  attributes?: Record<string, boolean | number | string>;
}

const classesOf = (d: ClassificationLabel): string[] => d.labels ?? (d.label === undefined ? [] : [d.label]);

export const classification: AnnotationType<ClassificationLabel> = {
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
  consensus(labels, { schema, crowd }) {
    const order = schema.classes.map((c) => c.key);
    const attrs = consensusAttributes(labels.map((l) => l.data.attributes ?? {}));
    if (schema.multiLabel) {
      // A class is in the consensus when more than half of the annotators chose it.
      const chosen = order.filter((k) => labels.filter((l) => (l.data.labels ?? []).includes(k)).length * 2 > labels.length);
      return { data: { labels: chosen.sort(), ...(attrs ? { attributes: attrs } : {}) }, method: 'per-class-majority' };
    }
    const posterior = crowd ? crowdPosterior(crowd, labels) : null;
    if (posterior) return { data: { label: posterior, ...(attrs ? { attributes: attrs } : {}) }, method: 'dawid-skene' };
    const vote = majorityVote(
      labels.map((l) => ({ task: 't', annotator: l.annotator, label: l.data.label ?? '' })),
      { tiePolicy: 'lowest' },
    );
    return { data: { label: vote.tasks[0]!.label ?? '', ...(attrs ? { attributes: attrs } : {}) }, method: 'majority-vote' };
  },
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

/** Answers an annotator needs in the crowd model before their confusion matrix is trusted for a consensus. */
export const MIN_CROWD_ANSWERS = 10;

/**
 * The most probable class of one task under the crowd model (prior x the product of each annotator's
 * P(their label | class)), ties to the class listed first; null when an annotator or a label is unknown to it.
 */
function crowdPosterior(crowd: CrowdModel, labels: ReadonlyArray<LabelOf<ClassificationLabel>>): string | null {
  const index = new Map(crowd.categories.map((c, i) => [c, i]));
  const rows = labels.map((l) => ({ model: crowd.annotators.get(l.annotator), given: index.get(l.data.label ?? '') }));
  if (rows.some((r) => !r.model || r.model.answers < MIN_CROWD_ANSWERS || r.given === undefined)) return null;
  let best = -1;
  let bestLog = -Infinity;
  crowd.categories.forEach((_, k) => {
    let log = Math.log(crowd.priors[k] ?? 0);
    for (const r of rows) log += Math.log(r.model!.confusion[k]?.[r.given!] ?? 0);
    if (log > bestLog + 1e-12) {
      bestLog = log;
      best = k;
    }
  });
  return best < 0 ? null : crowd.categories[best]!;
}
