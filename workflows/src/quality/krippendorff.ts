// Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability") for any number of
// annotators, missing values, and nominal, ordinal, interval or ratio data.
import { chanceCorrected } from './conventions.ts';
import { QualityInputError } from './errors.ts';
import { buildCategoryIndex, labelKey, numericValue, type CategoricalAnswer, type Label } from './labels.ts';

/** Level of measurement, choosing Krippendorff's difference function δ². */
export type MeasurementLevel = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/** Options for Krippendorff's alpha. */
export interface KrippendorffOptions {
  /** Order of the values for ordinal data (default: numeric if all numeric, else code-unit order). */
  categories?: readonly Label[];
}

/**
 * Krippendorff's alpha from units: each unit is the list of values it received (missing values simply absent).
 * Units with fewer than two values are not pairable and are ignored, as in the 2011 paper.
 * No variation at all (a single value throughout) is perfect agreement: 1.
 */
export function krippendorffAlphaFromUnits(units: readonly (readonly Label[])[], level: MeasurementLevel, options: KrippendorffOptions = {}): number {
  checkLevel(level);
  const keyed = units.map((u) => u.map(labelKey));
  const pairable = keyed.filter((u) => u.length >= 2);
  if (pairable.length === 0) throw new QualityInputError('EMPTY_INPUT', "Krippendorff's alpha needs at least one unit with two or more values");
  const cats = buildCategoryIndex(pairable.flat(), options.categories);
  const v = cats.keys.length;
  const values = cats.keys.map(numericValue);
  if (level === 'interval' || level === 'ratio') {
    cats.keys.forEach((key, i) => {
      if (!Number.isFinite(values[i] as number)) throw new QualityInputError('INVALID_NUMBER', `value '${key}' is not a number; ${level} alpha needs numeric values`);
      if (level === 'ratio' && (values[i] as number) < 0) throw new QualityInputError('INVALID_NUMBER', `value '${key}' is negative; ratio alpha needs values >= 0`);
    });
  }
  // Coincidence matrix o_ck: every ordered pair of values within a unit, weighted 1/(m_u - 1).
  const o = new Float64Array(v * v);
  const counts = new Float64Array(v);
  for (const unit of pairable) {
    const present: number[] = [];
    for (const key of unit) {
      const idx = cats.index.get(key) as number;
      if (counts[idx] === 0) present.push(idx);
      counts[idx]! += 1;
    }
    const w = 1 / (unit.length - 1);
    for (const c of present) {
      const nc = counts[c] as number;
      for (const k of present) o[c * v + k]! += (c === k ? nc * (nc - 1) : nc * (counts[k] as number)) * w;
    }
    for (const c of present) counts[c] = 0;
  }
  const nc = new Float64Array(v);
  for (let c = 0; c < v; c++) for (let k = 0; k < v; k++) nc[c]! += o[c * v + k] as number;
  const n = nc.reduce((s, x) => s + x, 0);
  const delta = differenceFunction(level, values, nc);
  let dObserved = 0;
  let dExpected = 0;
  for (let c = 0; c < v; c++) {
    for (let k = 0; k < v; k++) {
      if (c === k) continue;
      const d = delta(c, k);
      dObserved += (o[c * v + k] as number) * d;
      dExpected += (nc[c] as number) * (nc[k] as number) * d;
    }
  }
  return chanceCorrected(dObserved / n, dExpected / (n * (n - 1)));
}

function checkLevel(level: string): asserts level is MeasurementLevel {
  if (level !== 'nominal' && level !== 'ordinal' && level !== 'interval' && level !== 'ratio') {
    throw new QualityInputError('INVALID_ARGUMENT', `unknown level of measurement '${level}' (expected nominal, ordinal, interval or ratio)`);
  }
}

function differenceFunction(level: MeasurementLevel, values: readonly number[], nc: Float64Array): (c: number, k: number) => number {
  switch (level) {
    case 'nominal':
      return (c, k) => (c === k ? 0 : 1);
    case 'ordinal': {
      // δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)² over the ordered values.
      const cum = new Float64Array(nc.length + 1);
      for (let i = 0; i < nc.length; i++) cum[i + 1] = (cum[i] as number) + (nc[i] as number);
      return (c, k) => {
        const lo = Math.min(c, k);
        const hi = Math.max(c, k);
        const s = (cum[hi + 1] as number) - (cum[lo] as number) - ((nc[lo] as number) + (nc[hi] as number)) / 2;
        return s * s;
      };
    }
    case 'interval':
      return (c, k) => ((values[c] as number) - (values[k] as number)) ** 2;
    case 'ratio':
      return (c, k) => {
        const a = values[c] as number;
        const b = values[k] as number;
        return a + b === 0 ? 0 : ((a - b) / (a + b)) ** 2;
      };
  }
}

/** Groups answer records into units (one per task, values in record order). */
export function unitsFromAnswers(answers: readonly CategoricalAnswer[]): Label[][] {
  const byTask = new Map<string, Label[]>();
  const seen = new Set<string>();
  answers.forEach((a, i) => {
    if (!a || typeof a.task !== 'string' || typeof a.annotator !== 'string') throw new QualityInputError('INVALID_ARGUMENT', `answer ${i} must have string 'task' and 'annotator'`);
    const pair = `${a.task}\u0000${a.annotator}`;
    if (seen.has(pair)) throw new QualityInputError('DUPLICATE_ANSWER', `annotator '${a.annotator}' answered task '${a.task}' more than once`);
    seen.add(pair);
    let unit = byTask.get(a.task);
    if (!unit) byTask.set(a.task, (unit = []));
    unit.push(a.label);
  });
  return [...byTask.values()];
}

/** Krippendorff's alpha from answer records (task, annotator, label); missing answers are absent records. */
export function krippendorffAlpha(answers: readonly CategoricalAnswer[], level: MeasurementLevel, options: KrippendorffOptions = {}): number {
  return krippendorffAlphaFromUnits(unitsFromAnswers(answers), level, options);
}

/**
 * Krippendorff's alpha from a reliability-data matrix: one row per annotator, one column per unit,
 * `null`/`undefined` for a missing value (the layout of the 2011 paper).
 */
export function krippendorffAlphaFromMatrix(matrix: readonly (readonly (Label | null | undefined)[])[], level: MeasurementLevel, options: KrippendorffOptions = {}): number {
  const width = matrix[0]?.length ?? 0;
  const units: Label[][] = Array.from({ length: width }, () => []);
  matrix.forEach((row, r) => {
    if (row.length !== width) throw new QualityInputError('LENGTH_MISMATCH', `annotator row ${r} has ${row.length} units, expected ${width}`);
    row.forEach((value, u) => {
      if (value !== null && value !== undefined) (units[u] as Label[]).push(value);
    });
  });
  return krippendorffAlphaFromUnits(units, level, options);
}
