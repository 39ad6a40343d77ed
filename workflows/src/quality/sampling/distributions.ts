// Special functions and discrete distributions for sampling plans, implemented here (no dependencies).
import { assertInteger, assertProbability, QualityInputError } from '../errors.ts';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** P(X = k) for X ~ Hypergeometric(population N, successes D, draws n). */
export function hypergeometricPmf(k: number, N: number, D: number, n: number): number {
  if (k < Math.max(0, n - (N - D)) || k > Math.min(n, D)) return 0;
  return Math.exp(logChoose(D, k) + logChoose(N - D, n - k) - logChoose(N, n));
}

/** P(X <= c) for X ~ Hypergeometric(N, D, n). */
export function hypergeometricCdf(c: number, N: number, D: number, n: number): number {
  let s = 0;
  for (let k = 0; k <= c; k++) s += hypergeometricPmf(k, N, D, n);
  return Math.min(1, s);
}

/** P(X = 0) for X ~ Hypergeometric(N, D, n), as the exact product Π (N−D−i)/(N−i). */
export function hypergeometricZero(N: number, D: number, n: number): number {
  let p = 1;
  for (let i = 0; i < n; i++) {
    if (N - D - i <= 0) return 0;
    p *= (N - D - i) / (N - i);
  }
  return p;
}

/** P(X <= c) for X ~ Binomial(n, p). */
export function binomialCdf(c: number, n: number, p: number): number {
  if (c < 0) return 0;
  if (c >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  // P(X <= c) = I_{1-p}(n - c, c + 1).
  return regularizedBeta(1 - p, n - c, c + 1);
}

/** ln B(a, b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Regularised incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes §6.4). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new QualityInputError('INVALID_ARGUMENT', `incomplete beta needs a, b > 0, got ${a}, ${b}`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Inverse of I_x(a, b) in x: the p-quantile of Beta(a, b), by bisection to 1e-14 (monotone, robust). */
export function inverseRegularizedBeta(p: number, a: number, b: number): number {
  assertProbability(p, 'probability', true);
  if (p === 0) return 0;
  if (p === 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Standard normal quantile (Acklam's rational approximation refined by one Halley step; |error| < 1e-12). */
export function normalQuantile(p: number): number {
  assertProbability(p, 'probability');
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const poly = (coef: number[], x: number): number => coef.reduce((acc, k) => acc * x + k, 0);
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(c, q) / (poly(d, q) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(c, q) / (poly(d, q) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(a, r) * q) / (poly(b, r) * r + 1);
  }
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Complementary error function (W. J. Cody's rational Chebyshev approximation via erfc = 1 - erf; ~1e-15). */
export function erfc(x: number): number {
  // Numerical Recipes erfcc-style with high-precision continued fraction for large |x|.
  const z = Math.abs(x);
  let r: number;
  if (z < 0.5) {
    // Taylor series of erf.
    let sum = z;
    let term = z;
    const z2 = z * z;
    for (let n = 1; n < 60; n++) {
      term *= -z2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Lentz continued fraction for erfc.
    const tiny = 1e-300;
    let f = z;
    let C = z;
    let D = 0;
    for (let n = 1; n < 500; n++) {
      const an = n / 2;
      D = z + an * D;
      if (Math.abs(D) < tiny) D = tiny;
      C = z + an / C;
      if (Math.abs(C) < tiny) C = tiny;
      D = 1 / D;
      const delta = C * D;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  }
  return x >= 0 ? r : 2 - r;
}

/** Validates (successes, trials) counts. */
export function assertCounts(successes: number, trials: number): void {
  assertInteger(trials, 'trials', 1);
  assertInteger(successes, 'successes', 0);
  if (successes > trials) throw new QualityInputError('INVALID_ARGUMENT', `successes (${successes}) exceed trials (${trials})`);
}
