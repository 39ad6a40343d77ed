// Seeded percentile bootstrap confidence intervals for any statistic over resampled units.
import { assertInteger, assertProbability, QualityInputError } from './errors.ts';
import { createRng, type Seed } from './random.ts';

/** Options for {@link bootstrapInterval}. */
export interface BootstrapOptions {
  seed: Seed;
  /** Number of resamples (default 1000). */
  iterations?: number;
  /** Two-sided confidence level (default 0.95). */
  confidence?: number;
}

/** A point estimate with its percentile bootstrap interval. */
export interface BootstrapInterval {
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  /** Resamples whose statistic could be computed (a resample can be degenerate and throw). */
  iterations: number;
}

/**
 * Percentile bootstrap: resamples `units` with replacement `iterations` times using the seeded stream and
 * evaluates `statistic` on each; resamples on which the statistic throws a QualityInputError (e.g. no
 * pairable unit) are skipped and not counted. Same seed → same interval.
 */
export function bootstrapInterval<U>(units: readonly U[], statistic: (sample: readonly U[]) => number, options: BootstrapOptions): BootstrapInterval {
  const iterations = options.iterations ?? 1000;
  const confidence = options.confidence ?? 0.95;
  assertInteger(iterations, 'iterations', 1);
  assertProbability(confidence, 'confidence');
  if (units.length === 0) throw new QualityInputError('EMPTY_INPUT', 'bootstrap needs at least one unit');
  const estimate = statistic(units);
  const rng = createRng(options.seed);
  const stats: number[] = [];
  const sample: U[] = new Array<U>(units.length);
  for (let b = 0; b < iterations; b++) {
    for (let i = 0; i < units.length; i++) sample[i] = units[rng.int(units.length)] as U;
    try {
      stats.push(statistic(sample));
    } catch (error) {
      if (!(error instanceof QualityInputError)) throw error;
    }
  }
  if (stats.length === 0) throw new QualityInputError('EMPTY_INPUT', 'every bootstrap resample was degenerate');
  stats.sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return { estimate, lower: quantileSorted(stats, alpha), upper: quantileSorted(stats, 1 - alpha), confidence, iterations: stats.length };
}

/** Linear-interpolation quantile (type 7, as numpy's default) of an ascending array. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new QualityInputError('EMPTY_INPUT', 'quantile of an empty list');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}
