import { describe, expect, it } from 'vitest';
import { createRng, hashString } from './random.ts';

describe('seeded random stream', () => {
  it('repeats exactly for the same seed and differs across seeds', () => {
    const a = createRng('audit');
    const b = createRng('audit');
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(createRng('audit2').next()).not.toBe(xs[0]);
    expect(createRng(1).next()).not.toBe(createRng(2).next());
    expect(hashString('')).toBe(0x811c9dc5);
  });

  it('is roughly uniform in [0, 1) and unbiased for int()', () => {
    const rng = createRng(123);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      bins[Math.floor(x * 10)]! += 1;
    }
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.int(3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('rejects unusable seeds', () => {
    expect(() => createRng(Number.NaN)).toThrow(/seed must be a finite number or a string/);
  });
});
