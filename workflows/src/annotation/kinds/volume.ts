// Segmentation of a whole CT/MR volume: the grid dims [X, Y, Z] and at most one segment per class, each a
// binary mask over the grid as runs in x-fastest order (index = x + X·(y + Y·z)), alternating 0s and 1s and
// starting with 0s. A voxel carries one class: segments must not overlap. The canonical form has the runs
// normalised (no empty interior run), the segments in the schema's class order, and no empty segment.
// Agreement: Dice per class over the classes either label has, averaged; HD95 beside it. Consensus (the
// campaign's method): 'staple' (default) per class on the bounding box of every rater's foreground (a voxel
// majority vote beyond STAPLE_MAX_RATERS raters), or 'voxel-majority-vote'; where two classes pass 0.5, the more
// probable wins.
import { z } from 'zod';
import type { LabelSchema } from '../../domain/label-schema.ts';
import { pixelMajorityVote, staple, volumeAgreement } from '../../quality/index.ts';
import { LIMITS, RunLengths, classKey, countByClass, plural } from '../common.ts';
import type { AnnotationContext, AnnotationType, ConsensusMethods, LabelOf } from '../module.ts';
import { normalizeRuns } from './mask.ts';

export type Dims = [number, number, number];
export interface VolumeSegment {
  label: string;
  /** Runs over the grid in x-fastest order, starting with 0s, summing to X·Y·Z. */
  rle: { counts: number[] };
}
export interface VolumeLabel {
  dims: Dims;
  segments: VolumeSegment[];
}

/** The consensus methods of volumes: STAPLE (default) or a voxel majority vote. */
const VOLUME_CONSENSUS: ConsensusMethods = {
  default: 'staple',
  choices: [
    {
      id: 'staple',
      title: 'STAPLE',
      description: "Each annotator's sensitivity and specificity are estimated together with the true segmentation, so a careful annotator's voxels count more.",
    },
    { id: 'voxel-majority-vote', title: 'Voxel majority vote', description: 'A voxel belongs to the class when more than half of the annotators painted it.' },
  ],
};

/** STAPLE handles at most this many raters; beyond it the consensus is a voxel majority vote. */
const STAPLE_MAX_RATERS = 16;

/** An inclusive box of voxels [x0, y0, z0, x1, y1, z1]. */
type Crop = [number, number, number, number, number, number];

const voxels = (d: readonly number[]): number => d[0]! * d[1]! * d[2]!;

/** Calls `fn(start, end)` (end exclusive) for each run of 1s. */
function forEachRun(counts: readonly number[], fn: (start: number, end: number) => void): void {
  let pos = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (k % 2 === 1 && c > 0) fn(pos, pos + c);
    pos += c;
  }
}

function foregroundCrop(segments: readonly VolumeSegment[], [X, Y]: readonly number[], crop: Crop | null = null): Crop | null {
  let box = crop;
  for (const s of segments)
    forEachRun(s.rle.counts, (start, end) => {
      const r0 = Math.floor(start / X!);
      const r1 = Math.floor((end - 1) / X!);
      const z0 = Math.floor(r0 / Y!);
      const z1 = Math.floor(r1 / Y!);
      const b: Crop = [r0 === r1 ? start % X! : 0, z0 === z1 ? r0 % Y! : 0, z0, r0 === r1 ? (end - 1) % X! : X! - 1, z0 === z1 ? r1 % Y! : Y! - 1, z1];
      box = box ? [Math.min(box[0], b[0]), Math.min(box[1], b[1]), Math.min(box[2], b[2]), Math.max(box[3], b[3]), Math.max(box[4], b[4]), Math.max(box[5], b[5])] : b;
    });
  return box;
}

const cropDims = (c: Crop): Dims => [c[3] - c[0] + 1, c[4] - c[1] + 1, c[5] - c[2] + 1];

/** Writes `value` into a crop (x-fastest within the crop) wherever the runs are 1. */
function paintCrop(counts: readonly number[], [X, Y]: readonly number[], crop: Crop, out: Uint8Array | Uint16Array, value: number): void {
  const [x0, y0, z0, x1, y1, z1] = crop;
  const [cx, cy] = cropDims(crop);
  forEachRun(counts, (start, end) => {
    const r0 = Math.floor(start / X!);
    const r1 = Math.floor((end - 1) / X!);
    for (let r = Math.max(r0, y0 + Y! * z0); r <= Math.min(r1, y1 + Y! * z1); r++) {
      const y = r % Y!;
      const z = Math.floor(r / Y!);
      if (y < y0 || y > y1) continue;
      const from = Math.max(r === r0 ? start - r * X! : 0, x0);
      const to = Math.min(r === r1 ? end - 1 - r * X! : X! - 1, x1);
      if (from > to) continue;
      const base = cx * (y - y0 + cy * (z - z0)) - x0;
      out.fill(value, base + from, base + to + 1);
    }
  });
}

/** Runs over the whole grid of a mask that is empty outside the crop (`inside(i)` for crop index i). */
function runsFromCrop(inside: (i: number) => boolean, [X, Y, Z]: readonly number[], crop: Crop): number[] {
  const [x0, y0, z0, x1, y1, z1] = crop;
  const [cx, cy] = cropDims(crop);
  const runs = new RunLengths();
  const push = (v: number, n: number): void => runs.push(v, n);
  push(0, X! * Y! * z0);
  for (let z = z0; z <= z1; z++) {
    push(0, X! * y0);
    for (let y = y0; y <= y1; y++) {
      push(0, x0);
      const base = cx * (y - y0 + cy * (z - z0));
      for (let i = 0; i < cx; i++) push(inside(base + i) ? 1 : 0, 1);
      push(0, X! - x1 - 1);
    }
    push(0, X! * (Y! - y1 - 1));
  }
  push(0, X! * Y! * (Z! - z1 - 1));
  return runs.finish();
}

/**
 * Checks that no voxel is in two segments: a k-way merge of the segments' (sorted, disjoint) runs of 1s,
 * allocating nothing per voxel. Returns the first overlap, or null.
 */
function firstOverlap(segments: readonly VolumeSegment[]): { voxel: number; a: number; b: number } | null {
  interface Cursor {
    seg: number;
    k: number;
    pos: number;
  }
  const counts = segments.map((s) => s.rle.counts);
  // Moves a cursor to its next run of 1s at or after its position; false when there is none.
  const advance = (c: Cursor): boolean => {
    const list = counts[c.seg]!;
    while (c.k < list.length && (c.k % 2 === 0 || list[c.k] === 0)) c.pos += list[c.k++]!;
    return c.k < list.length;
  };
  const heap: Cursor[] = [];
  const less = (i: number, j: number) => heap[i]!.pos < heap[j]!.pos;
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const push = (c: Cursor) => {
    heap.push(c);
    for (let i = heap.length - 1; i > 0 && less(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
  };
  const pop = (): Cursor => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top;
  };
  segments.forEach((_, seg) => {
    const c = { seg, k: 0, pos: 0 };
    if (advance(c)) push(c);
  });
  let end = 0;
  let owner = -1;
  while (heap.length) {
    const c = pop();
    if (c.pos < end) return { voxel: c.pos, a: owner, b: c.seg };
    end = c.pos + counts[c.seg]![c.k]!;
    owner = c.seg;
    c.pos = end;
    c.k++;
    if (advance(c)) push(c);
  }
  return null;
}

function checkDims(a: readonly number[], b: readonly number[]): void {
  if (a.some((d, i) => d !== b[i])) throw new Error(`volume labels of different grids: ${a.join('x')} vs ${b.join('x')}`);
}

const classValue = (schema: LabelSchema) => new Map(schema.classes.map((c, i) => [c.key, i + 1]));
const mapArray = (schema: LabelSchema, n: number): Uint8Array | Uint16Array => (schema.classes.length < 256 ? new Uint8Array(n) : new Uint16Array(n));

function pairAgreement(a: VolumeLabel, b: VolumeLabel, ctx: AnnotationContext) {
  checkDims(a.dims, b.dims);
  const box = foregroundCrop(b.segments, b.dims, foregroundCrop(a.segments, a.dims));
  if (!box) return { value: 1, metric: 'mean-dice', details: { meanHD95: 0 } };
  // One voxel of margin (inside the grid): surfaces and distances on the crop are those on the whole grid.
  const crop: Crop = [0, 1, 2].map((i) => Math.max(0, box[i]! - 1)).concat([0, 1, 2].map((i) => Math.min(a.dims[i]! - 1, box[i + 3]! + 1))) as Crop;
  const values = classValue(ctx.schema);
  const mapOf = (l: VolumeLabel) => {
    const out = mapArray(ctx.schema, voxels(cropDims(crop)));
    for (const s of l.segments) paintCrop(s.rle.counts, l.dims, crop, out, values.get(s.label)!);
    return out;
  };
  const spacing = ctx.media.volume?.spacing;
  const per = volumeAgreement({ dims: cropDims(crop), data: mapOf(a), ...(spacing ? { spacing } : {}) }, { dims: cropDims(crop), data: mapOf(b), ...(spacing ? { spacing } : {}) });
  const mean = per.reduce((s, p) => s + p.dice, 0) / per.length;
  const hd = per.some((p) => p.hd95 === null) ? null : per.reduce((s, p) => s + p.hd95!, 0) / per.length;
  const details: Record<string, number | null> = { meanHD95: hd };
  for (const p of per) details[`dice:${ctx.schema.classes[p.label - 1]?.key ?? p.label}`] = p.dice;
  return { value: mean, metric: 'mean-dice', details };
}

function consensusOf(labels: ReadonlyArray<LabelOf<VolumeLabel>>, ctx: AnnotationContext): { data: VolumeLabel; method: string } {
  const dims = ctx.media.volume?.dims ?? labels[0]!.data.dims;
  for (const l of labels) checkDims(l.data.dims, dims);
  const useStaple = (ctx.consensusMethod ?? VOLUME_CONSENSUS.default) === 'staple' && labels.length <= STAPLE_MAX_RATERS;
  const method = useStaple ? 'staple' : 'voxel-majority-vote';
  let crop: Crop | null = null;
  for (const l of labels) crop = foregroundCrop(l.data.segments, dims, crop);
  if (!crop) return { data: { dims: [dims[0], dims[1], dims[2]], segments: [] }, method };
  const n = voxels(cropDims(crop));
  const best = new Float64Array(n);
  const winner = mapArray(ctx.schema, n);
  const present = new Set(labels.flatMap((l) => l.data.segments.map((s) => s.label)));
  ctx.schema.classes.forEach((c, index) => {
    if (!present.has(c.key)) return;
    const raters = labels.map((l) => {
      const r = new Uint8Array(n);
      const s = l.data.segments.find((x) => x.label === c.key);
      if (s) paintCrop(s.rle.counts, dims, crop, r, 1);
      return r;
    });
    const probability = useStaple ? staple(raters).probability : Float64Array.from(pixelMajorityVote(raters));
    for (let i = 0; i < n; i++) {
      const p = probability[i]!;
      if (p >= 0.5 && p > best[i]!) {
        best[i] = p;
        winner[i] = index + 1;
      }
    }
  });
  const segments: VolumeSegment[] = [];
  ctx.schema.classes.forEach((c, index) => {
    if (!present.has(c.key)) return;
    const counts = runsFromCrop((i) => winner[i] === index + 1, dims, crop);
    if (counts.length > 1) segments.push({ label: c.key, rle: { counts } });
  });
  return { data: { dims: [dims[0], dims[1], dims[2]], segments }, method };
}

/** A label map for export (NIfTI, DICOM SEG): value = index of the class in schema.classes + 1, 0 = none. */
export function volumeLabelMap(data: VolumeLabel, schema: LabelSchema): { dims: Dims; data: Uint8Array | Uint16Array; classes: Array<{ value: number; key: string }> } {
  const values = classValue(schema);
  const out = mapArray(schema, voxels(data.dims));
  for (const s of data.segments) {
    const value = values.get(s.label);
    if (value === undefined) throw new Error(`segment of unknown class '${s.label}'`);
    forEachRun(s.rle.counts, (start, end) => out.fill(value, start, end));
  }
  return { dims: [data.dims[0], data.dims[1], data.dims[2]], data: out, classes: schema.classes.map((c, i) => ({ value: i + 1, key: c.key })) };
}

/** The inverse of {@link volumeLabelMap}: a canonical volume label from a label map (x-fastest). */
export function volumeFromLabelMap(map: { dims: readonly [number, number, number]; data: ArrayLike<number> }, schema: LabelSchema): VolumeLabel {
  const n = voxels(map.dims);
  if (map.data.length !== n) throw new Error(`label map has ${map.data.length} voxels, expected ${map.dims.join('x')} = ${n}`);
  const state = new Map<number, { counts: number[]; last: number }>();
  const close = (value: number, start: number, end: number) => {
    if (value === 0) return;
    if (!Number.isInteger(value) || value < 0 || value > schema.classes.length)
      throw new Error(`label map value ${value} at voxel ${start} is not a class of the schema (1..${schema.classes.length})`);
    const s = state.get(value) ?? { counts: [], last: 0 };
    s.counts.push(start - s.last, end - start);
    s.last = end;
    state.set(value, s);
  };
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || map.data[i] !== map.data[start]) {
      close(map.data[start]!, start, i);
      start = i;
    }
  }
  const segments = [...state].sort(([a], [b]) => a - b).map(([value, s]) => ({ label: schema.classes[value - 1]!.key, rle: { counts: normalizeRuns([...s.counts, n - s.last]) } }));
  return { dims: [map.dims[0], map.dims[1], map.dims[2]], segments };
}

export const volume: AnnotationType<VolumeLabel> = {
  classesOf: (d) => d.segments.map((s) => s.label),
  kind: 'volume',
  title: 'Volume segmentation (3D)',
  payload(ctx) {
    const known = ctx.media.volume?.dims;
    const dim = (axis: string) => z.number().int(`${axis} must be a whole number of voxels`).min(1, `${axis} must be >= 1`);
    const dims = z.tuple([dim('X'), dim('Y'), dim('Z')]).superRefine((d, issue) => {
      if (known && d.some((v, i) => v !== known[i])) issue.addIssue({ code: 'custom', path: [], message: `must equal the volume's dims [${known.join(', ')}]` });
      else if (voxels(d) > LIMITS.volumeVoxels)
        issue.addIssue({ code: 'custom', path: [], message: `a volume has at most ${LIMITS.volumeVoxels} voxels, this one has ${voxels(d)}` });
    });
    const counts = z
      .custom<unknown[]>((v) => Array.isArray(v), { message: 'expected an array of run lengths' })
      .superRefine((c, issue) => {
        if (c.length > LIMITS.volumeRuns) return issue.addIssue({ code: 'custom', path: [], message: `at most ${LIMITS.volumeRuns} runs` });
        for (let i = 0; i < c.length; i++) {
          const v = c[i];
          if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
            return issue.addIssue({ code: 'custom', path: [i], message: 'a run length must be a non-negative integer' });
        }
      })
      .transform((c) => c as number[]);
    const segment = z.strictObject({ label: classKey(ctx.schema), rle: z.strictObject({ counts }) });
    const order = classValue(ctx.schema);
    return z
      .strictObject({ dims, segments: z.array(segment).max(ctx.schema.classes.length, 'at most one segment per class') })
      .superRefine((d, issue) => {
        const n = voxels(d.dims);
        const total = d.segments.reduce((s, x) => s + x.rle.counts.length, 0);
        if (total > LIMITS.volumeRuns) return issue.addIssue({ code: 'custom', path: ['segments'], message: `at most ${LIMITS.volumeRuns} runs in all, got ${total}` });
        const seen = new Map<string, number>();
        let ok = true;
        d.segments.forEach((s, i) => {
          const first = seen.get(s.label);
          if (first !== undefined) {
            ok = false;
            issue.addIssue({ code: 'custom', path: ['segments', i, 'label'], message: `class ${s.label} already has a segment (segments.${first}); one segment per class` });
          } else seen.set(s.label, i);
          let sum = 0;
          for (const c of s.rle.counts) sum += c;
          if (sum !== n) {
            ok = false;
            issue.addIssue({ code: 'custom', path: ['segments', i, 'rle', 'counts'], message: `the runs sum to ${sum}, expected X·Y·Z = ${n}` });
          }
        });
        if (!ok) return;
        const overlap = firstOverlap(d.segments);
        if (overlap) {
          const [X, Y] = d.dims;
          const x = overlap.voxel % X;
          const y = Math.floor(overlap.voxel / X) % Y;
          const z = Math.floor(overlap.voxel / (X * Y));
          issue.addIssue({
            code: 'custom',
            path: ['segments', overlap.b, 'rle', 'counts'],
            message: `overlaps segments.${overlap.a} (${d.segments[overlap.a]!.label}) at voxel [${x}, ${y}, ${z}]; a voxel carries one class`,
          });
        }
      })
      .transform((d): VolumeLabel => ({
        dims: d.dims,
        segments: d.segments
          .map((s) => ({ label: s.label, rle: { counts: normalizeRuns(s.rle.counts) } }))
          .filter((s) => s.rle.counts.length > 1)
          .sort((a, b) => order.get(a.label)! - order.get(b.label)!),
      }));
  },
  agreement: (a, b, ctx) => pairAgreement(a, b, ctx),
  consensus: (labels, ctx) => consensusOf(labels, ctx),
  consensusMethods: () => VOLUME_CONSENSUS,
  summarize(data, schema) {
    return data.segments.length === 0
      ? 'no segments'
      : `${plural(data.segments.length, 'segment')}: ${countByClass(
          schema,
          data.segments.map((s) => s.label),
        )}`;
  },
  objectCount: (data) => data.segments.length,
};
