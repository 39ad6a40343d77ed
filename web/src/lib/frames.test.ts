import { describe, expect, it } from 'vitest';
import { everyNthFrame, framesPreview, frameTime, parseFrameIndex, parseFrameList, proxyFrameCount, seekTime, sourceFrame } from './frames';

describe('frame choices', () => {
  it('parses a frame list: sorted, without repeats, with a problem per bad token', () => {
    expect(parseFrameList('60, 0 30\n30;90')).toEqual({ frames: [0, 30, 60, 90], problems: [] });
    expect(parseFrameList('0, -1, 2.5, x')).toEqual({ frames: [0], problems: ['“-1” is not a frame number (0, 1, 2, …)', '“2.5” is not a frame number (0, 1, 2, …)', '“x” is not a frame number (0, 1, 2, …)'] });
    expect(parseFrameList('  ')).toEqual({ frames: [], problems: [] });
  });

  it('makes every N frames below the frame count', () => {
    expect(everyNthFrame(10, 40)).toEqual([0, 10, 20, 30]);
    expect(everyNthFrame(10, 41)).toEqual([0, 10, 20, 30, 40]);
    expect(everyNthFrame(1, 3)).toEqual([0, 1, 2]);
    expect(everyNthFrame(0, 40)).toEqual([]);
    expect(everyNthFrame(5, 0)).toEqual([]);
  });

  it('previews long lists by their head and last frame', () => {
    expect(framesPreview([0, 10, 20])).toBe('0, 10, 20');
    expect(framesPreview(everyNthFrame(10, 400), 3)).toBe('0, 10, 20 … 390');
  });

  it('reads the proxy frame count from ingest metadata', () => {
    expect(proxyFrameCount({ proxy: { frameCount: 40 } })).toBe(40);
    expect(proxyFrameCount({ proxy: {} })).toBeNull();
    expect(proxyFrameCount({})).toBeNull();
    expect(proxyFrameCount(null)).toBeNull();
  });
});

describe('frame index (frames.json)', () => {
  // 20 fps in a 1/10240 time base starting at pts 512 (0.05 s), then a gap: frames 0..29 step 512, 30..39 step 1024.
  const index = parseFrameIndex({
    version: 2,
    timeBase: { num: 1, den: 10240 },
    frameCount: 40,
    runs: [
      [0, 512, 512, 30],
      [30, 512 + 30 * 512, 1024, 10],
    ],
    fps: 20,
    source: { frameCount: 70, runs: [[0, 20, 1, 40]] },
    trim: null,
  })!;

  it('validates the shape', () => {
    expect(index.frameCount).toBe(40);
    expect(parseFrameIndex({ timeBase: { num: 1, den: 0 }, frameCount: 1, runs: [] })).toBeNull();
    expect(parseFrameIndex({ timeBase: { num: 1, den: 25 }, frameCount: 1, runs: [[0, 0, 1]] })).toBeNull();
    expect(parseFrameIndex('nope')).toBeNull();
  });

  it('gives each frame its presentation time from the pts runs', () => {
    expect(frameTime(index, 0)).toBeCloseTo(0.05, 9);
    expect(frameTime(index, 10)).toBeCloseTo(0.55, 9);
    expect(frameTime(index, 31)).toBeCloseTo(0.05 + 30 * 0.05 + 0.1, 9);
    expect(frameTime(index, 40)).toBeNull();
    expect(frameTime(index, -1)).toBeNull();
  });

  it('seeks to the middle of the frame, counted from the first frame', () => {
    expect(seekTime(index, 0)).toBeCloseTo(0.025, 9);
    expect(seekTime(index, 10)).toBeCloseTo(0.525, 9);
    expect(seekTime(index, 30)).toBeCloseTo(1.5 + 0.05, 9);
    expect(seekTime(index, 39)).toBeCloseTo(1.5 + 9 * 0.1 + 0.05, 9);
    expect(seekTime(index, 40)).toBeNull();
  });

  it('maps proxy frames to source frames', () => {
    expect(sourceFrame(index, 0)).toBe(20);
    expect(sourceFrame(index, 39)).toBe(59);
    expect(sourceFrame(index, 40)).toBeNull();
  });
});
