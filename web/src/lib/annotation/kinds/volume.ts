// Segmentation of a whole volume (NIfTI): `{dims: [X, Y, Z], segments: [{label, rle: {counts}}]}`, one
// binary mask per class over the grid in x-fastest order (index = x + X·(y + Y·z)), runs alternating and
// starting with 0s, summing to X·Y·Z; a voxel carries one class. The editor keeps a label map (0 = none,
// k = the schema's k-th class) in the viewer's RAS grid; these helpers turn it into the payload and back,
// and fill the slices between two drawn ones (shape-based interpolation of signed distances).
import type { LabelSchema } from '$lib/types';
import { isRecord } from '../common';
import type { AnnotationKind } from '../kind';

export type Dims = [number, number, number];
export interface VolumeSegment {
  label: string;
  rle: { counts: number[] };
}
export interface VolumeData {
  dims: Dims;
  segments: VolumeSegment[];
}

const isDims = (v: unknown): v is Dims => Array.isArray(v) && v.length === 3 && v.every((n) => Number.isInteger(n) && n >= 1);

export function asVolumeData(value: unknown): VolumeData | null {
  if (!isRecord(value) || !isDims(value.dims) || !Array.isArray(value.segments)) return null;
  const segments = value.segments.filter(
    (s): s is VolumeSegment => isRecord(s) && typeof s.label === 'string' && isRecord(s.rle) && Array.isArray(s.rle.counts) && s.rle.counts.every((c) => Number.isInteger(c) && c >= 0),
  );
  return { dims: value.dims, segments };
}

/** Runs of `labels === value` over the whole array: alternating, starting with 0s, no empty interior run. */
export function encodeRuns(labels: ArrayLike<number>, value: number): number[] {
  const counts: number[] = [];
  let current = false;
  let run = 0;
  for (let i = 0; i < labels.length; i++) {
    const on = labels[i] === value;
    if (on !== current) {
      counts.push(run);
      run = 0;
      current = on;
    }
    run++;
  }
  counts.push(run);
  return counts;
}

/** Writes `value` into `out` wherever the runs are 1s; returns how many voxels that is. */
export function decodeRuns(counts: readonly number[], out: Uint8Array, value: number): number {
  let pos = 0;
  let set = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (k % 2 === 1) {
      const end = Math.min(out.length, pos + c);
      out.fill(value, pos, end);
      set += Math.max(0, end - pos);
    }
    pos += c;
  }
  return set;
}

/** Voxels in the runs' 1s. */
export function runVoxels(counts: readonly number[]): number {
  let n = 0;
  for (let k = 1; k < counts.length; k += 2) n += counts[k]!;
  return n;
}

/** The payload of a label map (native grid order): one segment per class that has voxels, in the schema's order. */
export function volumeData(labels: Uint8Array, dims: Dims, schema: LabelSchema): VolumeData {
  const present = new Set<number>();
  for (let i = 0; i < labels.length; i++) if (labels[i]) present.add(labels[i]!);
  const segments = schema.classes.flatMap((c, k) => (present.has(k + 1) ? [{ label: c.key, rle: { counts: encodeRuns(labels, k + 1) } }] : []));
  return { dims: [...dims] as Dims, segments };
}

/** A label map (native grid order) from a payload; classes unknown to the schema are skipped. */
export function labelsFromVolume(data: VolumeData, schema: LabelSchema): Uint8Array {
  const labels = new Uint8Array(data.dims[0] * data.dims[1] * data.dims[2]);
  for (const s of data.segments) {
    const k = schema.classes.findIndex((c) => c.key === s.label);
    if (k >= 0) decodeRuns(s.rle.counts, labels, k + 1);
  }
  return labels;
}

/**
 * How a viewer's RAS-ordered grid maps onto the file's native voxels (NiiVue's img2RASstart/img2RASstep):
 * native index = Σ start[a] + r[a]·step[a] over the three RAS axes a, r the RAS voxel coordinates.
 */
export interface RasMapping {
  dimsRAS: Dims;
  start: Dims;
  step: Dims;
}

export function rasToNative(ras: Uint8Array, map: RasMapping): Uint8Array {
  const out = new Uint8Array(ras.length);
  forEachRas(map, (r, n) => (out[n] = ras[r]!));
  return out;
}

export function nativeToRas(native: Uint8Array, map: RasMapping): Uint8Array {
  const out = new Uint8Array(native.length);
  forEachRas(map, (r, n) => (out[r] = native[n]!));
  return out;
}

function forEachRas({ dimsRAS: [X, Y, Z], start, step }: RasMapping, fn: (ras: number, native: number) => void): void {
  let r = 0;
  for (let z = 0; z < Z; z++) {
    const nz = start[2] + z * step[2];
    for (let y = 0; y < Y; y++) {
      const ny = nz + start[1] + y * step[1];
      for (let x = 0; x < X; x++) fn(r++, ny + start[0] + x * step[0]);
    }
  }
}

/** Axis 0 = x (sagittal slices), 1 = y (coronal), 2 = z (axial). */
export type Axis = 0 | 1 | 2;

/** The grid of one slice along `axis`: width, height and the voxel index of slice s at (u, v). */
function sliceGeometry([X, Y, Z]: Dims, axis: Axis) {
  if (axis === 2) return { w: X, h: Y, count: Z, at: (s: number, u: number, v: number) => u + X * (v + Y * s) };
  if (axis === 1) return { w: X, h: Z, count: Y, at: (s: number, u: number, v: number) => u + X * (s + Y * v) };
  return { w: Y, h: Z, count: X, at: (s: number, u: number, v: number) => s + X * (u + Y * v) };
}

/** Slices along `axis` that hold voxels of `value`. */
export function slicesWith(labels: Uint8Array, dims: Dims, axis: Axis, value: number): number[] {
  const g = sliceGeometry(dims, axis);
  const out: number[] = [];
  for (let s = 0; s < g.count; s++) {
    search: for (let v = 0; v < g.h; v++) for (let u = 0; u < g.w; u++) if (labels[g.at(s, u, v)] === value) {
      out.push(s);
      break search;
    }
  }
  return out;
}

/** Chamfer (3-4) distance of each pixel to the nearest pixel where `inside` differs, in pixel units. */
function chamferDistance(mask: Uint8Array, w: number, h: number, inside: number): Float32Array {
  const big = 1e6;
  const d = new Float32Array(w * h);
  for (let i = 0; i < d.length; i++) d[i] = mask[i] === inside ? big : 0;
  const relax = (i: number, j: number, cost: number) => {
    if (d[j]! + cost < d[i]!) d[i] = d[j]! + cost;
  };
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = x + w * y;
      if (x > 0) relax(i, i - 1, 3);
      if (y > 0) {
        relax(i, i - w, 3);
        if (x > 0) relax(i, i - w - 1, 4);
        if (x < w - 1) relax(i, i - w + 1, 4);
      }
    }
  for (let y = h - 1; y >= 0; y--)
    for (let x = w - 1; x >= 0; x--) {
      const i = x + w * y;
      if (x < w - 1) relax(i, i + 1, 3);
      if (y < h - 1) {
        relax(i, i + w, 3);
        if (x < w - 1) relax(i, i + w + 1, 4);
        if (x > 0) relax(i, i + w - 1, 4);
      }
    }
  for (let i = 0; i < d.length; i++) d[i] = d[i]! / 3;
  return d;
}

/** Signed distance of a binary slice: positive inside (to the edge), negative outside. */
function signedDistance(mask: Uint8Array, w: number, h: number): Float32Array {
  const inside = chamferDistance(mask, w, h, 1);
  const outside = chamferDistance(mask, w, h, 0);
  const out = new Float32Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = mask[i] ? inside[i]! - 0.5 : 0.5 - outside[i]!;
  return out;
}

/**
 * Fills the slices between each pair of consecutive drawn slices of class `value` along `axis` by
 * interpolating their signed distance maps; voxels of other classes are left alone. Only gaps between
 * `from` and `to` (inclusive, slice numbers) are filled when given. Returns the voxels added.
 */
export function interpolateSlices(labels: Uint8Array, dims: Dims, axis: Axis, value: number, range?: { from: number; to: number }): number {
  const g = sliceGeometry(dims, axis);
  const drawn = slicesWith(labels, dims, axis, value).filter((s) => !range || (s >= range.from && s <= range.to));
  const slice = (s: number) => {
    const m = new Uint8Array(g.w * g.h);
    for (let v = 0; v < g.h; v++) for (let u = 0; u < g.w; u++) m[u + g.w * v] = labels[g.at(s, u, v)] === value ? 1 : 0;
    return m;
  };
  let added = 0;
  for (let k = 0; k + 1 < drawn.length; k++) {
    const a = drawn[k]!;
    const b = drawn[k + 1]!;
    if (b - a < 2) continue;
    const da = signedDistance(slice(a), g.w, g.h);
    const db = signedDistance(slice(b), g.w, g.h);
    for (let s = a + 1; s < b; s++) {
      const t = (s - a) / (b - a);
      for (let v = 0; v < g.h; v++)
        for (let u = 0; u < g.w; u++) {
          const p = u + g.w * v;
          if ((1 - t) * da[p]! + t * db[p]! > 0) {
            const i = g.at(s, u, v);
            if (labels[i] === 0) {
              labels[i] = value;
              added++;
            }
          }
        }
    }
  }
  return added;
}

export const volume: AnnotationKind = {
  kind: 'volume',
  title: 'Volume segmentation (CT/MR)',
  payload(value) {
    const data = asVolumeData(value);
    if (!data) return { ok: false, problem: 'The volume is not loaded yet, or nothing was painted.' };
    return { ok: true, data };
  },
};
