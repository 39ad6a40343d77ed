// Building blocks the annotation type modules share: class keys, attributes, points and boxes checked
// against the campaign's schema and the media's bounds, and size limits that keep any one label bounded.
import { z } from 'zod';
import type { LabelSchema } from '../domain/label-schema.ts';
import type { AnnotationContext, LabelOf } from './module.ts';

/** Limits that keep one label small enough for every later stage (agreement is quadratic in objects). */
export const LIMITS = {
  objects: 2_000,
  pointsPerRing: 10_000,
  rings: 100,
  polylinePoints: 10_000,
  segments: 10_000,
  keyframes: 100_000,
  textLength: 2_000,
  /** Pixels of one mask (8192 x 8192) when the image size is not known; STAPLE works on a crop of it. */
  maskPixels: 8192 * 8192,
  /** Runs of one mask (uncompressed counts), and characters of its compressed COCO string. */
  maskRuns: 1_000_000,
  maskCountsChars: 8_000_000,
  /** Frames a whole-video label may reach when the video's length is unknown (10 h at 60 fps). */
  videoFrames: 2_160_000,
  /** Voxels of a volume grid (1024 x 1024 x 2048), and runs of all the segments of one volume label. */
  volumeVoxels: 1024 * 1024 * 2048,
  volumeRuns: 20_000_000,
} as const;

/** mapFrames of a label on one frame: its optional `frame` through the map. */
export function mapLabelFrame<L extends { frame?: number }>(data: L, map: (frame: number) => number): L {
  return data.frame === undefined ? data : { ...data, frame: map(data.frame) };
}

/** A class key of the campaign's schema. */
export function classKey(schema: LabelSchema): z.ZodType<string> {
  const keys = new Set(schema.classes.map((c) => c.key));
  return z.string().refine((v) => keys.has(v), { message: `unknown class; expected one of ${[...keys].slice(0, 20).join(', ')}` });
}

/** Per-object or per-label attribute values, checked against the schema's attribute definitions. */
export function attributes(schema: LabelSchema): z.ZodType<Record<string, boolean | number | string>> {
  const defs = new Map((schema.attributes ?? []).map((a) => [a.key, a]));
  return z.record(z.string(), z.union([z.boolean(), z.number(), z.string()])).superRefine((values, ctx) => {
    for (const [key, value] of Object.entries(values)) {
      const def = defs.get(key);
      if (!def) {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown attribute; the schema defines ${[...defs.keys()].join(', ') || 'none'}` });
        continue;
      }
      const bad = (expected: string) => ctx.addIssue({ code: 'custom', path: [key], message: `expected ${expected}` });
      if (def.type === 'boolean' && typeof value !== 'boolean') bad('true or false');
      else if (def.type === 'number' && (typeof value !== 'number' || !Number.isFinite(value))) bad('a finite number');
      else if (def.type === 'enum' && !(typeof value === 'string' && (def.options ?? []).includes(value))) bad(`one of ${(def.options ?? []).join(', ')}`);
      else if (def.type === 'text' && (typeof value !== 'string' || value.length > LIMITS.textLength)) bad(`text of at most ${LIMITS.textLength} characters`);
    }
  });
}

/** A finite number inside [0, max] when the bound is known. */
export function coordinate(max: number | undefined, axis: 'x' | 'y'): z.ZodType<number> {
  const base = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
  if (max === undefined) return base.refine((v) => v >= 0, { message: `${axis} must be >= 0` });
  return base.refine((v) => v >= 0 && v <= max, { message: `${axis} must lie inside the image (0..${max})` });
}

/** A point [x, y] inside the image. */
export function point(ctx: AnnotationContext): z.ZodType<[number, number]> {
  return z.tuple([coordinate(ctx.media.width, 'x'), coordinate(ctx.media.height, 'y')]);
}

/** A box [x, y, width, height] with positive size, inside the image. */
export function box(ctx: AnnotationContext): z.ZodType<[number, number, number, number]> {
  const { width, height } = ctx.media;
  return z
    .tuple([coordinate(width, 'x'), coordinate(height, 'y'), z.number().gt(0, 'width must be > 0'), z.number().gt(0, 'height must be > 0')])
    .superRefine(([x, y, w, h], issue) => {
      if (width !== undefined && x + w > width + 1e-6) issue.addIssue({ code: 'custom', path: [2], message: `the box ends at x=${x + w}, past the image width ${width}` });
      if (height !== undefined && y + h > height + 1e-6) issue.addIssue({ code: 'custom', path: [3], message: `the box ends at y=${y + h}, past the image height ${height}` });
    });
}

/** An integer frame number inside the video (when its length is known). */
export function frameNumber(ctx: AnnotationContext, what = 'frame'): z.ZodType<number> {
  const n = z.number().int(`${what} must be a whole frame number`).nonnegative(`${what} must be >= 0`);
  const count = ctx.media.frameCount;
  return count === undefined ? n.max(2 ** 31 - 1) : n.refine((v) => v < count, { message: `${what} is past the last frame (${count - 1})` });
}

/** An optional confidence in [0, 1] (pre-label suggestions carry one). */
export const confidence = z.number().min(0).max(1).optional();

/** Mean of the pairwise values of a label against every other label: the medoid has the highest. */
export function medoid<D>(labels: ReadonlyArray<LabelOf<D>>, agree: (a: D, b: D) => number): LabelOf<D> {
  let best = labels[0]!;
  let bestScore = -Infinity;
  for (const candidate of labels) {
    let score = 0;
    for (const other of labels) if (other !== candidate) score += agree(candidate.data, other.data);
    // Ties go to the annotator id that sorts first: deterministic whatever order the labels came in.
    if (score > bestScore + 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && candidate.annotator < best.annotator)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** "grasper x2, clip" from a list of class keys. */
export function countByClass(schema: LabelSchema, keys: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${className(schema, k)}${n > 1 ? ` x${n}` : ''}`).join(', ');
}

export function className(schema: LabelSchema, key: string): string {
  return schema.classes.find((c) => c.key === key)?.name ?? key;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The record with its keys sorted (canonical form). */
export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Each attribute's most frequent value (ties: the value that sorts first), or undefined when none was given. */
export function consensusAttributes(all: ReadonlyArray<Record<string, boolean | number | string>>): Record<string, boolean | number | string> | undefined {
  const keys = [...new Set(all.flatMap((a) => Object.keys(a)))].sort();
  if (keys.length === 0) return undefined;
  const out: Record<string, boolean | number | string> = {};
  for (const key of keys) {
    const counts = new Map<string, { value: boolean | number | string; n: number }>();
    for (const a of all) {
      if (!(key in a)) continue;
      const id = JSON.stringify(a[key]);
      const c = counts.get(id) ?? { value: a[key]!, n: 0 };
      c.n += 1;
      counts.set(id, c);
    }
    const best = [...counts].sort(([ia, a], [ib, b]) => b.n - a.n || (ia < ib ? -1 : 1))[0];
    if (best) out[key] = best[1].value;
  }
  return out;
}

/**
 * Builds alternating run lengths (0s first, as COCO RLE and volume masks store them) from stretches of equal
 * values: `push(value, length)` for each stretch in order, `finish()` for the counts.
 */
export class RunLengths {
  private readonly counts: number[] = [];
  private current = 0;
  private run = 0;

  push(value: number, length: number): void {
    if (length === 0) return;
    const v = value ? 1 : 0;
    if (v !== this.current) {
      this.counts.push(this.run);
      this.run = 0;
      this.current = v;
    }
    this.run += length;
  }

  finish(): number[] {
    return [...this.counts, this.run];
  }
}
