import { describe, expect, it } from 'vitest';
import { accuracyOf, goldPhase, servesGold, shouldPause } from './gold.ts';

/** Serves `claims` claims in a row by the rule and returns the gold count after each. */
function simulate(rate: number, phase: number, claims: number): number[] {
  const after: number[] = [];
  let gold = 0;
  for (let n = 0; n < claims; n++) {
    if (servesGold(rate, n, gold, phase)) gold += 1;
    after.push(gold);
  }
  return after;
}

describe('serving gold at the campaign rate', () => {
  it('keeps every annotator within one gold task of rate × claims, at every point', () => {
    for (const rate of [0.05, 0.1, 0.2, 1 / 3, 0.5, 0.9]) {
      for (const phase of [0, 0.25, 0.5, 0.999]) {
        const after = simulate(rate, phase, 1000);
        after.forEach((gold, i) => expect(Math.abs(gold - rate * (i + 1)), `rate ${rate} phase ${phase} after ${i + 1}`).toBeLessThanOrEqual(1));
        expect(after[999]).toBe(Math.floor(rate * 1000 + phase));
      }
    }
  });

  it('serves every fifth claim at 20 % (positions shifted by the phase), none at 0, all at 1', () => {
    const positions = (phase: number) =>
      simulate(0.2, phase, 20)
        .map((g, i, all) => (g > (i === 0 ? 0 : all[i - 1]!) ? i + 1 : 0))
        .filter((p) => p > 0);
    expect(positions(0)).toEqual([5, 10, 15, 20]);
    expect(positions(0.5)).toEqual([3, 8, 13, 18]);
    expect(simulate(0, 0.9, 50).at(-1)).toBe(0);
    expect(simulate(1, 0, 50).at(-1)).toBe(50);
  });

  it('derives the phase from the annotator and campaign: stable, in [0, 1), different per person', () => {
    const a = goldPhase('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000c1');
    expect(goldPhase('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000c1')).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(1);
    const phases = new Set(Array.from({ length: 20 }, (_, i) => goldPhase(`user-${i}`, 'campaign')));
    expect(phases.size).toBe(20);
  });
});

describe('gold accuracy and the pause rule', () => {
  /** The Wilson score interval written out by hand (z for 95 %). */
  const wilson = (x: number, n: number) => {
    const z = 1.959963984540054;
    const p = x / n;
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
    return [centre - half, centre + half];
  };

  it('reports accuracy with its 95 % Wilson interval', () => {
    const e = accuracyOf({ answered: 10, correct: 4 });
    expect(e.accuracy).toBe(0.4);
    const [lower, upper] = wilson(4, 10);
    expect(e.lower).toBeCloseTo(lower!, 10);
    expect(e.upper).toBeCloseTo(upper!, 10);
    expect(e.upper).toBeCloseTo(0.6873, 4);
    expect(accuracyOf({ answered: 0, correct: 0 })).toEqual({ answered: 0, correct: 0, accuracy: null, lower: null, upper: null });
    // All right: the upper end is 1, the lower end the Wilson bound.
    expect(accuracyOf({ answered: 5, correct: 5 }).upper).toBe(1);
  });

  it('pauses only when even the upper bound is under the threshold, and only after the minimum of answers', () => {
    // 4 of 10: upper bound 0.687 < 0.8.
    expect(shouldPause({ answered: 10, correct: 4 }, 10, 0.8)).toBe(true);
    // 6 of 10 is 60 %, under 80 %, but an 80 % annotator could have this streak: upper bound 0.83.
    expect(shouldPause({ answered: 10, correct: 6 }, 10, 0.8)).toBe(false);
    // Too few answers to judge, however bad.
    expect(shouldPause({ answered: 4, correct: 0 }, 5, 0.8)).toBe(false);
    expect(shouldPause({ answered: 5, correct: 0 }, 5, 0.8)).toBe(true);
    // No threshold: never.
    expect(shouldPause({ answered: 100, correct: 0 }, 1, null)).toBe(false);
  });
});
