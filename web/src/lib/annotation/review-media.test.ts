import { describe, expect, it } from 'vitest';
import { annotationType } from '@suture/workflows/annotation/registry';
import type { LabelSchema } from '$lib/types';
import { consensusOf, phaseDisagreement, trackAgreement, trackBox, volumeDisagreement, volumeLabelMap } from './review-media';

const phasesSchema: LabelSchema = {
  geometry: 'phases',
  classes: [],
  phases: [
    { key: 'prep', name: 'Preparation' },
    { key: 'dissection', name: 'Dissection' },
  ],
};
const video = { kind: 'VIDEO', metadata: { proxy: { frameCount: 60, width: 160, height: 120 } } };

describe('phase review', () => {
  it('marks the frames where the timelines differ, as runs', () => {
    const a = { segments: [{ phase: 'prep', start: 0, end: 20 }, { phase: 'dissection', start: 20, end: 60 }] };
    const b = { segments: [{ phase: 'prep', start: 0, end: 30 }, { phase: 'dissection', start: 30, end: 50 }] };
    const d = phaseDisagreement([a, b], 60);
    expect(d.runs).toEqual([
      [20, 30],
      [50, 60],
    ]);
    expect(d.frames).toBe(20);
    expect(phaseDisagreement([a, a], 60).frames).toBe(0);
    expect(phaseDisagreement([a], 60).runs).toEqual([]);
  });

  it('merges with the server module: per-frame majority', () => {
    const labels = [
      { id: 'x', data: { segments: [{ phase: 'prep', start: 0, end: 20 }, { phase: 'dissection', start: 20, end: 60 }] } },
      { id: 'y', data: { segments: [{ phase: 'prep', start: 0, end: 30 }, { phase: 'dissection', start: 30, end: 60 }] } },
      { id: 'z', data: { segments: [{ phase: 'prep', start: 0, end: 20 }, { phase: 'dissection', start: 20, end: 60 }] } },
    ];
    const merged = consensusOf(phasesSchema, video, null, labels);
    expect(merged).toMatchObject({ ok: true, method: 'per-frame-vote', data: labels[0]!.data });
  });

  it('says why it cannot merge a label the server would refuse', () => {
    const merged = consensusOf(phasesSchema, video, null, [{ id: 'x', data: { segments: [{ phase: 'prep', start: 0, end: 99 }] } }]);
    expect(merged.ok).toBe(false);
    expect(!merged.ok && merged.problem).toContain('past the end of the video');
  });
});

describe('track review', () => {
  const track = (id: number, label: string, x: number, frames: number[]) => ({ id, label, keyframes: frames.map((frame) => ({ frame, box: [x, 10, 40, 40] })) });

  it('a track agrees when another annotator has one of its class at track IoU >= 0.5', () => {
    const ann = { tracks: [track(1, 'hook', 10, [0, 30]), track(2, 'grasper', 100, [0, 30])] };
    const ben = { tracks: [track(1, 'hook', 12, [0, 30]), track(7, 'hook', 100, [0, 30])] };
    const [a, b] = trackAgreement([ann, ben], 60);
    expect(a!.map((t) => t.agreed)).toEqual([true, false]); // the grasper's only match is of another class
    expect(b!.map((t) => t.agreed)).toEqual([true, false]);
    expect(a![0]!.bestIoU).toBeGreaterThan(0.8);
    expect(trackAgreement([ann], 60)[0]!.every((t) => !t.agreed)).toBe(true);
  });

  it('boxes interpolate between keyframes and vanish when outside', () => {
    const t = { id: 1, label: 'hook', keyframes: [{ frame: 0, box: [0, 0, 10, 10] as [number, number, number, number] }, { frame: 10, box: [10, 0, 10, 10] as [number, number, number, number] }, { frame: 20, box: [10, 0, 10, 10] as [number, number, number, number], outside: true as const }] };
    expect(trackBox(t, 5, 60)).toEqual([5, 0, 10, 10]);
    expect(trackBox(t, 25, 60)).toBeNull();
  });
});

describe('volume review', () => {
  const schema: LabelSchema = { geometry: 'volume', classes: [{ key: 'liver', name: 'Liver' }, { key: 'tumour', name: 'Tumour' }] };
  const dims: [number, number, number] = [4, 2, 1];

  it('maps labels to class values and marks the voxels they differ on', () => {
    const a = { dims, segments: [{ label: 'liver', rle: { counts: [0, 4, 4] } }] };
    const b = { dims, segments: [{ label: 'liver', rle: { counts: [0, 2, 6] } }, { label: 'tumour', rle: { counts: [2, 1, 5] } }] };
    const maps = [volumeLabelMap(a, schema, dims), volumeLabelMap(b, schema, dims)];
    expect([...maps[1]!]).toEqual([1, 1, 2, 0, 0, 0, 0, 0]);
    const d = volumeDisagreement(maps, schema);
    expect(d.differ).toBe(3);
    expect([...d.map]).toEqual([1, 1, 3, 3, 0, 0, 0, 0]);
    expect(d.voxels).toBe(2);
    expect(d.agreed).toEqual({ liver: 2, tumour: 0 });
    // One label alone is drawn as it is.
    expect([...volumeDisagreement([maps[1]!], schema).map]).toEqual([...maps[1]!]);
    // A label of another grid is not drawn.
    expect([...volumeLabelMap(a, schema, [2, 2, 2])]).toEqual(new Array(8).fill(0));
  });

  it('merges with the server module and an empty volume label is a valid payload', () => {
    const asset = { kind: 'NIFTI', metadata: { probe: { dims: [4, 2, 1] } } };
    const a = { id: 'a', data: { dims, segments: [{ label: 'liver', rle: { counts: [0, 4, 4] } }] } };
    const b = { id: 'b', data: { dims, segments: [{ label: 'liver', rle: { counts: [0, 3, 5] } }] } };
    const merged = consensusOf(schema, asset, null, [a, b]);
    expect(merged.ok).toBe(true);
    expect(merged.ok && (merged.data as { dims: number[] }).dims).toEqual(dims);
    const empty = annotationType('volume').payload({ schema: { geometry: 'volume', classes: schema.classes, attributes: [], phases: [], keypoints: [], skeleton: [], multiLabel: false, phaseOverlap: false, polylineTolerance: 10 }, media: { volume: { dims } }, frame: null }).safeParse({ dims, segments: [] });
    expect(empty.success).toBe(true);
  });
});
