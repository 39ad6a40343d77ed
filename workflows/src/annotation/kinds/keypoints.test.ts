import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../../domain/label-schema.ts';
import type { AnnotationContext, MediaBounds } from '../module.ts';
import { annotationType, labelSchemaProblems, parseLabels, taskConsensus } from '../registry.ts';
import { instanceOks, type KeypointsLabel } from './keypoints.ts';
import { expectProblem, parseOk } from '../test-helpers.ts';

const base = {
  geometry: 'keypoints',
  classes: [
    { key: 'grasper', name: 'Grasper' },
    { key: 'hook', name: 'Hook' },
  ],
  keypoints: ['tip', 'joint', 'base'],
  skeleton: [
    ['tip', 'joint'],
    ['joint', 'base'],
  ],
};
const schema = labelSchemaSchema.parse(base);
const ctxOf = (media: MediaBounds = { width: 200, height: 100 }, frame: number | null = null): AnnotationContext => ({ schema, media, frame });
const ctx = ctxOf();

const parse = (c: AnnotationContext, data: unknown): KeypointsLabel => parseOk<KeypointsLabel>(c, data);

/** A tool: tip, joint and base along a line from (x, y), 40 px long. */
const tool = (x: number, y: number, label = 'grasper') => ({
  label,
  points: [
    [x, y, 2],
    [x + 20, y + 10, 2],
    [x + 40, y + 20, 1],
  ],
});

describe('keypoints schema', () => {
  it('needs keypoint names, known skeleton names and one sigma per keypoint', () => {
    expect(labelSchemaProblems(schema)).toEqual([]);
    expect(labelSchemaProblems(labelSchemaSchema.parse({ ...base, keypoints: [], skeleton: [] }))).toContain('keypoints: a keypoints campaign needs its keypoint names');
    expect(labelSchemaProblems(labelSchemaSchema.parse({ ...base, skeleton: [['tip', 'handle']] }))).toEqual([expect.stringMatching(/^skeleton\.0\.1: unknown keypoint 'handle'/)]);
    expect(labelSchemaProblems(labelSchemaSchema.parse({ ...base, keypointSigmas: [0.1, 0.1] }))).toEqual([
      expect.stringMatching(/^keypointSigmas: expected one sigma per keypoint \(3\), got 2/),
    ]);
    expect(labelSchemaProblems(labelSchemaSchema.parse({ ...base, keypointSigmas: [0.1, 0.1, 0.2] }))).toEqual([]);
  });
});

describe('keypoints payload', () => {
  it('parses to one canonical form whatever the key order', () => {
    const a = parse(ctx, { objects: [{ label: 'grasper', points: tool(10, 10).points, attributes: {} }], frame: undefined });
    const b = parse(ctx, { objects: [{ attributes: {}, points: tool(10, 10).points, label: 'grasper' }] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(annotationType('keypoints').agreement(a, b, ctx)).toMatchObject({ value: 1, metric: 'instance-f1@oks0.5-x-class-agreement', details: { meanOKS: 1 } });
  });

  it('refuses malformed points, naming the field', () => {
    const pts = tool(10, 10).points;
    expectProblem(ctx, { objects: [{ label: 'grasper', points: pts.slice(0, 2) }] }, 'objects.0.points', /exactly 3 points.*tip, joint, base/);
    expectProblem(ctx, { objects: [{ label: 'grasper', points: [...pts, [1, 1, 2]] }] }, 'objects.0.points', /exactly 3 points/);
    expectProblem(ctx, { objects: [{ label: 'grasper', points: [pts[0], [5, 5, 3], pts[2]] }] }, 'objects.0.points.1.2', /v must be 0/);
    expectProblem(ctx, { objects: [{ label: 'grasper', points: [pts[0], [5, 5, 0], pts[2]] }] }, 'objects.0.points.1', /not labelled \(v = 0\) must be \[0, 0, 0\]/);
    expectProblem(ctx, { objects: [{ label: 'grasper', points: [[201, 5, 2], pts[1], pts[2]] }] }, 'objects.0.points.0.0', /x must lie inside the image \(0\.\.200\)/);
    expectProblem(ctx, { objects: [{ label: 'grasper', points: [[5, -1, 1], pts[1], pts[2]] }] }, 'objects.0.points.0.1', /y must lie inside the image/);
    expectProblem(ctx, { objects: [{ label: 'grasper', points: [[Infinity, 5, 2], pts[1], pts[2]] }] }, 'objects.0.points.0.0', /finite|expected number/);
    expectProblem(ctx, { objects: [{ label: 'scalpel', points: pts }] }, 'objects.0.label', /unknown class/);
    expectProblem(ctx, { objects: [{ label: 'grasper', points: pts, confidence: 1 }] }, 'objects.0', /unrecognized key/i);
    expectProblem(ctxOf({ width: 200, height: 100 }, 5), { objects: [], frame: 6 }, 'frame', /this task is frame 5/);
    // A point not labelled at [0, 0, 0] is fine.
    expect(parse(ctx, { objects: [{ label: 'grasper', points: [pts[0], [0, 0, 0], pts[2]] }] }).objects[0]!.points[1]).toEqual([0, 0, 0]);
  });
});

describe('keypoints agreement and consensus', () => {
  const agree = (a: KeypointsLabel, b: KeypointsLabel) => annotationType('keypoints').agreement(a, b, ctx);

  it('is symmetric, high for close instances and low for different ones', () => {
    const a = parse(ctx, { objects: [tool(10, 10), tool(100, 50, 'hook')] });
    const close = parse(ctx, { objects: [tool(11, 10), tool(100, 51, 'hook')] });
    const far = parse(ctx, { objects: [tool(120, 60), tool(10, 70, 'hook')] });
    const swapped = parse(ctx, { objects: [tool(10, 10, 'hook'), tool(100, 50)] });
    expect(agree(a, close).value).toBe(1);
    expect(agree(a, close).details!.meanOKS).toBeGreaterThan(0.5);
    expect(agree(a, close).details!.meanOKS).toBeLessThan(1);
    expect(agree(a, far).value).toBe(0);
    expect(agree(a, swapped).value).toBe(0);
    expect(agree(close, a)).toEqual(agree(a, close));
    expect(instanceOks(a.objects[0]!, close.objects[0]!, [0.05, 0.05, 0.05])).toBeCloseTo(instanceOks(close.objects[0]!, a.objects[0]!, [0.05, 0.05, 0.05]), 15);
    expect(agree(a, parse(ctx, { objects: [tool(10, 10)] })).value).toBeCloseTo(2 / 3, 12);
  });

  it('fuses the instances a majority agrees on', () => {
    const labels = parseLabels(ctx, [
      { annotator: 'a', data: { objects: [tool(10, 10), tool(150, 20, 'hook')] } },
      { annotator: 'b', data: { objects: [tool(12, 10)] } },
      { annotator: 'c', data: { objects: [tool(100, 60, 'hook')] } },
    ]);
    const c = taskConsensus(ctx, labels);
    expect(c.method).toBe('keypoint-fusion');
    const data = c.data as KeypointsLabel;
    expect(data.objects).toHaveLength(1);
    expect(data.objects[0]!.label).toBe('grasper');
    expect(data.objects[0]!.points).toEqual([
      [11, 10, 2],
      [31, 20, 2],
      [51, 30, 1],
    ]);
    expect(parse(ctx, data)).toEqual(data);
  });
});
