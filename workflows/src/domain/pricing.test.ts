import { describe, expect, it } from 'vitest';
import { priceCents, videoSecondsOf } from './pricing.ts';

describe('pricing by unit', () => {
  it('pays a TASK rate as is', () => {
    expect(priceCents('TASK', 37, {})).toBe(37);
  });

  it('pays an HOUR rate by active seconds, half-cents rounded up', () => {
    expect(priceCents('HOUR', 1800, { activeSeconds: 3600 })).toBe(1800);
    expect(priceCents('HOUR', 1800, { activeSeconds: 90 })).toBe(45);
    // 1000 x 9 / 3600 = 2.5 -> 3; 1000 x 8 / 3600 = 2.22 -> 2; 1000 x 7 / 3600 = 1.94 -> 2
    expect(priceCents('HOUR', 1000, { activeSeconds: 9 })).toBe(3);
    expect(priceCents('HOUR', 1000, { activeSeconds: 8 })).toBe(2);
    expect(priceCents('HOUR', 1000, { activeSeconds: 7 })).toBe(2);
    expect(priceCents('HOUR', 1000, { activeSeconds: 0 })).toBe(0);
    expect(() => priceCents('HOUR', 1000, {})).toThrow(/active seconds/);
  });

  it('pays an OBJECT rate per object', () => {
    expect(priceCents('OBJECT', 4, { objects: 3 })).toBe(12);
    expect(priceCents('OBJECT', 4, { objects: 0 })).toBe(0);
  });

  it('pays a VIDEO_MINUTE rate by the millisecond, half-cents rounded up', () => {
    expect(priceCents('VIDEO_MINUTE', 60, { videoSeconds: 90 })).toBe(90);
    // 25 x 1.5 min = 37.5 -> 38; 25 x 1.4 = 35; 3 x 0.5 min = 1.5 -> 2
    expect(priceCents('VIDEO_MINUTE', 25, { videoSeconds: 90 })).toBe(38);
    expect(priceCents('VIDEO_MINUTE', 25, { videoSeconds: 84 })).toBe(35);
    expect(priceCents('VIDEO_MINUTE', 3, { videoSeconds: 30 })).toBe(2);
    // Floating noise below the millisecond does not change the cent.
    expect(priceCents('VIDEO_MINUTE', 25, { videoSeconds: 90.0000004 })).toBe(38);
    expect(priceCents('VIDEO_MINUTE', 25, { videoSeconds: 89.9999996 })).toBe(38);
  });

  it('is exact beyond the doubles’ integer range', () => {
    expect(priceCents('HOUR', 10_000_000, { activeSeconds: 3_600_000_000 })).toBe(10_000_000_000_000);
  });

  it('refuses amounts that are not whole cents', () => {
    expect(() => priceCents('TASK', 1.5, {})).toThrow(/whole cents/);
    expect(() => priceCents('OBJECT', 2, { objects: -1 })).toThrow(/>= 0/);
  });

  it('reads the video length of the proxy, else of the probe', () => {
    expect(videoSecondsOf({ probe: { duration: 120 }, proxy: { duration: 60.5 } })).toBe(60.5);
    expect(videoSecondsOf({ probe: { duration: 120 } })).toBe(120);
    expect(videoSecondsOf({ probe: { width: 10 } })).toBeNull();
    expect(videoSecondsOf(null)).toBeNull();
  });
});
