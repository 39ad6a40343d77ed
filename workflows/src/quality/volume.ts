// 3D label-volume agreement: per-label Dice and IoU, and the 95th-percentile Hausdorff distance between
// surfaces with voxel spacing (MONAI `compute_hausdorff_distance(percentile=95)` semantics).
import { quantileSorted } from './bootstrap.ts';
import { emptyDistance, overlapRatio } from './conventions.ts';
import { assertInteger, QualityInputError } from './errors.ts';

/** Typed arrays accepted as label volumes / masks. */
export type VoxelArray = Uint8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;

/** A label volume in x-fastest order: index = x + dims[0]·(y + dims[1]·z). 2D images use dims [w, h, 1]. */
export interface LabelVolume {
  dims: readonly [number, number, number];
  data: VoxelArray;
  /** Voxel size per axis (default [1, 1, 1]). */
  spacing?: readonly [number, number, number];
}

/** Agreement for one label. */
export interface LabelAgreement {
  label: number;
  dice: number;
  iou: number;
  /** Max of the two directed 95th-percentile surface distances, in spacing units (null: one side empty). */
  hd95: number | null;
  /** Symmetric Hausdorff distance (max), in spacing units. */
  hausdorff: number | null;
  voxelsA: number;
  voxelsB: number;
}

function checkVolume(v: LabelVolume, what: string): void {
  if (!v || !Array.isArray(v.dims) || v.dims.length !== 3) throw new QualityInputError('SHAPE_MISMATCH', `${what}.dims must be [x, y, z]`);
  v.dims.forEach((d, i) => assertInteger(d, `${what}.dims[${i}]`, 1));
  const n = v.dims[0] * v.dims[1] * v.dims[2];
  if (v.data.length !== n) throw new QualityInputError('SHAPE_MISMATCH', `${what}.data has ${v.data.length} voxels, expected ${v.dims.join('×')} = ${n}`);
  (v.spacing ?? [1, 1, 1]).forEach((s, i) => {
    if (!(s > 0) || !Number.isFinite(s)) throw new QualityInputError('INVALID_NUMBER', `${what}.spacing[${i}] must be positive, got ${s}`);
  });
}

/** Surface voxels of a binary mask: foreground voxels with a 6-neighbour in the background or outside the volume. */
export function surfaceVoxels(mask: Uint8Array, dims: readonly [number, number, number]): Uint8Array {
  const [X, Y, Z] = dims;
  const out = new Uint8Array(mask.length);
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const i = x + X * (y + Y * z);
        if (!mask[i]) continue;
        const edge =
          x === 0 ||
          x === X - 1 ||
          y === 0 ||
          y === Y - 1 ||
          (Z > 1 && (z === 0 || z === Z - 1)) ||
          !mask[i - 1] ||
          !mask[i + 1] ||
          !mask[i - X] ||
          !mask[i + X] ||
          (Z > 1 && (!mask[i - X * Y] || !mask[i + X * Y]));
        if (edge) out[i] = 1;
      }
    }
  }
  return out;
}

/**
 * Exact Euclidean squared distance transform to the non-zero voxels of `features`, with anisotropic spacing
 * (Felzenszwalb & Huttenlocher 2012, separable lower envelope of parabolas).
 */
export function squaredDistanceTransform(features: Uint8Array, dims: readonly [number, number, number], spacing: readonly [number, number, number] = [1, 1, 1]): Float64Array {
  const [X, Y, Z] = dims;
  const d = new Float64Array(features.length);
  for (let i = 0; i < d.length; i++) d[i] = features[i] ? 0 : Infinity;
  const maxLen = Math.max(X, Y, Z);
  const f = new Float64Array(maxLen);
  const out = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const zb = new Float64Array(maxLen + 1);
  const pass = (len: number, stride: number, starts: Iterable<number>, s: number): void => {
    for (const base of starts) {
      for (let i = 0; i < len; i++) f[i] = d[base + i * stride] as number;
      let k = -1;
      for (let q = 0; q < len; q++) {
        const fq = f[q] as number;
        if (fq === Infinity) continue;
        const pq = q * s;
        for (;;) {
          if (k < 0) {
            k = 0;
            v[0] = q;
            zb[0] = -Infinity;
            break;
          }
          const r = v[k] as number;
          const pr = r * s;
          const inter = (fq + pq * pq - ((f[r] as number) + pr * pr)) / (2 * (pq - pr));
          if (inter <= (zb[k] as number)) {
            k--;
            continue;
          }
          k++;
          v[k] = q;
          zb[k] = inter;
          break;
        }
        zb[k + 1] = Infinity;
      }
      if (k < 0) continue;
      let j = 0;
      for (let q = 0; q < len; q++) {
        const pq = q * s;
        while ((zb[j + 1] as number) < pq) j++;
        const r = v[j] as number;
        out[q] = (pq - r * s) ** 2 + (f[r] as number);
      }
      for (let i = 0; i < len; i++) d[base + i * stride] = out[i] as number;
    }
  };
  const rowsX = function* (): Generator<number> {
    for (let z = 0; z < Z; z++) for (let y = 0; y < Y; y++) yield X * (y + Y * z);
  };
  const rowsY = function* (): Generator<number> {
    for (let z = 0; z < Z; z++) for (let x = 0; x < X; x++) yield x + X * Y * z;
  };
  const rowsZ = function* (): Generator<number> {
    for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) yield x + X * y;
  };
  pass(X, 1, rowsX(), spacing[0]);
  pass(Y, X, rowsY(), spacing[1]);
  if (Z > 1) pass(Z, X * Y, rowsZ(), spacing[2]);
  return d;
}

function directedDistances(from: Uint8Array, toDistSq: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < from.length; i++) if (from[i]) out.push(Math.sqrt(toDistSq[i] as number));
  return out.sort((a, b) => a - b);
}

/** Surface distances between two binary masks: HD95 (MONAI: max of directed 95th percentiles) and Hausdorff. */
export function surfaceDistances(
  a: Uint8Array,
  b: Uint8Array,
  dims: readonly [number, number, number],
  spacing: readonly [number, number, number] = [1, 1, 1],
): { hd95: number | null; hausdorff: number | null } {
  let anyA = false;
  let anyB = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]) anyA = true;
    if (b[i]) anyB = true;
  }
  const empty = emptyDistance(!anyA, !anyB);
  if (empty !== undefined) return { hd95: empty, hausdorff: empty };
  const sa = surfaceVoxels(a, dims);
  const sb = surfaceVoxels(b, dims);
  const ab = directedDistances(sa, squaredDistanceTransform(sb, dims, spacing));
  const ba = directedDistances(sb, squaredDistanceTransform(sa, dims, spacing));
  return {
    hd95: Math.max(quantileSorted(ab, 0.95), quantileSorted(ba, 0.95)),
    hausdorff: Math.max(ab[ab.length - 1] as number, ba[ba.length - 1] as number),
  };
}

/**
 * Per-label agreement of two label volumes on the same grid (0 = background). Labels are those present in
 * either volume, or `labels` when given (a label absent from both: Dice = IoU = 1, distances 0).
 */
export function volumeAgreement(a: LabelVolume, b: LabelVolume, labels?: readonly number[]): LabelAgreement[] {
  checkVolume(a, 'volume a');
  checkVolume(b, 'volume b');
  if (a.dims.some((d, i) => d !== b.dims[i])) throw new QualityInputError('SHAPE_MISMATCH', `volume dims differ: ${a.dims.join('×')} vs ${b.dims.join('×')}`);
  const spacing = a.spacing ?? [1, 1, 1];
  if (b.spacing && b.spacing.some((s, i) => Math.abs(s - (spacing[i] as number)) > 1e-9)) throw new QualityInputError('SHAPE_MISMATCH', 'volumes have different voxel spacing');
  const present = new Set<number>();
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i]) present.add(a.data[i] as number);
    if (b.data[i]) present.add(b.data[i] as number);
  }
  const list = labels ? [...labels] : [...present].sort((x, y) => x - y);
  return list.map((label) => {
    const ma = new Uint8Array(a.data.length);
    const mb = new Uint8Array(b.data.length);
    let na = 0;
    let nb = 0;
    let inter = 0;
    for (let i = 0; i < ma.length; i++) {
      const p = a.data[i] === label;
      const q = b.data[i] === label;
      if (p) {
        ma[i] = 1;
        na++;
      }
      if (q) {
        mb[i] = 1;
        nb++;
      }
      if (p && q) inter++;
    }
    const d = surfaceDistances(ma, mb, a.dims, spacing);
    return { label, dice: overlapRatio(2 * inter, na + nb), iou: overlapRatio(inter, na + nb - inter), hd95: d.hd95, hausdorff: d.hausdorff, voxelsA: na, voxelsB: nb };
  });
}
