// The modules' pre-label decoders: raw model outputs -> a payload of the kind that passes the module's own
// check, and a task confidence. Refusals name what does not fit.
import { describe, expect, it } from 'vitest';
import { labelSchemaSchema, type GeometryKind } from '../../domain/label-schema.ts';
import { rleDecode, rleFromString } from '../../quality/index.ts';
import { PrelabelMismatchError } from '../model-output.ts';
import type { AnnotationContext, MediaBounds, ModelOutput } from '../module.ts';
import { annotationType, parseLabel } from '../registry.ts';
import type { BoxLabel } from './bbox.ts';
import type { ClassificationLabel } from './classification.ts';
import type { MaskLabel } from './mask.ts';

const classes = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'hook', name: 'Hook' },
  { key: 'clip', name: 'Clip' },
];
const ctxOf = (geometry: GeometryKind, media: MediaBounds = { width: 40, height: 30 }, extra: Record<string, unknown> = {}): AnnotationContext => ({
  schema: labelSchemaSchema.parse({ geometry, classes, ...extra }),
  media,
  frame: null,
});
const out = (dims: number[], values: number[]): Record<string, ModelOutput> => ({ y: { data: Float32Array.from(values), dims } });

function decode<D>(ctx: AnnotationContext, outputs: Record<string, ModelOutput>, input = { width: 32, height: 32 }): { data: D; confidence: number } {
  const result = annotationType(ctx.schema.geometry).prelabel!.decode(outputs, ctx, input) as { data: D; confidence: number };
  const parsed = parseLabel(ctx, result.data);
  if (!parsed.ok) throw new Error(`the decoded label does not pass its module's check: ${parsed.problems.join('; ')}`);
  expect(parsed.value).toEqual(result.data);
  expect(result.confidence).toBeGreaterThanOrEqual(0);
  expect(result.confidence).toBeLessThanOrEqual(1);
  return result;
}

describe('classification pre-label decoder', () => {
  const ctx = ctxOf('classification');

  it('takes the most probable class of the softmax of one logit per class', () => {
    const r = decode<ClassificationLabel>(ctx, out([1, 3], [0, 5, 1]));
    expect(r.data).toEqual({ label: 'hook' });
    const e = [Math.exp(0), Math.exp(5), Math.exp(1)];
    expect(r.confidence).toBeCloseTo(e[1]! / (e[0]! + e[1]! + e[2]!), 6);
  });

  it('is unsure when every class scores the same', () => {
    expect(decode(ctx, out([1, 3], [2, 2, 2])).confidence).toBeCloseTo(1 / 3, 6);
  });

  it('gives every class with p >= 0.5 in multi-label campaigns', () => {
    const multi = ctxOf('classification', undefined, { multiLabel: true });
    const r = decode<ClassificationLabel>(multi, out([1, 3], [4, -4, 0.5]));
    expect(r.data).toEqual({ labels: ['clip', 'grasper'] });
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    expect(r.confidence).toBeCloseTo((s(4) + s(4) + s(0.5)) / 3, 6);
  });

  it('refuses a model with another number of classes, or non-finite scores', () => {
    expect(() => decode(ctx, out([1, 4], [1, 2, 3, 4]))).toThrow(PrelabelMismatchError);
    expect(() => decode(ctx, out([1, 4], [1, 2, 3, 4]))).toThrow(/4 scores but the label schema has 3 classes/);
    expect(() => decode(ctx, out([1, 3], [1, Number.NaN, 3]))).toThrow(/finite/);
  });
});

describe('bbox pre-label decoder', () => {
  const ctx = ctxOf('bbox');

  it('keeps confident detections, scaled from model input to image pixels, best first', () => {
    // Model input 32 x 32, image 40 x 30: x * 1.25, y * 0.9375.
    const r = decode<BoxLabel>(
      ctx,
      out(
        [1, 3, 6],
        [
          [2, 4, 16, 28, 0.5, 0],
          [8, 8, 24, 16, 0.9, 2],
          [0, 0, 10, 10, 0.1, 1], // below 0.25: not suggested
        ].flat(),
      ),
    );
    expect(r.data.objects).toEqual([
      { label: 'clip', box: [10, 7.5, 20, 7.5], confidence: expect.closeTo(0.9, 6) },
      { label: 'grasper', box: [2.5, 3.75, 17.5, 22.5], confidence: 0.5 },
    ]);
    expect(r.confidence).toBeCloseTo(0.7, 6);
  });

  it('clips boxes to the image and drops boxes left empty', () => {
    const r = decode<BoxLabel>(
      ctx,
      out(
        [4, 6],
        [
          [-8, -8, 8, 8, 0.8, 1], // clipped to [0, 0, 10, 7.5]
          [20, 10, 48, 40, 0.6, 0], // clipped to the right and bottom edges
          [40, 0, 50, 10, 0.9, 0], // entirely outside: empty after clipping
          [10, 10, 10, 20, 0.9, 0], // zero width
        ].flat(),
      ),
    );
    expect(r.data.objects.map((o) => o.box)).toEqual([
      [0, 0, 10, 7.5],
      [25, 9.38, 15, 20.62],
    ]);
    expect(r.confidence).toBeCloseTo(0.7, 6);
  });

  it('is as sure of an empty image as the best rejected detection was unsure', () => {
    const r = decode<BoxLabel>(ctx, out([2, 6], [0, 0, 8, 8, 0.2, 0, 0, 0, 8, 8, 0.05, 1]));
    expect(r.data).toEqual({ objects: [] });
    expect(r.confidence).toBeCloseTo(0.8, 6);
    expect(decode(ctx, out([0, 6], [])).confidence).toBe(1);
  });

  it('refuses outputs of another shape and class indexes outside the schema', () => {
    expect(() => decode(ctx, out([1, 3], [0, 1, 2]))).toThrow(/rows of 3 values, expected 6/);
    expect(() => decode(ctx, out([2, 3, 6], new Array(36).fill(0)))).toThrow(/expected \[N, 6\]/);
    expect(() => decode(ctx, out([1, 6], [0, 0, 8, 8, 0.9, 3]))).toThrow(/class index 3; the label schema has 3 classes/);
    // A low-scoring row with a bad class is not looked at.
    expect(decode(ctx, out([1, 6], [0, 0, 8, 8, 0.1, 7])).data).toEqual({ objects: [] });
  });
});

describe('mask pre-label decoder', () => {
  const ctx = ctxOf('mask', { width: 8, height: 6 });

  /** [C, H, W] planes of a 4 x 4 model output, each from a function of (x, y). */
  const planes = (...fns: Array<(x: number, y: number) => number>): number[] => fns.flatMap((f) => Array.from({ length: 16 }, (_, i) => f(i % 4, Math.floor(i / 4))));
  const bitmapOf = (o: MaskLabel['objects'][number]): number[][] => {
    const b = rleDecode(rleFromString(o.rle));
    return Array.from({ length: b.height }, (_, y) => Array.from(b.data.subarray(y * b.width, (y + 1) * b.width)));
  };

  it('thresholds each class plane at 0.5 and resizes it to the image (nearest neighbour)', () => {
    const r = decode<MaskLabel>(
      ctx,
      out(
        [1, 3, 4, 4],
        planes(
          (x) => (x < 2 ? 0.9 : 0.1), // grasper: left half
          () => 0.2, // hook: nothing
          (x, y) => (x === 3 && y === 0 ? 0.7 : 0), // clip: one model pixel, top right
        ),
      ),
      { width: 4, height: 4 },
    );
    expect(r.data.objects.map((o) => o.label)).toEqual(['grasper', 'clip']);
    const [grasper, clip] = r.data.objects;
    expect(grasper!.rle.size).toEqual([6, 8]);
    expect(bitmapOf(grasper!)).toEqual(Array.from({ length: 6 }, () => [1, 1, 1, 1, 0, 0, 0, 0]));
    // Pixel centres: image column x reads model column floor((x + 0.5) * 4 / 8), row y model row
    // floor((y + 0.5) * 4 / 6); model pixel (3, 0) covers image columns 6-7 of row 0.
    expect(bitmapOf(clip!)).toEqual([[0, 0, 0, 0, 0, 0, 1, 1], ...Array.from({ length: 5 }, () => new Array(8).fill(0))]);
    expect(grasper!.confidence).toBeCloseTo(0.9, 6);
    expect(clip!.confidence).toBeCloseTo(0.7, 6);
    // Mean probability over every kept model pixel: 8 at 0.9, 1 at 0.7.
    expect(r.confidence).toBeCloseTo((8 * 0.9 + 0.7) / 9, 6);
  });

  it('suggests nothing when no pixel reaches 0.5, as sure as the most probable pixel was unsure', () => {
    const r = decode<MaskLabel>(
      ctx,
      out(
        [3, 4, 4],
        planes(
          () => 0.1,
          () => 0.3,
          () => 0,
        ),
      ),
    );
    expect(r.data).toEqual({ objects: [] });
    expect(r.confidence).toBeCloseTo(0.7, 6);
  });

  it('refuses outputs of another shape or class count', () => {
    expect(() => decode(ctx, out([1, 3], [0, 1, 2]))).toThrow(/expected \[C, H, W\]/);
    expect(() =>
      decode(
        ctx,
        out(
          [2, 4, 4],
          planes(
            () => 1,
            () => 1,
          ),
        ),
      ),
    ).toThrow(/2 class planes but the label schema has 3 classes/);
    expect(() => decode(ctx, out([3, 4, 4], new Array(10).fill(0)))).toThrow(/10 values/);
  });
});

describe('kinds without a pre-label decoder', () => {
  it('have none (the activity skips them with a note)', () => {
    for (const kind of ['polygon', 'keypoints', 'polyline', 'track', 'phases', 'volume'] as const) expect(annotationType(kind).prelabel).toBeUndefined();
    for (const kind of ['classification', 'bbox', 'mask'] as const) expect(annotationType(kind).prelabel?.describe).toBeTruthy();
  });
});
