import { describe, expect, it } from 'vitest';
import type { FrameIndex } from '../../frames';
import { frameLayout, gopOfFrame, layoutMismatch, wantedGops, type CodedSample } from './frame-layout';

/** Two closed GOPs of a 25 fps track with B-frames, in decode order (timescale 12800: 512 ticks a frame): I P B B | I P B. */
function track(): CodedSample[] {
  const at = (frame: number, isSync = false, i = 0): CodedSample => ({ cts: 1024 + frame * 512, isSync, offset: 1000 + i * 100, size: 100 });
  return [at(0, true, 0), at(3, false, 1), at(1, false, 2), at(2, false, 3), at(4, true, 4), at(6, false, 5), at(5, false, 6)];
}

describe('the frames of a proxy track as the decoder sees them', () => {
  it('numbers frames in presentation order and cuts decode order into GOPs', () => {
    const layout = frameLayout(track(), 12800);
    expect(layout.frameCount).toBe(7);
    expect([...layout.frameOf]).toEqual([0, 3, 1, 2, 4, 6, 5]);
    expect([...layout.decodeOf]).toEqual([0, 2, 3, 1, 4, 6, 5]);
    expect(layout.gopStarts).toEqual([0, 4, 7]);
    expect(layout.gopFrames).toEqual([0, 4, 7]);
    // Times from the first frame (the edit list's offset of 1024 ticks is gone).
    expect([...layout.times]).toEqual([0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24]);
    expect([0, 3, 4, 6].map((n) => gopOfFrame(layout.gopFrames, n))).toEqual([0, 0, 1, 1]);
  });

  it('refuses tracks it cannot decode one GOP at a time, saying why', () => {
    expect(() => frameLayout([], 12800)).toThrow('the video track has no frames');
    expect(() => frameLayout(track().slice(1), 12800)).toThrow('the video track does not start on a sync frame');
    // Open GOP: a B-frame decoded after the second I-frame is shown before it (frames 4 | 5 6 → 5 6 4 decoded).
    const open = track();
    open[4] = { ...open[4]!, cts: 1024 + 5 * 512 };
    open[5] = { ...open[5]!, cts: 1024 + 6 * 512 };
    open[6] = { ...open[6]!, cts: 1024 + 4 * 512 };
    expect(() => frameLayout(open, 12800)).toThrow('the GOP at frame 4 is open (it shows frames before its sync frame)');
    const twice = track();
    twice[1] = { ...twice[1]!, cts: twice[2]!.cts };
    expect(() => frameLayout(twice, 12800)).toThrow('frames 1 and 2 of the video track have the same time');
  });

  it('holds the GOP shown and the next one in the stepping direction, and the one behind near its edge', () => {
    const gops = [0, 25, 50, 75, 100];
    expect(wantedGops(gops, 30, 1)).toEqual([1, 2]);
    expect(wantedGops(gops, 26, 1)).toEqual([1, 2, 0]);
    expect(wantedGops(gops, 30, -1)).toEqual([1, 0]);
    expect(wantedGops(gops, 48, -1)).toEqual([1, 0, 2]);
    expect(wantedGops(gops, 99, 1)).toEqual([3]);
    expect(wantedGops(gops, 0, -1)).toEqual([0]);
  });

  it('agrees with frames.json only when every frame is at its time', () => {
    const layout = frameLayout(track(), 12800);
    const index = (runs: FrameIndex['runs'], frameCount = 7): FrameIndex => ({ timeBase: { num: 1, den: 12800 }, frameCount, runs });
    expect(layoutMismatch(layout, index([[0, 0, 512, 7]]), 7)).toBeNull();
    expect(layoutMismatch(layout, null, 7)).toBeNull();
    expect(layoutMismatch(layout, index([[0, 0, 512, 7]]), 8)).toBe('the video track has 7 frames, the player counts 8');
    expect(layoutMismatch(layout, index([[0, 0, 512, 3], [3, 2048, 512, 4]]), 7)).toBe('frame 3 is at 0.1200 s in the video track, 0.1600 s in the frame index');
  });
});
