import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../../domain/label-schema.ts';
import { rleDecode, rleEncode, rleFromString, rleToString, type Rle } from '../../quality/index.ts';
import type { AnnotationContext, MediaBounds } from '../module.ts';
import { annotationType, parseLabels, taskAgreement, taskConsensus } from '../registry.ts';
import type { MaskLabel } from './mask.ts';
import { expectProblem, parseOk } from '../test-helpers.ts';

const schema = labelSchemaSchema.parse({
  geometry: 'mask',
  classes: [
    { key: 'liver', name: 'Liver' },
    { key: 'tool', name: 'Tool' },
  ],
  attributes: [{ key: 'bleeding', name: 'Bleeding', type: 'boolean' }],
});
const ctxOf = (media: MediaBounds = { width: 8, height: 6 }, frame: number | null = null): AnnotationContext => ({ schema, media, frame });
const ctx = ctxOf();

/** Row-major rectangle [x0, x1) × [y0, y1) on a w × h image, encoded as COCO RLE. */
function rect(x0: number, y0: number, x1: number, y1: number, w = 8, h = 6): Rle {
  const data = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * w + x] = 1;
  return rleEncode({ width: w, height: h, data });
}

const parse = (c: AnnotationContext, data: unknown): MaskLabel => parseOk<MaskLabel>(c, data);
const obj = (rle: Rle, label = 'liver') => ({ label, rle: { size: rle.size, counts: rle.counts } });

describe('mask payload', () => {
  it('stores counts as the COCO compressed string, whatever form and key order they came in', () => {
    const r = rect(1, 1, 4, 3);
    const a = parse(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: r.counts }, attributes: { bleeding: true }, confidence: 0.9 }] });
    const b = parse(ctx, { objects: [{ confidence: 0.9, attributes: { bleeding: true }, rle: { counts: rleToString(r), size: [6, 8] }, label: 'liver' }] });
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.objects[0]!.rle.counts).toBe(rleToString(r));
    expect(Object.keys(a.objects[0]!)).toEqual(['label', 'rle', 'attributes', 'confidence']);
    expect(annotationType('mask').agreement(a, b, ctx)).toMatchObject({ value: 1, metric: 'object-f1@0.5-x-class-agreement' });
  });

  it('normalises runs so the same mask has one canonical string', () => {
    const r = rect(1, 1, 4, 3);
    // An empty interior run of 1s splits a run of 0s: the same mask.
    const split = [r.counts[0]! - 2, 0, 2, ...r.counts.slice(1)];
    const a = parse(ctx, { objects: [obj(r)] });
    const b = parse(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: split } }] });
    expect(b).toEqual(a);
  });

  it('refuses what later stages could not handle, naming the field', () => {
    const r = rect(1, 1, 4, 3);
    expectProblem(ctx, { objects: [obj(r, 'spleen')] }, 'objects.0.label', /unknown class/);
    expectProblem(ctx, { objects: [{ ...obj(r), colour: 'red' }] }, 'objects.0', /unrecognized key/i);
    expectProblem(ctx, { objects: [{ label: 'liver', rle: { size: [8, 6], counts: rect(1, 1, 4, 3, 6, 8).counts } }] }, 'objects.0.rle.size', /must be \[6, 8\]/);
    expectProblem(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: [10, -2, 40] } }] }, 'objects.0.rle.counts.1', /non-negative integer/);
    expectProblem(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: [10, 2.5, 35.5] } }] }, 'objects.0.rle.counts.1', /non-negative integer/);
    expectProblem(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: [10, 5, 20] } }] }, 'objects.0.rle.counts', /sum to 35, expected height x width = 48/);
    expectProblem(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: 'P' } }] }, 'objects.0.rle.counts', /not a valid COCO compressed RLE/);
    expectProblem(
      ctx,
      { objects: [{ label: 'liver', rle: { size: [6, 8], counts: '\u0001\u0002' } }] },
      'objects.0.rle.counts',
      /not a valid COCO compressed RLE.*invalid character/,
    );
    expectProblem(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: 42 } }] }, 'objects.0.rle.counts', /COCO compressed RLE string or an array/);
    expectProblem(ctx, { objects: [{ label: 'liver', rle: { size: [6, 8], counts: [48] } }] }, 'objects.0.rle', /mask is empty/);
    expectProblem(ctx, { objects: [{ ...obj(r), attributes: { colour: 'red' } }] }, 'objects.0.attributes.colour', /unknown attribute/);
    expectProblem(ctx, { objects: [{ ...obj(r), attributes: { bleeding: 'yes' } }] }, 'objects.0.attributes.bleeding', /true or false/);
    expectProblem(ctx, { objects: [{ ...obj(r), confidence: 1.5 }] }, 'objects.0.confidence', /1/);
    expectProblem(ctx, { objects: [], extra: 1 }, '(root)', /unrecognized key/i);
  });

  it('bounds the frame and the mask size', () => {
    const r = rect(1, 1, 4, 3);
    expectProblem(ctxOf({ width: 8, height: 6 }, 3), { objects: [obj(r)], frame: 4 }, 'frame', /this task is frame 3/);
    expectProblem(ctxOf({ width: 8, height: 6, frameCount: 3 }), { objects: [obj(r)], frame: 3 }, 'frame', /past the last frame \(2\)/);
    expect(parse(ctxOf({ width: 8, height: 6 }, 3), { objects: [obj(r)], frame: 3 }).frame).toBe(3);
    // Image size unknown: a huge size is refused, and every object of a label must be the same size.
    expectProblem(ctxOf({}), { objects: [{ label: 'liver', rle: { size: [100_000, 100_000], counts: [1e10 - 1, 1] } }] }, 'objects.0.rle.size', /at most/);
    expectProblem(ctxOf({}), { objects: [obj(r), obj(rect(1, 1, 3, 3, 5, 5))] }, 'objects.1.rle.size', /first object/);
  });
});

describe('mask agreement', () => {
  const label = (...objects: Array<{ label: string; rle: Rle }>) => parse(ctx, { objects: objects.map((o) => obj(o.rle, o.label)) });
  const agree = (a: MaskLabel, b: MaskLabel) => annotationType('mask').agreement(a, b, ctx);

  it('is low for clearly different labels and symmetric', () => {
    const a = label({ label: 'liver', rle: rect(0, 0, 3, 3) });
    const far = label({ label: 'liver', rle: rect(5, 3, 8, 6) });
    const otherClass = label({ label: 'tool', rle: rect(0, 0, 3, 3) });
    expect(agree(a, far).value).toBe(0);
    expect(agree(a, otherClass).value).toBe(0);
    const near = label({ label: 'liver', rle: rect(0, 0, 3, 2) });
    const x = agree(a, near);
    expect(x.value).toBe(1);
    expect(x.details?.meanMatchedIoU).toBeCloseTo(6 / 9, 12);
    expect(x.details?.meanMatchedDice).toBeCloseTo(12 / 15, 12);
    expect(agree(near, a)).toEqual(x);
    // Two objects against one: F1 = 2/3.
    const two = label({ label: 'liver', rle: rect(0, 0, 3, 3) }, { label: 'tool', rle: rect(5, 3, 8, 6) });
    expect(agree(a, two).value).toBeCloseTo(2 / 3, 12);
    expect(agree(label(), label()).value).toBe(1);
  });
});

describe('mask consensus', () => {
  it('gives the majority geometry per class (STAPLE), one object per class, valid payload', () => {
    const liverA = rect(1, 1, 5, 4);
    const labels = [
      { annotator: 'ann', data: { objects: [obj(liverA), obj(rect(6, 4, 8, 6), 'tool')] } },
      { annotator: 'bob', data: { objects: [obj(liverA), obj(rect(6, 4, 8, 6), 'tool')] } },
      // Carol draws the liver elsewhere in two pieces, and no tool.
      { annotator: 'carol', data: { objects: [obj(rect(0, 0, 2, 2)), obj(rect(6, 0, 8, 2))] } },
    ];
    const parsed = parseLabels(ctx, labels);
    const c = taskConsensus(ctx, parsed);
    expect(c.method).toBe('staple');
    const data = c.data as MaskLabel;
    expect(data.objects.map((o) => o.label)).toEqual(['liver', 'tool']);
    expect(rleDecode(rleFromString(data.objects[0]!.rle)).data).toEqual(rleDecode(liverA).data);
    expect(rleDecode(rleFromString(data.objects[1]!.rle)).data).toEqual(rleDecode(rect(6, 4, 8, 6)).data);
    expect(parse(ctx, data)).toEqual(data);
    expect(taskAgreement(ctx, parsed).value).toBeLessThan(1);
  });

  it("uses the campaign's pixel majority vote when it chose one: a pixel most annotators painted", () => {
    const labels = parseLabels(ctx, [
      { annotator: 'ann', data: { objects: [obj(rect(0, 0, 6, 4))] } },
      { annotator: 'bob', data: { objects: [obj(rect(2, 0, 8, 4))] } },
      { annotator: 'carol', data: { objects: [obj(rect(2, 2, 8, 6))] } },
    ]);
    const voted = taskConsensus({ ...ctx, consensusMethod: 'pixel-majority-vote' }, labels);
    expect(voted.method).toBe('pixel-majority-vote');
    // Painted by two of three: x 2..5 on rows 0..3 (ann and bob) and x 2..7 on rows 2..3 (bob and carol).
    const expected = new Uint8Array(48);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) expected[y * 8 + x] = (y < 4 && x >= 2 && x < 6) || (y >= 2 && y < 4 && x >= 2) ? 1 : 0;
    expect(rleDecode(rleFromString((voted.data as MaskLabel).objects[0]!.rle)).data).toEqual(expected);
    expect(taskConsensus(ctx, labels).method).toBe('staple');
    expect(annotationType('mask').consensusMethods(schema)).toMatchObject({ default: 'staple', choices: [{ id: 'staple' }, { id: 'pixel-majority-vote' }] });
  });

  it('crops STAPLE to the foreground on a 4K frame', () => {
    const big = ctxOf({ width: 3840, height: 2160 }, 7);
    const r = rect(2000, 1000, 2040, 1030, 3840, 2160);
    const other = rect(100, 100, 120, 120, 3840, 2160);
    const labels = parseLabels(big, [
      { annotator: 'a', data: { objects: [obj(r)], frame: 7 } },
      { annotator: 'b', data: { objects: [obj(r)], frame: 7 } },
      { annotator: 'c', data: { objects: [obj(other)], frame: 7 } },
    ]);
    const c = taskConsensus(big, labels).data as MaskLabel;
    expect(c.frame).toBe(7);
    expect(c.objects).toHaveLength(1);
    expect(c.objects[0]!.rle.counts).toBe(rleToString(r));
  });
});
