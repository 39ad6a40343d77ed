import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../../domain/label-schema.ts';
import { LIMITS } from '../common.ts';
import type { AnnotationContext, MediaBounds } from '../module.ts';
import { annotationType, parseLabels, taskConsensus } from '../registry.ts';
import type { PolylineLabel } from './polyline.ts';
import { expectProblem, parseOk } from '../test-helpers.ts';

const schema = labelSchemaSchema.parse({
  geometry: 'polyline',
  classes: [
    { key: 'shaft', name: 'Shaft' },
    { key: 'vessel', name: 'Vessel' },
  ],
  attributes: [{ key: 'side', name: 'Side', type: 'enum', options: ['left', 'right'] }],
  polylineTolerance: 5,
});
const ctxOf = (media: MediaBounds = { width: 100, height: 80 }, frame: number | null = null): AnnotationContext => ({ schema, media, frame });
const ctx = ctxOf();

const parse = (c: AnnotationContext, data: unknown): PolylineLabel => parseOk<PolylineLabel>(c, data);
const line = (y: number, label = 'shaft', x0 = 10, x1 = 60) => ({
  label,
  points: [
    [x0, y],
    [(x0 + x1) / 2, y],
    [x1, y],
  ],
});

describe('polyline payload', () => {
  it('parses to one canonical form whatever the key order', () => {
    const a = parse(ctx, { objects: [{ label: 'shaft', points: line(20).points, attributes: { side: 'left' } }], frame: 0 });
    const b = parse(ctx, { frame: 0, objects: [{ attributes: { side: 'left' }, points: line(20).points, label: 'shaft' }] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(annotationType('polyline').agreement(a, b, ctx)).toMatchObject({ value: 1, metric: 'line-f1@tolerance-x-class-agreement', details: { meanDistance: 0, hausdorff: 0 } });
  });

  it('refuses malformed lines, naming the field', () => {
    expectProblem(ctx, { objects: [{ label: 'shaft', points: [[1, 1]] }] }, 'objects.0.points', /at least 2 points/);
    expectProblem(
      ctx,
      {
        objects: [
          {
            label: 'shaft',
            points: [
              [4, 4],
              [4, 4],
              [4, 4],
            ],
          },
        ],
      },
      'objects.0.points',
      /zero length/,
    );
    const tooMany = Array.from({ length: LIMITS.polylinePoints + 1 }, (_, i) => [(i % 90) + 1, 5]);
    expectProblem(ctx, { objects: [{ label: 'shaft', points: tooMany }] }, 'objects.0.points', /at most 10000 points/);
    expectProblem(
      ctx,
      {
        objects: [
          {
            label: 'shaft',
            points: [
              [1, 1],
              [101, 5],
            ],
          },
        ],
      },
      'objects.0.points.1.0',
      /x must lie inside the image \(0\.\.100\)/,
    );
    expectProblem(
      ctx,
      {
        objects: [
          {
            label: 'shaft',
            points: [
              [1, 1],
              [5, 81],
            ],
          },
        ],
      },
      'objects.0.points.1.1',
      /y must lie inside the image \(0\.\.80\)/,
    );
    expectProblem(ctx, { objects: [line(20, 'nerve')] }, 'objects.0.label', /unknown class/);
    expectProblem(ctx, { objects: [{ ...line(20), attributes: { side: 'up' } }] }, 'objects.0.attributes.side', /one of left, right/);
    expectProblem(ctx, { objects: [{ ...line(20), closed: true }] }, 'objects.0', /unrecognized key/i);
    expectProblem(ctxOf({ width: 100, height: 80, frameCount: 10 }), { objects: [line(20)], frame: 10 }, 'frame', /past the last frame \(9\)/);
  });
});

describe('polyline agreement and consensus', () => {
  const agree = (a: PolylineLabel, b: PolylineLabel) => annotationType('polyline').agreement(a, b, ctx);

  it('matches lines within the tolerance and is low for different lines', () => {
    const a = parse(ctx, { objects: [line(20), line(60, 'vessel')] });
    const shifted = parse(ctx, { objects: [line(22), line(61, 'vessel')] });
    const x = agree(a, shifted);
    expect(x.value).toBe(1);
    expect(x.details!.meanDistance).toBeCloseTo(1.5, 9);
    expect(x.details!.hausdorff).toBeCloseTo(2, 9);
    expect(agree(shifted, a)).toEqual(x);
    const far = parse(ctx, { objects: [line(35), line(75, 'vessel')] });
    expect(agree(a, far)).toMatchObject({ value: 0, details: { meanDistance: null, hausdorff: null } });
    // Crossing the tolerance: a slanted line 0..14 px away from the first (mean about 7 px > 5 px).
    const slanted = parse(ctx, {
      objects: [
        {
          label: 'shaft',
          points: [
            [10, 34],
            [60, 20],
          ],
        },
      ],
    });
    const one = parse(ctx, { objects: [line(20)] });
    expect(agree(one, slanted).value).toBe(0);
    const swapped = parse(ctx, { objects: [line(20, 'vessel'), line(60)] });
    expect(agree(a, swapped).value).toBe(0);
    expect(agree(a, parse(ctx, { objects: [line(20)] })).value).toBeCloseTo(2 / 3, 12);
  });

  it('takes the medoid label as consensus', () => {
    const labels = parseLabels(ctx, [
      { annotator: 'a', data: { objects: [line(20)] } },
      { annotator: 'b', data: { objects: [line(21)] } },
      { annotator: 'c', data: { objects: [line(70, 'vessel')] } },
    ]);
    const c = taskConsensus(ctx, labels);
    expect(c.method).toBe('medoid');
    expect((c.data as PolylineLabel).objects[0]!.label).toBe('shaft');
    expect([20, 21]).toContain((c.data as PolylineLabel).objects[0]!.points[0]![1]);
  });
});
