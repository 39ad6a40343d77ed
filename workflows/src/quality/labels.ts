// Category bookkeeping shared by agreement and consensus: labels are strings or numbers, ordered predictably.
import { QualityInputError } from './errors.ts';

/** A categorical label as annotators give it. */
export type Label = string | number;

/** One categorical answer: annotator `annotator` gave `label` to task `task`. */
export interface CategoricalAnswer {
  task: string;
  annotator: string;
  label: Label;
}

/** Key under which a label is compared: labels 1 and "1" are the same category. */
export function labelKey(label: Label): string {
  if (typeof label === 'number') {
    if (!Number.isFinite(label)) throw new QualityInputError('INVALID_NUMBER', `label must be finite, got ${label}`);
    return String(label);
  }
  if (typeof label !== 'string') throw new QualityInputError('INVALID_ARGUMENT', `label must be a string or number, got ${typeof label}`);
  return label;
}

/** Numeric value of a label key, or NaN when it is not a plain number. */
export function numericValue(key: string): number {
  const t = key.trim();
  return t === '' ? Number.NaN : Number(t);
}

/**
 * Default category order: numerically when every label is a number (so "10" follows "9"),
 * otherwise by UTF-16 code units. Ties to the "lowest category" use this order.
 */
export function sortCategoryKeys(keys: Iterable<string>): string[] {
  const list = [...new Set(keys)];
  if (list.every((k) => Number.isFinite(numericValue(k)))) return list.sort((a, b) => numericValue(a) - numericValue(b) || (a < b ? -1 : a > b ? 1 : 0));
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** An ordered category list with O(1) lookup of a key's index. */
export interface CategoryIndex {
  keys: string[];
  index: Map<string, number>;
}

/**
 * Builds the category index: from `categories` when given (their order is kept, unknown labels are rejected),
 * otherwise from the labels seen, in default order.
 */
export function buildCategoryIndex(seen: Iterable<string>, categories?: readonly Label[]): CategoryIndex {
  let keys: string[];
  if (categories) {
    keys = categories.map(labelKey);
    if (new Set(keys).size !== keys.length) throw new QualityInputError('INVALID_ARGUMENT', 'categories contain a duplicate');
    const known = new Set(keys);
    for (const k of seen) {
      if (!known.has(k)) throw new QualityInputError('UNKNOWN_CATEGORY', `label '${k}' is not one of the declared categories (${keys.join(', ')})`);
    }
  } else {
    keys = sortCategoryKeys(seen);
  }
  return { keys, index: new Map(keys.map((k, i) => [k, i])) };
}

/** Answers encoded to dense integer indices (tasks and annotators in first-seen order). */
export interface EncodedAnswers {
  tasks: string[];
  annotators: string[];
  categories: CategoryIndex;
  taskOf: Int32Array;
  annotatorOf: Int32Array;
  labelOf: Int32Array;
}

/**
 * What to do with several answers of one annotator on one task: `count` each as a separate vote (consensus
 * default, as Crowd-Kit does; real crowd data such as S_Rel contains such repeats) or `reject` them
 * (agreement default: reliability data has at most one value per annotator and unit).
 */
export type DuplicatePolicy = 'count' | 'reject';

/**
 * Validates and encodes answers. Rejects labels outside `categories` (when given), naming the annotator,
 * and repeated (task, annotator) pairs unless `duplicates` is `count`.
 */
export function encodeAnswers(answers: readonly CategoricalAnswer[], categories?: readonly Label[], duplicates: DuplicatePolicy = 'reject'): EncodedAnswers {
  if (!Array.isArray(answers)) throw new QualityInputError('INVALID_ARGUMENT', 'answers must be an array');
  const taskIdx = new Map<string, number>();
  const annIdx = new Map<string, number>();
  const tasks: string[] = [];
  const annotators: string[] = [];
  const n = answers.length;
  const taskOf = new Int32Array(n);
  const annotatorOf = new Int32Array(n);
  const keys: string[] = new Array<string>(n);
  const seenPairs = new Set<string>();
  for (let i = 0; i < n; i++) {
    const a = answers[i];
    if (!a || typeof a.task !== 'string' || typeof a.annotator !== 'string') {
      throw new QualityInputError('INVALID_ARGUMENT', `answer ${i} must have string 'task' and 'annotator'`);
    }
    let t = taskIdx.get(a.task);
    if (t === undefined) {
      t = tasks.length;
      taskIdx.set(a.task, t);
      tasks.push(a.task);
    }
    let w = annIdx.get(a.annotator);
    if (w === undefined) {
      w = annotators.length;
      annIdx.set(a.annotator, w);
      annotators.push(a.annotator);
    }
    if (duplicates === 'reject') {
      const pair = `${t}\u0000${w}`;
      if (seenPairs.has(pair)) {
        throw new QualityInputError('DUPLICATE_ANSWER', `annotator '${a.annotator}' answered task '${a.task}' more than once`);
      }
      seenPairs.add(pair);
    }
    taskOf[i] = t;
    annotatorOf[i] = w;
    keys[i] = labelKey(a.label);
  }
  let cats: CategoryIndex;
  if (categories) {
    cats = buildCategoryIndex([], categories);
    for (let i = 0; i < n; i++) {
      if (!cats.index.has(keys[i] as string)) {
        const a = answers[i] as CategoricalAnswer;
        throw new QualityInputError('UNKNOWN_CATEGORY', `annotator '${a.annotator}' gave label for unknown category '${keys[i]}' on task '${a.task}'`);
      }
    }
  } else {
    cats = buildCategoryIndex(keys);
  }
  const labelOf = new Int32Array(n);
  for (let i = 0; i < n; i++) labelOf[i] = cats.index.get(keys[i] as string) as number;
  return { tasks, annotators, categories: cats, taskOf, annotatorOf, labelOf };
}
