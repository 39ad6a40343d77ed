// M-MSR (Ma & Olshevsky 2020): annotator skills by robust rank-one completion of their covariances, then a weighted vote.
import { QualityInputError } from '../errors.ts';
import { encodeAnswers, type CategoricalAnswer, type DuplicatePolicy } from '../labels.ts';
import { createRng } from '../random.ts';
import type { AnnotatorReliability, CrowdConsensusResult, CrowdMethodOptions } from './method.ts';

/** Options for {@link mmsr}. Results are deterministic for a `seed` (default 0, Crowd-Kit's `random_state`). */
export interface MmsrOptions extends CrowdMethodOptions {
  /** Maximum M-MSR iterations (default 10000, Crowd-Kit's `n_iter`). */
  maxIterations?: number;
  /** Stop when ‖u·vᵀ − u′·v′ᵀ‖_F between iterations falls below this (default 1e-10, Crowd-Kit's `tol`). */
  tolerance?: number;
  /**
   * How many of the largest and of the smallest values each trimmed mean drops (the paper's F). Default:
   * max(0, ⌊d/2⌋ − 1) with d the fewest co-annotators any annotator has, as Crowd-Kit; Crowd-Kit does not clamp at
   * 0, and its F = −1 (an annotator without co-annotators, as in S_Rel) silently turns every trimmed mean into a maximum.
   */
  trim?: number;
  /** Repeated answers of one annotator on one task: separate votes (`count`, default) or an error. */
  duplicates?: DuplicatePolicy;
}

/** Vote totals closer than this share of the task's absolute weight tie (floating-point noise); the lowest category wins. */
const TIE = 1e-9;

/**
 * M-MSR truth inference for M ≥ 2 categories.
 *
 * 1. For every pair of annotators who share tasks (each annotator's last answer on a task), the covariance
 *    C_ij = (M·agreement_ij − 1)/(M − 1), whose expectation is s_i·s_j for skills s (P(correct) = s(M−1)/M + 1/M).
 * 2. Rank-one completion of |C| on the observed pairs: u and v start from one seeded uniform draw; each iteration
 *    sets v_j to the trimmed mean of |C_ij|/u_i over j's co-annotators (drop the F largest and F smallest, keeping
 *    the values on the current side when fewer than F lie there; all-zero → 1/√T), then u_i likewise from v.
 * 3. |s| = u/√(‖u‖/‖v‖) within each connected group of co-annotators (Crowd-Kit normalises over everyone at
 *    once, so an annotator without co-annotators, whose u keeps its random start, rescales every skill).
 *    Signs (who is worse than chance): start all positive and flip an annotator while Σ_j n_ij·C_ij·z_j·|s_j|
 *    (n_ij shared tasks) disagrees with its sign, i.e. coordinate ascent on the weighted rank-one fit, then make
 *    the majority positive. Crowd-Kit takes the signs from an ARPACK eigenvector of a dense graph over every
 *    annotator pair (pairs that never co-annotated count as disagreeing), which depends on ARPACK's random start
 *    and needs memory quadratic in the number of agreeing pairs. Annotators without any co-annotator get
 *    s = 1/√T. s is clipped to [−1/(M−1) + 1/√T, 1 − 1/√T].
 * 4. Weighted vote with weight log((M−1)·p/(1−p)) per answer; `posterior` = softmax of the vote totals, which is
 *    the one-coin posterior under a uniform prior. `reliability` = p; `skill` = s.
 */
export function mmsr(answers: readonly CategoricalAnswer[], options: MmsrOptions = {}): CrowdConsensusResult {
  const maxIterations = options.maxIterations ?? 10000;
  const tolerance = options.tolerance ?? 1e-10;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new QualityInputError('INVALID_ARGUMENT', `maxIterations must be an integer >= 1, got ${String(maxIterations)}`);
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0)
    throw new QualityInputError('INVALID_NUMBER', `tolerance must be a finite number >= 0, got ${String(tolerance)}`);
  if (options.trim !== undefined && (!Number.isInteger(options.trim) || options.trim < 0))
    throw new QualityInputError('INVALID_ARGUMENT', `trim must be an integer >= 0, got ${String(options.trim)}`);
  const rng = createRng(options.seed ?? 0);
  if (!Array.isArray(answers) || answers.length === 0) throw new QualityInputError('EMPTY_INPUT', 'M-MSR needs at least one answer');
  const enc = encodeAnswers(answers, options.categories, options.duplicates ?? 'count');
  const keys = enc.categories.keys;
  const M = keys.length;
  if (M < 2)
    throw new QualityInputError('INVALID_ARGUMENT', `M-MSR needs at least 2 categories, got only '${keys[0]}'; declare \`categories\` when every answer has the same label`);
  if (enc.annotators.length < 2) throw new QualityInputError('RATER_COUNT', `M-MSR needs answers from at least 2 annotators, got 1 ('${enc.annotators[0]}')`);
  const { taskOf, annotatorOf: workerOf, labelOf } = enc;
  const n = taskOf.length;
  const T = enc.tasks.length;
  const W = enc.annotators.length;

  const graph = coAnnotationGraph(taskOf, workerOf, labelOf, T, W, M);
  const { offsets, partner, common, cov } = graph;
  let minDegree = Infinity;
  for (let w = 0; w < W; w++) minDegree = Math.min(minDegree, (offsets[w + 1] as number) - (offsets[w] as number));
  const trim = options.trim ?? Math.max(0, Math.floor(minDegree / 2) - 1);
  const absCov = cov.map(Math.abs);

  const u = new Float64Array(W);
  for (let w = 0; w < W; w++) u[w] = 1 - rng.next();
  const v = Float64Array.from(u);
  const uPrev = new Float64Array(W);
  const vPrev = new Float64Array(W);
  const buffer = new Float64Array(W);
  const floor = 1 / Math.sqrt(T);
  const update = (target: Float64Array, other: Float64Array): void => {
    for (let j = 0; j < W; j++) {
      const from = offsets[j] as number;
      const count = (offsets[j + 1] as number) - from;
      if (count === 0) continue;
      const values = buffer.subarray(0, count);
      for (let e = 0; e < count; e++) values[e] = (absCov[from + e] as number) / (other[partner[from + e] as number] as number);
      target[j] = trimmedMean(values.sort(), trim, target[j] as number, floor);
    }
  };
  let loss = Infinity;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    uPrev.set(u);
    vPrev.set(v);
    update(v, u);
    update(u, v);
    loss = outerChange(u, v, uPrev, vPrev);
    if (loss < tolerance) {
      converged = true;
      break;
    }
  }

  // Skill magnitudes, then signs by coordinate ascent on Σ n_ij·C_ij·z_i·z_j·|s_i|·|s_j| from all-positive.
  const magnitude = groupMagnitudes(u, v, offsets, partner);
  const z = new Float64Array(W).fill(1);
  for (let sweep = 0; sweep < W; sweep++) {
    let flipped = false;
    for (let i = 0; i < W; i++) {
      let f = 0;
      for (let e = offsets[i] as number; e < (offsets[i + 1] as number); e++) {
        const j = partner[e] as number;
        f += (common[e] as number) * (cov[e] as number) * (z[j] as number) * (magnitude[j] as number);
      }
      if (f !== 0 && Math.sign(f) !== z[i]) {
        z[i] = -(z[i] as number);
        flipped = true;
      }
    }
    if (!flipped) break;
  }
  let zSum = 0;
  for (let w = 0; w < W; w++) zSum += z[w] as number;
  const skill = new Float64Array(W);
  const weight = new Float64Array(W);
  const probability = new Float64Array(W);
  for (let w = 0; w < W; w++) {
    const isolated = offsets[w + 1] === offsets[w];
    let s = isolated ? floor : (zSum < 0 ? -1 : 1) * (z[w] as number) * (magnitude[w] as number);
    s = Math.max(Math.min(s, 1 - floor), -1 / (M - 1) + floor);
    const p = (s * (M - 1)) / M + 1 / M;
    skill[w] = s;
    probability[w] = p;
    weight[w] = Math.log((p * (M - 1)) / (1 - p));
  }

  const score = new Float64Array(T * M);
  const scale = new Float64Array(T);
  const answered = new Int32Array(W);
  for (let i = 0; i < n; i++) {
    const t = taskOf[i] as number;
    const w = workerOf[i] as number;
    score[t * M + (labelOf[i] as number)]! += weight[w] as number;
    scale[t]! += Math.abs(weight[w] as number);
    answered[w]! += 1;
  }
  return {
    method: 'mmsr',
    categories: keys,
    tasks: enc.tasks.map((task, t) => {
      const row = score.subarray(t * M, (t + 1) * M);
      let best = -Infinity;
      for (let c = 0; c < M; c++) best = Math.max(best, row[c] as number);
      let label = 0;
      while ((row[label] as number) < best - TIE * (scale[t] as number)) label++;
      const e = Array.from(row, (s) => Math.exp(s - best));
      const sum = e.reduce((a, b) => a + b, 0);
      return { task, label: keys[label] as string, posterior: e.map((x) => x / sum) };
    }),
    annotators: enc.annotators.map((annotator, w): AnnotatorReliability => ({
      annotator,
      answers: answered[w] as number,
      reliability: probability[w] as number,
      skill: skill[w] as number,
    })),
    convergence: { iterations, converged, stoppedBy: converged ? 'tolerance' : 'max-iterations', objective: loss },
  };
}

/** Co-annotation graph in CSR form (partners of each annotator in ascending order) with shared-task counts and covariances. */
interface CoAnnotationGraph {
  offsets: Int32Array;
  partner: Int32Array;
  common: Float64Array;
  cov: Float64Array;
}

function coAnnotationGraph(taskOf: Int32Array, workerOf: Int32Array, labelOf: Int32Array, T: number, W: number, M: number): CoAnnotationGraph {
  // Each annotator's last answer on a task (Crowd-Kit's observation matrix keeps the last one).
  const last = new Map<number, number>();
  for (let i = 0; i < taskOf.length; i++) last.set((taskOf[i] as number) * W + (workerOf[i] as number), labelOf[i] as number);
  const byTask: Array<Array<[number, number]>> = Array.from({ length: T }, () => []);
  for (const [key, label] of last) byTask[Math.floor(key / W)]!.push([key % W, label]);
  const pairIndex = new Map<number, number>();
  const pairs: number[] = [];
  const commonCount: number[] = [];
  const agreeCount: number[] = [];
  for (const members of byTask) {
    for (let a = 0; a < members.length; a++) {
      for (let b = a + 1; b < members.length; b++) {
        const [wa, la] = members[a] as [number, number];
        const [wb, lb] = members[b] as [number, number];
        if (wa === wb) continue;
        const key = Math.min(wa, wb) * W + Math.max(wa, wb);
        let p = pairIndex.get(key);
        if (p === undefined) {
          p = pairs.length;
          pairIndex.set(key, p);
          pairs.push(key);
          commonCount.push(0);
          agreeCount.push(0);
        }
        commonCount[p]! += 1;
        if (la === lb) agreeCount[p]! += 1;
      }
    }
  }
  const degree = new Int32Array(W);
  for (const key of pairs) {
    degree[Math.floor(key / W)]! += 1;
    degree[key % W]! += 1;
  }
  const offsets = new Int32Array(W + 1);
  for (let w = 0; w < W; w++) offsets[w + 1] = (offsets[w] as number) + (degree[w] as number);
  const edges = offsets[W] as number;
  const partner = new Int32Array(edges);
  const pairOf = new Int32Array(edges);
  const fill = offsets.slice(0, W);
  // Pairs in key order: first every annotator's lower partners, then its higher ones, so each list is ascending.
  const order = pairs.map((_, p) => p).sort((p, q) => (pairs[p] as number) - (pairs[q] as number));
  for (const p of order) {
    const key = pairs[p] as number;
    const lo = Math.floor(key / W);
    const hi = key % W;
    partner[fill[hi]!] = lo;
    pairOf[fill[hi]!++] = p;
  }
  for (const p of order) {
    const key = pairs[p] as number;
    const lo = Math.floor(key / W);
    const hi = key % W;
    partner[fill[lo]!] = hi;
    pairOf[fill[lo]!++] = p;
  }
  const common = new Float64Array(edges);
  const cov = new Float64Array(edges);
  for (let e = 0; e < edges; e++) {
    const p = pairOf[e] as number;
    const c = commonCount[p] as number;
    common[e] = c;
    cov[e] = ((M * (agreeCount[p] as number)) / c - 1) / (M - 1);
  }
  return { offsets, partner, common, cov };
}

/**
 * Trimmed mean of ascending `sorted` around the current value `current`: drop the `trim` smallest (or, when fewer
 * than `trim` lie below `current`, all of those) and likewise the largest. Nothing left → `current`; all zero → `floor`.
 */
function trimmedMean(sorted: Float64Array, trim: number, current: number, floor: number): number {
  let lo = 0;
  while (lo < sorted.length && (sorted[lo] as number) < current) lo++;
  if (lo >= trim) lo = trim;
  let hi = sorted.length;
  let above = 0;
  while (above < hi - lo && (sorted[hi - 1 - above] as number) > current) above++;
  hi -= above < trim ? above : trim;
  if (hi <= lo) return current;
  let sum = 0;
  let nonZero = false;
  for (let e = lo; e < hi; e++) {
    sum += sorted[e] as number;
    if (sorted[e] !== 0) nonZero = true;
  }
  return nonZero ? sum / (hi - lo) : floor;
}

/** ‖u·vᵀ − u′·v′ᵀ‖_F without forming the matrices: u·vᵀ − u′·v′ᵀ = Δu·vᵀ + u′·Δvᵀ. */
function outerChange(u: Float64Array, v: Float64Array, uPrev: Float64Array, vPrev: Float64Array): number {
  let du2 = 0;
  let v2 = 0;
  let up2 = 0;
  let dv2 = 0;
  let duUp = 0;
  let vDv = 0;
  for (let i = 0; i < u.length; i++) {
    const du = (u[i] as number) - (uPrev[i] as number);
    const dv = (v[i] as number) - (vPrev[i] as number);
    du2 += du * du;
    v2 += (v[i] as number) ** 2;
    up2 += (uPrev[i] as number) ** 2;
    dv2 += dv * dv;
    duUp += du * (uPrev[i] as number);
    vDv += (v[i] as number) * dv;
  }
  return Math.sqrt(Math.max(0, du2 * v2 + up2 * dv2 + 2 * duUp * vDv));
}

/**
 * |s| = u/√(‖u‖/‖v‖) within each connected group of co-annotators: u·vᵀ fixes a group only up to u → c·u,
 * v → v/c, and a group's scale must not depend on another group's (or an isolated annotator's) random start.
 */
function groupMagnitudes(u: Float64Array, v: Float64Array, offsets: Int32Array, partner: Int32Array): Float64Array {
  const W = u.length;
  const magnitude = new Float64Array(W);
  const group = new Int32Array(W).fill(-1);
  const members: number[] = [];
  for (let start = 0; start < W; start++) {
    if (group[start] !== -1 || offsets[start + 1] === offsets[start]) continue;
    members.length = 0;
    group[start] = start;
    members.push(start);
    for (let m = 0; m < members.length; m++) {
      const i = members[m] as number;
      for (let e = offsets[i] as number; e < (offsets[i + 1] as number); e++) {
        const j = partner[e] as number;
        if (group[j] === -1) {
          group[j] = start;
          members.push(j);
        }
      }
    }
    let uu = 0;
    let vv = 0;
    for (const i of members) {
      uu += (u[i] as number) ** 2;
      vv += (v[i] as number) ** 2;
    }
    const k = Math.sqrt(Math.sqrt(uu) / Math.sqrt(vv));
    for (const i of members) magnitude[i] = (u[i] as number) / k;
  }
  return magnitude;
}
