// The pure parts of ingest: the trim range against the probed duration, the frames a range holds, and
// frames.json's mapping from proxy frames to source frames (CFR, trimmed, and variable frame rate).
import { describe, expect, it } from 'vitest';
import { buildFrameIndex, timeOfFrame } from '../media/index.ts';
import { framesInRange, proxyFrameMap, resolveTrim, sourceFrameOf } from './ingest.ts';

const tb = { num: 1, den: 12800 };
/** An index of `count` frames at `fps` starting at `start` seconds. */
const cfr = (count: number, fps: number, start = 0) =>
  buildFrameIndex(
    Array.from({ length: count }, (_, n) => Math.round((start + n / fps) * tb.den)),
    tb,
  );

describe('trim range', () => {
  it('fills open ends and checks the range against the duration', () => {
    expect(resolveTrim({ trimStartSeconds: null, trimEndSeconds: null }, 10)).toBeNull();
    expect(resolveTrim({ trimStartSeconds: 2, trimEndSeconds: null }, 10)).toEqual({ startSeconds: 2, endSeconds: 10 });
    expect(resolveTrim({ trimStartSeconds: null, trimEndSeconds: 4 }, 10)).toEqual({ startSeconds: 0, endSeconds: 4 });
    expect(resolveTrim({ trimStartSeconds: 1, trimEndSeconds: 10.0004 }, 10)).toEqual({ startSeconds: 1, endSeconds: 10 });
    expect(() => resolveTrim({ trimStartSeconds: 1, trimEndSeconds: 12 }, 10)).toThrow('The trim range 1-12 s lies outside the video, which is 10 s long');
    expect(() => resolveTrim({ trimStartSeconds: 10, trimEndSeconds: null }, 10)).toThrow(/lies outside the video/);
    expect(() => resolveTrim({ trimStartSeconds: 3, trimEndSeconds: 3 }, 10)).toThrow(/is empty or negative/);
  });

  it('takes the frame on screen at the start through the last frame starting before the end', () => {
    const index = cfr(70, 20, 0.5); // a start offset in the container: times count from the first frame
    expect(framesInRange(index, 1, 3)).toEqual({ first: 20, last: 59 });
    expect(framesInRange(index, 1.01, 1.02)).toEqual({ first: 20, last: 20 });
    expect(framesInRange(index, 0, 3.5)).toEqual({ first: 0, last: 69 });
  });
});

describe('frames.json', () => {
  it('maps a trimmed CFR proxy frame by frame to source frames', () => {
    const source = cfr(70, 20);
    const proxy = cfr(40, 20, 0.1);
    const map = proxyFrameMap(proxy, 20, source, 1, { startSeconds: 1, endSeconds: 3 });
    expect(map.source.runs).toEqual([[0, 20, 1, 40]]);
    expect(map.trim).toEqual({ startSeconds: 1, endSeconds: 3, firstSourceFrame: 20, lastSourceFrame: 59 });
    expect(map.frameCount).toBe(40);
    expect(timeOfFrame(map, 39) - timeOfFrame(map, 0)).toBeCloseTo(39 / 20, 9);
    expect([0, 1, 39].map((n) => sourceFrameOf(map, n))).toEqual([20, 21, 59]);
    expect(() => sourceFrameOf(map, 40)).toThrow(RangeError);
  });

  it('maps a CFR proxy of a variable-frame-rate source to the source frame on screen', () => {
    // 25 frames in the first second, then 10 frames per second: 25 + 10 frames over 2 s.
    const source = buildFrameIndex(
      Array.from({ length: 35 }, (_, n) => Math.round((n < 25 ? n / 25 : 1 + (n - 25) / 10) * tb.den)),
      tb,
    );
    const proxy = cfr(50, 25);
    const map = proxyFrameMap(proxy, 25, source, 0, null);
    expect(map.trim).toBeNull();
    // First second one to one, then each 10 fps source frame is shown for 2.5 proxy frames.
    expect(Array.from({ length: 50 }, (_, n) => sourceFrameOf(map, n)).slice(23, 33)).toEqual([23, 24, 25, 25, 25, 26, 26, 27, 27, 27]);
    expect(sourceFrameOf(map, 49)).toBe(34);
  });
});
