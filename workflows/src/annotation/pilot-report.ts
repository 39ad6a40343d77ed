// The agreement report of a pilot batch: how well each pair of annotators agrees (the type's pairwise agreement),
// how often annotators agree per class, and which classes they confuse, from the submitted labels alone. Pure.
import type { AnnotationContext, AnnotationType } from './module.ts';

/** One task of the batch: its context for the module and each annotator's parsed, submitted label. */
export interface PilotTask {
  taskId: string;
  ctx: AnnotationContext;
  labels: ReadonlyArray<{ annotator: string; data: unknown }>;
}

export interface PilotPair {
  /** Annotator ids, a < b. */
  a: string;
  b: string;
  /** Tasks both labelled. */
  tasks: number;
  /** Mean of the type's pairwise agreement over those tasks. */
  meanAgreement: number;
  metric: string;
}

export interface PilotClass {
  key: string;
  /** Pairs of labels of one task where at least one annotator gave this class. */
  pairs: number;
  /** Of those, pairs where both gave it. */
  agreed: number;
  /** agreed / pairs; null when no pair gave the class. */
  rate: number | null;
}

export interface PilotConfusion {
  /** Class keys, a < b in schema order ('(none)' when a label named no class). */
  a: string;
  b: string;
  count: number;
  /** Up to 3 task ids where one annotator gave a and the other b. */
  exampleTaskIds: string[];
}

export interface PilotReport {
  tasks: number;
  /** How each label's class was read: 'classes' (the type's classes of a label) or 'none' (the type names none). */
  classSource: 'classes' | 'none';
  pairs: PilotPair[];
  classes: PilotClass[];
  confusions: PilotConfusion[];
}

export const NO_CLASS = '(none)';
const EXAMPLES = 3;

/**
 * A label's class for the per-class figures: the class a classification names, else the majority class of its
 * objects (ties: the class first in the schema), NO_CLASS for an empty label.
 */
export function labelClass(type: AnnotationType, data: unknown, order: readonly string[]): string {
  const classes = type.classesOf?.(data) ?? [];
  if (classes.length === 0) return NO_CLASS;
  const counts = new Map<string, number>();
  for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1);
  const rank = (c: string) => (order.indexOf(c) < 0 ? order.length : order.indexOf(c));
  return [...counts.entries()].sort((x, y) => y[1] - x[1] || rank(x[0]) - rank(y[0]) || x[0].localeCompare(y[0]))[0]![0];
}

export function pilotReport(type: AnnotationType, classOrder: readonly string[], tasks: readonly PilotTask[]): PilotReport {
  const pairSums = new Map<string, { a: string; b: string; tasks: number; sum: number; metric: string }>();
  const classStats = new Map<string, { pairs: number; agreed: number }>(classOrder.map((k) => [k, { pairs: 0, agreed: 0 }]));
  const confusions = new Map<string, PilotConfusion>();
  const rank = (c: string) => (c === NO_CLASS ? Number.MAX_SAFE_INTEGER : classOrder.indexOf(c) < 0 ? classOrder.length : classOrder.indexOf(c));
  for (const task of tasks) {
    const labels = [...task.labels].sort((x, y) => x.annotator.localeCompare(y.annotator));
    const cls = labels.map((l) => labelClass(type, l.data, classOrder));
    for (let i = 0; i < labels.length; i++)
      for (let j = i + 1; j < labels.length; j++) {
        const x = labels[i]!;
        const y = labels[j]!;
        if (x.annotator === y.annotator) continue;
        const agreement = type.agreement(x.data, y.data, task.ctx);
        const key = `${x.annotator}|${y.annotator}`;
        const sum = pairSums.get(key) ?? { a: x.annotator, b: y.annotator, tasks: 0, sum: 0, metric: agreement.metric };
        sum.tasks += 1;
        sum.sum += agreement.value;
        pairSums.set(key, sum);
        const [ca, cb] = [cls[i]!, cls[j]!];
        for (const c of new Set([ca, cb])) {
          if (c === NO_CLASS) continue;
          const s = classStats.get(c) ?? { pairs: 0, agreed: 0 };
          s.pairs += 1;
          if (ca === cb) s.agreed += 1;
          classStats.set(c, s);
        }
        if (ca !== cb) {
          const [p, q] = rank(ca) < rank(cb) || (rank(ca) === rank(cb) && ca < cb) ? [ca, cb] : [cb, ca];
          const ck = `${p}|${q}`;
          const conf = confusions.get(ck) ?? { a: p, b: q, count: 0, exampleTaskIds: [] };
          conf.count += 1;
          if (conf.exampleTaskIds.length < EXAMPLES && !conf.exampleTaskIds.includes(task.taskId)) conf.exampleTaskIds.push(task.taskId);
          confusions.set(ck, conf);
        }
      }
  }
  return {
    tasks: tasks.length,
    classSource: type.classesOf ? 'classes' : 'none',
    pairs: [...pairSums.values()]
      .map((p) => ({ a: p.a, b: p.b, tasks: p.tasks, meanAgreement: p.sum / p.tasks, metric: p.metric }))
      .sort((x, y) => x.a.localeCompare(y.a) || x.b.localeCompare(y.b)),
    classes: [...classStats.entries()].map(([key, s]) => ({ key, pairs: s.pairs, agreed: s.agreed, rate: s.pairs === 0 ? null : s.agreed / s.pairs })),
    confusions: [...confusions.values()].sort((x, y) => y.count - x.count || rank(x.a) - rank(y.a) || rank(x.b) - rank(y.b)),
  };
}
