import { describe, expect, it } from 'vitest';
import type { FrameIndex } from '../../frames';
import { asSpriteStrip, boundaryAtX, frameAtTime, frameAtX, spriteTileAt, timeOfFrame, type FrameClock } from './timeline';

// A 20 fps proxy whose pts start at 1000 ticks of 1/1000 s (an edit list offset), 40 frames.
const index: FrameIndex = { timeBase: { num: 1, den: 1000 }, frameCount: 40, runs: [[0, 1000, 50, 40]], fps: 20 };
const clock: FrameClock = { index, fps: 20, frameCount: 40 };

describe('frame clock', () => {
  it('seeks to the middle of a frame and reads that frame back at that time', () => {
    for (const n of [0, 1, 7, 39]) {
      expect(timeOfFrame(clock, n)).toBeCloseTo((n + 0.5) / 20, 9);
      expect(frameAtTime(clock, timeOfFrame(clock, n))).toBe(n);
    }
  });

  it('a time at a frame boundary belongs to the frame that starts there', () => {
    expect(frameAtTime(clock, 0.1)).toBe(2);
    expect(frameAtTime(clock, 0.0999)).toBe(1);
    expect(frameAtTime(clock, 99)).toBe(39);
    expect(frameAtTime(clock, -1)).toBe(0);
  });

  it('follows variable frame durations from frames.json', () => {
    // Frames 0-1 last 100 ms, frames 2.. last 40 ms.
    const vfr: FrameClock = { index: { timeBase: { num: 1, den: 1000 }, frameCount: 6, runs: [[0, 0, 100, 2], [2, 200, 40, 4]] }, fps: 25, frameCount: 6 };
    expect(timeOfFrame(vfr, 1)).toBeCloseTo(0.15, 9);
    expect(timeOfFrame(vfr, 3)).toBeCloseTo(0.26, 9);
    expect(frameAtTime(vfr, 0.26)).toBe(3);
    expect(frameAtTime(vfr, 0.199)).toBe(1);
  });

  it('without frames.json counts by the frame rate and clamps to the video', () => {
    const fps: FrameClock = { index: null, fps: 25, frameCount: 10 };
    expect(timeOfFrame(fps, 4)).toBeCloseTo(0.18, 9);
    expect(frameAtTime(fps, 0.18)).toBe(4);
    expect(timeOfFrame(fps, 50)).toBeCloseTo(9.5 / 25, 9);
  });
});

describe('timeline geometry', () => {
  it('maps pointer x to frames and to frame boundaries', () => {
    expect(frameAtX(0, 400, 40)).toBe(0);
    expect(frameAtX(399.9, 400, 40)).toBe(39);
    expect(frameAtX(55, 400, 40)).toBe(5);
    expect(boundaryAtX(54, 400, 40)).toBe(5);
    expect(boundaryAtX(56, 400, 40)).toBe(6);
    expect(boundaryAtX(500, 400, 40)).toBe(40);
  });

  it('reads the sprite strip ingest records and finds the tile of a time', () => {
    const sprite = asSpriteStrip({ sprite: { count: 20, tileWidth: 160, interval: 0.1 } })!;
    expect(sprite).toEqual({ count: 20, tileWidth: 160, interval: 0.1 });
    expect(spriteTileAt(sprite, 0.95)).toBe(9);
    expect(spriteTileAt(sprite, 5)).toBe(19);
    expect(asSpriteStrip({})).toBeNull();
  });
});
