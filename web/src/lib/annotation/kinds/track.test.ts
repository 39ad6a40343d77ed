import { describe, expect, it } from 'vitest';
import { checkLabel } from '../modules';
import { copyFromPrevious, newTrack, setKeyframe, shapeAt, trackData, type Track } from './track';

const t: Track = {
  id: 1,
  label: 'grasper',
  keyframes: [
    { frame: 0, box: [10, 10, 20, 20] },
    { frame: 10, box: [30, 10, 40, 20] },
    { frame: 20, box: [30, 10, 40, 20], outside: true },
    { frame: 30, box: [0, 0, 10, 10], occluded: true },
  ],
};

describe('track interpolation', () => {
  it('interpolates linearly between visible keyframes', () => {
    expect(shapeAt(t, 0)).toEqual({ box: [10, 10, 20, 20], keyframe: true, occluded: false });
    expect(shapeAt(t, 5)).toEqual({ box: [20, 10, 30, 20], keyframe: false, occluded: false });
  });

  it('holds the box before an outside keyframe, is absent from it to the next keyframe, and holds after the last', () => {
    expect(shapeAt(t, 15)!.box).toEqual([30, 10, 40, 20]);
    expect(shapeAt(t, 20)).toBeNull();
    expect(shapeAt(t, 29)).toBeNull();
    expect(shapeAt(t, 30)).toEqual({ box: [0, 0, 10, 10], keyframe: true, occluded: true });
    expect(shapeAt(t, 99)).toEqual({ box: [0, 0, 10, 10], keyframe: false, occluded: true });
    expect(shapeAt({ ...t, keyframes: [{ frame: 4, box: [1, 1, 1, 1] }] }, 3)).toBeNull();
  });

  it('a keyframe made between others starts from the interpolated box and keeps frames ordered', () => {
    const moved = setKeyframe(t, 5, { occluded: true });
    expect(moved.keyframes.map((k) => k.frame)).toEqual([0, 5, 10, 20, 30]);
    expect(moved.keyframes[1]).toEqual({ frame: 5, box: [20, 10, 30, 20], occluded: true });
    const outside = setKeyframe(t, 12, { outside: true });
    expect(outside.keyframes[2]).toEqual({ frame: 12, box: [30, 10, 40, 20], outside: true });
    expect(shapeAt(outside, 12)).toBeNull();
    expect(shapeAt(setKeyframe(outside, 12, { outside: false }), 12)!.keyframe).toBe(true);
  });

  it('copies the previous frame onto the current one and numbers new tracks', () => {
    const copied = copyFromPrevious([t], 6);
    expect(copied[0]!.keyframes.find((k) => k.frame === 6)).toEqual({ frame: 6, box: [20, 10, 30, 20] });
    expect(copyFromPrevious([t], 21)).toEqual([t]);
    expect(newTrack([t], 'hook', 3, [1, 2, 3, 4])).toEqual({ id: 2, label: 'hook', keyframes: [{ frame: 3, box: [1, 2, 3, 4] }] });
  });

  it('the payload rounds boxes and refuses a track that is never visible', () => {
    expect(trackData([{ id: 3, label: 'hook', keyframes: [{ frame: 0, box: [1.234, 2, 3, 4] }] }, { id: 4, label: 'hook', keyframes: [] }])).toEqual({
      tracks: [{ id: 3, label: 'hook', keyframes: [{ frame: 0, box: [1.23, 2, 3, 4] }] }],
    });
    const schema = { geometry: 'track' as const, classes: [{ key: 'hook', name: 'Hook' }] };
    const neverVisible = { tracks: [{ id: 1, label: 'hook', keyframes: [{ frame: 0, box: [0, 0, 1, 1], outside: true }] }] };
    expect(checkLabel(neverVisible, { schema, asset: null, frameIndex: null })).toMatchObject({ ok: false });
  });
});
