// Agreement on categorical labels: percent agreement, Cohen's kappa (weighted) and Fleiss' kappa.
import { chanceCorrected } from './conventions.ts';
import { QualityInputError } from './errors.ts';
import { buildCategoryIndex, encodeAnswers, labelKey, type CategoricalAnswer, type Label } from './labels.ts';

/** Disagreement weights for Cohen's kappa over ordered categories (as scikit-learn's `weights`). */
export type KappaWeights = 'none' | 'linear' | 'quadratic';

/** Options for {@link cohenKappa}. */
export interface CohenKappaOptions {
  weights?: KappaWeights;
  /** Category order (required meaning for weighted kappa); default: sorted labels (numeric if all numeric). */
  categories?: readonly Label[];
}

/**
 * Cohen's kappa between two raters' labels for the same items (`a[i]` and `b[i]` rate item i), with the
 * scikit-learn `cohen_kappa_score` definition: kappa = 1 - sum(w·O) / sum(w·E), E the outer product of the
 * marginals, w = 0/1 (none), |i-j| (linear) or (i-j)² (quadratic) over the category order.
 * Both raters using one single category is perfect agreement: 1 (see `chanceCorrected`).
 */
export function cohenKappa(a: readonly Label[], b: readonly Label[], options: CohenKappaOptions = {}): number {
  if (a.length !== b.length) throw new QualityInputError('LENGTH_MISMATCH', `cohenKappa needs equally long label lists, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new QualityInputError('EMPTY_INPUT', 'cohenKappa needs at least one item rated by both raters');
  const ka = a.map(labelKey);
  const kb = b.map(labelKey);
  const cats = buildCategoryIndex([...ka, ...kb], options.categories);
  const k = cats.keys.length;
  const weights = options.weights ?? 'none';
  if (weights !== 'none' && weights !== 'linear' && weights !== 'quadratic') {
    throw new QualityInputError('INVALID_ARGUMENT', `unknown kappa weights '${String(weights)}' (expected none, linear or quadratic)`);
  }
  const confusion = new Float64Array(k * k);
  const rows = new Float64Array(k);
  const cols = new Float64Array(k);
  for (let i = 0; i < ka.length; i++) {
    const r = cats.index.get(ka[i] as string) as number;
    const c = cats.index.get(kb[i] as string) as number;
    confusion[r * k + c]! += 1;
    rows[r]! += 1;
    cols[c]! += 1;
  }
  const n = ka.length;
  let observed = 0;
  let expected = 0;
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      const d = Math.abs(r - c);
      const w = weights === 'none' ? (d === 0 ? 0 : 1) : weights === 'linear' ? d : d * d;
      observed += w * (confusion[r * k + c] as number);
      expected += (w * (rows[r] as number) * (cols[c] as number)) / n;
    }
  }
  return chanceCorrected(observed / n, expected / n);
}

/** Groups answers per task into label-key lists (tasks in first-seen order). */
export function labelsByTask(answers: readonly CategoricalAnswer[]): Map<string, string[]> {
  const enc = encodeAnswers(answers);
  const byTask = new Map<string, string[]>();
  for (let i = 0; i < answers.length; i++) {
    const task = enc.tasks[enc.taskOf[i] as number] as string;
    let list = byTask.get(task);
    if (!list) byTask.set(task, (list = []));
    list.push(enc.categories.keys[enc.labelOf[i] as number] as string);
  }
  return byTask;
}

/**
 * Percent agreement: over tasks with at least two answers, the share of agreeing annotator pairs in the task,
 * averaged over tasks (for two annotators: the share of items on which they agree).
 */
export function percentAgreement(answers: readonly CategoricalAnswer[]): number {
  let sum = 0;
  let tasks = 0;
  for (const labels of labelsByTask(answers).values()) {
    const m = labels.length;
    if (m < 2) continue;
    const counts = new Map<string, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    let agreeing = 0;
    for (const c of counts.values()) agreeing += c * (c - 1);
    sum += agreeing / (m * (m - 1));
    tasks++;
  }
  if (tasks === 0) throw new QualityInputError('EMPTY_INPUT', 'percent agreement needs at least one task with two or more answers');
  return sum / tasks;
}

/**
 * Cohen's kappa from answer records: exactly two annotators must be present; items rated by only one of
 * them are left out (pairwise deletion).
 */
export function cohenKappaFromAnswers(answers: readonly CategoricalAnswer[], options: CohenKappaOptions = {}): number {
  const enc = encodeAnswers(answers, options.categories);
  if (enc.annotators.length !== 2) {
    throw new QualityInputError(
      'RATER_COUNT',
      `Cohen's kappa needs exactly 2 annotators, got ${enc.annotators.length}${enc.annotators.length ? ` (${enc.annotators.slice(0, 5).join(', ')}${enc.annotators.length > 5 ? ', ...' : ''})` : ''}`,
    );
  }
  const first = new Map<number, string>();
  const second = new Map<number, string>();
  for (let i = 0; i < answers.length; i++) {
    const key = enc.categories.keys[enc.labelOf[i] as number] as string;
    (enc.annotatorOf[i] === 0 ? first : second).set(enc.taskOf[i] as number, key);
  }
  const a: string[] = [];
  const b: string[] = [];
  for (const [task, label] of first) {
    const other = second.get(task);
    if (other !== undefined) {
      a.push(label);
      b.push(other);
    }
  }
  if (a.length === 0) throw new QualityInputError('EMPTY_INPUT', `annotators '${enc.annotators[0]}' and '${enc.annotators[1]}' have no task in common`);
  return cohenKappa(a, b, { ...options, categories: options.categories ?? enc.categories.keys });
}

/**
 * Fleiss' kappa (Fleiss 1971) from a tasks × categories count matrix; every row must sum to the same
 * number of ratings n >= 2. A single category used throughout is perfect agreement: 1.
 */
export function fleissKappa(counts: readonly (readonly number[])[]): number {
  if (counts.length === 0) throw new QualityInputError('EMPTY_INPUT', 'Fleiss kappa needs at least one task');
  const k = counts[0]?.length ?? 0;
  if (k === 0) throw new QualityInputError('EMPTY_INPUT', 'Fleiss kappa needs at least one category');
  let n = -1;
  const totals = new Float64Array(k);
  let pBar = 0;
  counts.forEach((row, i) => {
    if (row.length !== k) throw new QualityInputError('LENGTH_MISMATCH', `row ${i} has ${row.length} categories, expected ${k}`);
    let sum = 0;
    let sq = 0;
    row.forEach((c, j) => {
      if (!Number.isInteger(c) || c < 0) throw new QualityInputError('INVALID_NUMBER', `count at row ${i}, category ${j} must be a non-negative integer, got ${c}`);
      sum += c;
      sq += c * c;
      totals[j]! += c;
    });
    if (n === -1) n = sum;
    if (sum !== n)
      throw new QualityInputError('UNEQUAL_RATINGS', `row ${i} has ${sum} ratings, expected ${n} like row 0 (Fleiss' kappa needs the same number of ratings per task)`);
    pBar += (sq - sum) / (sum * (sum - 1));
  });
  if (n < 2) throw new QualityInputError('UNEQUAL_RATINGS', `Fleiss' kappa needs at least 2 ratings per task, got ${n}`);
  pBar /= counts.length;
  const total = counts.length * n;
  let pe = 0;
  for (let j = 0; j < k; j++) pe += ((totals[j] as number) / total) ** 2;
  return chanceCorrected(1 - pBar, 1 - pe);
}

/**
 * Fleiss' kappa from answer records. Every task must have the same number of answers (the error names the
 * first task that differs); annotators may differ between tasks.
 */
export function fleissKappaFromAnswers(answers: readonly CategoricalAnswer[], categories?: readonly Label[]): number {
  const enc = encodeAnswers(answers, categories);
  const k = enc.categories.keys.length;
  const rows: number[][] = enc.tasks.map(() => new Array<number>(k).fill(0));
  for (let i = 0; i < answers.length; i++) (rows[enc.taskOf[i] as number] as number[])[enc.labelOf[i] as number]! += 1;
  const expected = rows[0]?.reduce((s, c) => s + c, 0) ?? 0;
  rows.forEach((row, t) => {
    const m = row.reduce((s, c) => s + c, 0);
    if (m !== expected) {
      throw new QualityInputError(
        'UNEQUAL_RATINGS',
        `task '${enc.tasks[t]}' has ${m} answers but task '${enc.tasks[0]}' has ${expected}; Fleiss' kappa needs the same number of answers per task`,
      );
    }
  });
  return fleissKappa(rows);
}
