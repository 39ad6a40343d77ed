// Confidence intervals for an error rate estimated from a spot-check sample.
import { assertProbability } from '../errors.ts';
import { assertCounts, inverseRegularizedBeta, normalQuantile } from './distributions.ts';

/** A two-sided interval for a proportion. */
export interface ProportionInterval {
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
}

/** Wilson score interval (Wilson 1927) for `errors` out of `n`, two-sided at `confidence` (default 0.95). */
export function wilsonInterval(errors: number, n: number, confidence = 0.95): ProportionInterval {
  assertCounts(errors, n);
  assertProbability(confidence, 'confidence');
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = errors / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { estimate: p, lower: errors === 0 ? 0 : Math.max(0, centre - half), upper: errors === n ? 1 : Math.min(1, centre + half), confidence };
}

/**
 * Clopper-Pearson "exact" interval: lower = Beta⁻¹(α/2; x, n−x+1), upper = Beta⁻¹(1−α/2; x+1, n−x),
 * with 0 and 1 at the boundaries; the beta quantile is this module's own incomplete-beta inverse.
 */
export function clopperPearsonInterval(errors: number, n: number, confidence = 0.95): ProportionInterval {
  assertCounts(errors, n);
  assertProbability(confidence, 'confidence');
  const alpha = 1 - confidence;
  const lower = errors === 0 ? 0 : inverseRegularizedBeta(alpha / 2, errors, n - errors + 1);
  const upper = errors === n ? 1 : inverseRegularizedBeta(1 - alpha / 2, errors + 1, n - errors);
  return { estimate: errors / n, lower, upper, confidence };
}
