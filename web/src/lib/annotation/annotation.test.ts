import { describe, expect, it } from 'vitest';
import { rleArea, rleEncode, rleFromString, rleToString } from '@suture/workflows/quality';
import type { LabelSchema } from '$lib/types';
import { bbox } from './kinds/bbox';
import { asKeypoints, keypoints, skeletonBones } from './kinds/keypoints';
import { asMasks, mask } from './kinds/mask';
import { polygon } from './kinds/polygon';
import { polyline } from './kinds/polyline';
import { annotationKinds, checkLabel, readableProblem, summarizeLabel } from './modules';
import { markAgreement, maskDisagreement } from './review';

const classes = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'hook', name: 'Hook' },
];
const schema = (geometry: LabelSchema['geometry'], extra: Partial<LabelSchema> = {}): LabelSchema => ({ geometry, classes, ...extra });
const square = (x: number, y: number, s: number): Array<[number, number]> => [
  [x, y],
  [x + s, y],
  [x + s, y + s],
  [x, y + s],
];

describe('annotation kind modules', () => {
  it("registers a module for every geometry; summaries are the server module's", () => {
    expect(Object.keys(annotationKinds).sort()).toEqual(['bbox', 'classification', 'keypoints', 'mask', 'phases', 'polygon', 'polyline', 'track', 'volume']);
    expect(summarizeLabel(schema('polygon'), { objects: [{ label: 'hook', rings: [square(0, 0, 5)] }, { label: 'hook', rings: [square(9, 9, 5)] }] })).toBe('2 polygons: Hook x2');
    expect(summarizeLabel(schema('classification'), { label: 'grasper' })).toBe('Grasper');
    expect(summarizeLabel(schema('bbox'), { objects: [] })).toBe('no boxes');
    expect(summarizeLabel(schema('bbox'), { objects: [{ label: 'nope', box: [0, 0, 1, 1] }] })).toMatch(/^label not readable \(object #1 label: unknown class/);
  });

  it("checkLabel: the server module's rules against the asset's bounds and the task's frame, each problem naming its field", () => {
    const asset = { kind: 'IMAGE', metadata: { probe: { width: 100, height: 50 } } };
    const task = { schema: schema('bbox'), asset, frameIndex: 4 };
    expect(checkLabel({ objects: [{ label: 'hook', box: [10, 10, 20, 20] }] }, task)).toEqual({ ok: true, data: { objects: [{ label: 'hook', box: [10, 10, 20, 20] }], frame: 4 } });
    const refused = checkLabel({ objects: [{ label: 'hook', box: [10, 10, 20, 20] }, { label: 'hook', box: [90, 40, 20, 5] }] }, task);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.problems).toEqual(['object #2 box[2]: the box ends at x=110, past the image width 100']);
    // Without the asset's size the same box passes: the bounds come from the media.
    expect(checkLabel({ objects: [{ label: 'hook', box: [90, 40, 20, 5] }] }, { ...task, asset: null }).ok).toBe(true);
    expect(readableProblem('objects.0.points.2.1: y must lie inside the image')).toBe('object #1 point #3[1]: y must lie inside the image');
    expect(readableProblem('(root): expected object')).toBe('(root): expected object');
  });

  it('polygon payload: rounded rings, attributes kept when the schema defines them, frame of the task; self-intersection refused', () => {
    const s = schema('polygon', { attributes: [{ key: 'occluded', name: 'Occluded', type: 'boolean' }] });
    const value = { objects: [{ label: 'grasper', rings: [square(1.234, 2, 10), square(3, 4, 2)], attributes: { occluded: true, unknown: 1 } }] };
    const result = polygon.payload(value, { schema: s, frameIndex: 7 });
    expect(result).toEqual({
      ok: true,
      data: { objects: [{ label: 'grasper', rings: [square(1.23, 2, 10).map(([x, y]) => [Math.round(x * 100) / 100, y]), square(3, 4, 2)], attributes: { occluded: true } }], frame: 7 },
    });
    const bowTie: Array<[number, number]> = [
      [0, 0],
      [10, 10],
      [10, 0],
      [0, 10],
    ];
    const task = { schema: s, asset: null, frameIndex: null };
    const refused = checkLabel({ objects: [{ label: 'grasper', rings: [bowTie] }] }, task);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.problems[0]).toMatch(/^object #1 rings: .*intersect/i);
    const holeOutside = checkLabel({ objects: [{ label: 'grasper', rings: [square(0, 0, 10), square(20, 20, 2)] }] }, task);
    if (holeOutside.ok) throw new Error('a hole outside its outline passed');
    expect(holeOutside.problems[0]).toMatch(/outside/);
    expect(polygon.payload(null, { schema: s, frameIndex: null })).toEqual({ ok: true, data: { objects: [] } });
  });

  it('mask payload: COCO compressed RLE of the bitmap, empty masks dropped; strings and runs both read back', () => {
    const width = 6;
    const height = 4;
    const data = new Uint8Array(width * height);
    for (const [x, y] of [
      [1, 1],
      [2, 1],
      [2, 2],
    ] as Array<[number, number]>)
      data[y * width + x] = 1;
    const rle = rleEncode({ width, height, data });
    const empty = rleEncode({ width, height, data: new Uint8Array(width * height) });
    const result = mask.payload({ objects: [{ label: 'hook', rle }, { label: 'grasper', rle: empty }] }, { schema: schema('mask'), frameIndex: null });
    if (!result.ok) throw new Error(result.problem);
    const objects = (result.data as { objects: Array<{ label: string; rle: { size: [number, number]; counts: string } }> }).objects;
    expect(objects).toHaveLength(1);
    expect(objects[0]!.rle.size).toEqual([4, 6]);
    expect(objects[0]!.rle.counts).toBe(rleToString(rle));
    expect(rleArea(rleFromString(objects[0]!.rle))).toBe(3);
    expect(asMasks(result.data)[0]!.rle.counts).toEqual(rle.counts);
    expect(asMasks({ objects: [{ label: 'hook', rle: { size: [4, 6], counts: 'not!a~valid' } }] })).toEqual([]);
  });

  it('keypoints: padded to the schema, v=0 points zeroed, bones by index', () => {
    const s = schema('keypoints', { keypoints: ['tip', 'joint', 'base'], skeleton: [['tip', 'joint'], ['joint', 'base']] });
    expect(skeletonBones(s)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    const read = asKeypoints({ objects: [{ label: 'grasper', points: [[5, 6, 2], [7, 8, 0]] }] }, s);
    expect(read[0]!.points).toEqual([
      [5, 6, 2],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const out = keypoints.payload({ objects: [{ label: 'grasper', points: [[5.555, 6, 1], [9, 9, 0], [1, 2, 2]] }] }, { schema: s, frameIndex: 3 });
    expect(out).toEqual({ ok: true, data: { objects: [{ label: 'grasper', points: [[5.56, 6, 1], [0, 0, 0], [1, 2, 2]] }], frame: 3 } });
  });

  it('polyline needs two points per line', () => {
    const task = { schema: schema('polyline'), asset: null, frameIndex: null };
    expect(checkLabel({ objects: [{ label: 'hook', points: [[1, 1]] }] }, task).ok).toBe(false);
    expect(checkLabel({ objects: [{ label: 'hook', points: [[1, 1], [5, 5]] }] }, task).ok).toBe(true);
    expect(polyline.payload({ objects: [{ label: 'hook', points: [[1.234, 1]] }] }, { schema: schema('polyline'), frameIndex: null })).toEqual({
      ok: true,
      data: { objects: [{ label: 'hook', points: [[1.23, 1]] }] },
    });
  });
});

describe('review agreement', () => {
  it('marks an object agreed only when every other label has one the module matches (IoU >= 0.5, same class)', () => {
    const s = schema('polygon');
    const shared = { label: 'grasper', rings: [square(0, 0, 10)] };
    const a = { objects: [shared, { label: 'hook', rings: [square(50, 50, 10)] }] };
    const b = { objects: [{ label: 'grasper', rings: [square(1, 1, 10)] }, { label: 'hook', rings: [square(80, 80, 10)] }] };
    const c = { objects: [shared] };
    const marks = markAgreement(polygon, [a, b, c], s).map((objects) => objects.map((o) => o.agreed));
    expect(marks).toEqual([[true, false], [true, false], [true]]);
    // Same shape, other class: not the same object.
    const relabelled = { objects: [{ label: 'hook', rings: [square(0, 0, 10)] }] };
    expect(markAgreement(polygon, [c, relabelled], s).map((objects) => objects.map((o) => o.agreed))).toEqual([[false], [false]]);
    const box = (label: string, x: number) => ({ objects: [{ label, box: [x, 0, 10, 10] }] });
    expect(markAgreement(bbox, [box('hook', 0), box('hook', 1)], schema('bbox')).flat().map((o) => o.agreed)).toEqual([true, true]);
    expect(markAgreement(bbox, [box('hook', 0), box('grasper', 0)], schema('bbox')).flat().map((o) => o.agreed)).toEqual([false, false]);
  });

  it('keypoints agree by OKS, polylines by distance against the tolerance', () => {
    const k = schema('keypoints', { keypoints: ['tip', 'base'] });
    const near = { objects: [{ label: 'grasper', points: [[10, 10, 2], [60, 60, 2]] }] };
    const nearToo = { objects: [{ label: 'grasper', points: [[11, 10, 2], [60, 61, 2]] }] };
    const far = { objects: [{ label: 'grasper', points: [[200, 10, 2], [260, 60, 2]] }] };
    expect(markAgreement(keypoints, [near, nearToo], k).flat().map((o) => o.agreed)).toEqual([true, true]);
    expect(markAgreement(keypoints, [near, far], k).flat().map((o) => o.agreed)).toEqual([false, false]);
    const p = schema('polyline', { polylineTolerance: 10 });
    const line = (dy: number) => ({ objects: [{ label: 'hook', points: [[0, dy], [100, dy]] }] });
    expect(markAgreement(polyline, [line(0), line(3)], p).flat().map((o) => o.agreed)).toEqual([true, true]);
    expect(markAgreement(polyline, [line(0), line(40)], p).flat().map((o) => o.agreed)).toEqual([false, false]);
  });

  it('mask disagreement map: pixels some but not all annotators painted', () => {
    const width = 4;
    const height = 2;
    const bitmap = (pixels: number[]) => {
      const data = new Uint8Array(width * height);
      for (const i of pixels) data[i] = 1;
      return rleEncode({ width, height, data });
    };
    const label = (pixels: number[]) => ({ objects: [{ label: 'hook', rle: { size: [height, width], counts: rleToString(bitmap(pixels)) } }] });
    const marked = markAgreement(mask, [label([0, 1, 2]), label([1, 2, 3])], schema('mask'));
    const map = maskDisagreement(marked)!;
    expect(map.pixels).toBe(2);
    expect([...map.data]).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
    expect(marked.flat().map((o) => o.agreed)).toEqual([true, true]); // IoU 2/4 = 0.5
  });
});
