// STAPLE (Warfield, Zou & Wells 2004) for binary segmentations in 2D or 3D, and pixel-wise majority vote.
import { assertInteger, QualityInputError } from '../errors.ts';

/** Options for {@link staple}. */
export interface StapleOptions {
  /** Stop when Σ_j (p_j + q_j) changes by less than this between iterations (default 1e-7, as ITK's STAPLE). */
  tolerance?: number;
  /** Maximum EM iterations (default 1000). */
  maxIterations?: number;
  /** Initial sensitivity and specificity of every rater (default 0.99999, ITK's initial value). */
  initial?: number;
}

/** STAPLE result. */
export interface StapleResult {
  /** W: per-voxel probability of the true segmentation being foreground. */
  probability: Float64Array;
  /** Per-rater sensitivity p_j and specificity q_j. */
  sensitivity: number[];
  specificity: number[];
  /** Global foreground prior: mean foreground fraction of the raters. */
  prior: number;
  iterations: number;
  converged: boolean;
}

function checkRaters(raters: readonly Uint8Array[]): number {
  if (raters.length === 0) throw new QualityInputError('EMPTY_INPUT', 'STAPLE needs at least one rater');
  const n = (raters[0] as Uint8Array).length;
  raters.forEach((r, j) => {
    if (!(r instanceof Uint8Array)) throw new QualityInputError('INVALID_ARGUMENT', `rater ${j} must be a Uint8Array mask`);
    if (r.length !== n) throw new QualityInputError('SHAPE_MISMATCH', `rater ${j} has ${r.length} voxels, rater 0 has ${n}`);
  });
  if (n === 0) throw new QualityInputError('EMPTY_INPUT', 'STAPLE needs at least one voxel');
  return n;
}

/**
 * Binary STAPLE on flat masks (any dimensionality; 2D and 3D masks are flat arrays over the same grid).
 * E-step: W_i = f·Π p^D(1−p)^(1−D) / (that + (1−f)·Π q^(1−D)(1−q)^D); M-step: p_j = ΣW·D / ΣW,
 * q_j = Σ(1−W)(1−D) / Σ(1−W). Voxels with the same rater decisions share W, so with ≤ 16 raters the EM runs on
 * the histogram of decision patterns (exactly the same result, far faster).
 */
export function staple(raters: readonly Uint8Array[], options: StapleOptions = {}): StapleResult {
  const n = checkRaters(raters);
  const R = raters.length;
  const tolerance = options.tolerance ?? 1e-7;
  const maxIterations = options.maxIterations ?? 1000;
  const initial = options.initial ?? 0.99999;
  assertInteger(maxIterations, 'maxIterations', 1);
  if (!(initial > 0 && initial < 1)) throw new QualityInputError('INVALID_ARGUMENT', `initial must be in (0, 1), got ${initial}`);
  if (R > 16) throw new QualityInputError('INVALID_ARGUMENT', `STAPLE supports up to 16 raters, got ${R}`);
  // Pattern histogram: bit j set when rater j marks the voxel.
  const patterns = new Uint32Array(n);
  for (let j = 0; j < R; j++) {
    const r = raters[j] as Uint8Array;
    const bit = 1 << j;
    for (let i = 0; i < n; i++) if (r[i]) patterns[i]! |= bit;
  }
  const P = 1 << R;
  const count = new Float64Array(P);
  for (let i = 0; i < n; i++) count[patterns[i] as number]! += 1;
  let fg = 0;
  for (let s = 0; s < P; s++) fg += (count[s] as number) * popcount(s);
  const prior = Math.min(1 - 1e-12, Math.max(1e-12, fg / (n * R)));
  const p = new Array<number>(R).fill(initial);
  const q = new Array<number>(R).fill(initial);
  const W = new Float64Array(P);
  let previous = Infinity;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    for (let s = 0; s < P; s++) {
      if (count[s] === 0) continue;
      let a = Math.log(prior);
      let b = Math.log(1 - prior);
      for (let j = 0; j < R; j++) {
        const d = (s >> j) & 1;
        a += Math.log(d ? (p[j] as number) : 1 - (p[j] as number));
        b += Math.log(d ? 1 - (q[j] as number) : (q[j] as number));
      }
      const m = Math.max(a, b);
      W[s] = Math.exp(a - m) / (Math.exp(a - m) + Math.exp(b - m));
    }
    let sumW = 0;
    let sumNotW = 0;
    const tp = new Float64Array(R);
    const tn = new Float64Array(R);
    for (let s = 0; s < P; s++) {
      const c = count[s] as number;
      if (c === 0) continue;
      const w = W[s] as number;
      sumW += c * w;
      sumNotW += c * (1 - w);
      for (let j = 0; j < R; j++) {
        if ((s >> j) & 1) tp[j]! += c * w;
        else tn[j]! += c * (1 - w);
      }
    }
    let total = 0;
    for (let j = 0; j < R; j++) {
      p[j] = sumW > 0 ? (tp[j] as number) / sumW : 1;
      q[j] = sumNotW > 0 ? (tn[j] as number) / sumNotW : 1;
      // Keep logs finite when a rater is perfect.
      p[j] = Math.min(1 - 1e-12, Math.max(1e-12, p[j] as number));
      q[j] = Math.min(1 - 1e-12, Math.max(1e-12, q[j] as number));
      total += (p[j] as number) + (q[j] as number);
    }
    if (Math.abs(total - previous) < tolerance) {
      converged = true;
      break;
    }
    previous = total;
  }
  const probability = new Float64Array(n);
  for (let i = 0; i < n; i++) probability[i] = W[patterns[i] as number] as number;
  return { probability, sensitivity: p, specificity: q, prior, iterations, converged };
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v; v &= v - 1) c++;
  return c;
}

/** Thresholds a probability map (default W >= 0.5, as ITK's recommended use of STAPLE output). */
export function thresholdProbability(probability: Float64Array, threshold = 0.5): Uint8Array {
  const out = new Uint8Array(probability.length);
  for (let i = 0; i < out.length; i++) out[i] = (probability[i] as number) >= threshold ? 1 : 0;
  return out;
}

/** Pixel-wise majority vote: foreground where strictly more than half of the raters mark it (ties → background). */
export function pixelMajorityVote(raters: readonly Uint8Array[]): Uint8Array {
  const n = checkRaters(raters);
  const votes = new Uint16Array(n);
  for (const r of raters) for (let i = 0; i < n; i++) if (r[i]) votes[i]! += 1;
  const out = new Uint8Array(n);
  const R = raters.length;
  for (let i = 0; i < n; i++) out[i] = (votes[i] as number) * 2 > R ? 1 : 0;
  return out;
}
