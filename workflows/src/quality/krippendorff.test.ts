import { describe, expect, it } from 'vitest';
import { bootstrapInterval } from './bootstrap.ts';
import { krippendorffAlpha, krippendorffAlphaFromMatrix, krippendorffAlphaFromUnits, unitsFromAnswers } from './krippendorff.ts';
import type { CategoricalAnswer, Label } from './labels.ts';
import { shuffled } from './random.ts';
import { forAllSeeds } from './testing.ts';

// Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", section C: 4 coders × 12 units, missing values.
const reliabilityData: (number | null)[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
];

describe("Krippendorff's alpha", () => {
  it('reproduces the published values of the 2011 worked example', () => {
    expect(krippendorffAlphaFromMatrix(reliabilityData, 'nominal')).toBeCloseTo(0.743, 3);
    expect(krippendorffAlphaFromMatrix(reliabilityData, 'ordinal')).toBeCloseTo(0.815, 3);
    expect(krippendorffAlphaFromMatrix(reliabilityData, 'interval')).toBeCloseTo(0.849, 3);
    expect(krippendorffAlphaFromMatrix(reliabilityData, 'ratio')).toBeCloseTo(0.797, 3);
  });

  it('gives the same values from answer records in any order', () => {
    const answers: CategoricalAnswer[] = [];
    reliabilityData.forEach((row, c) => row.forEach((v, u) => v !== null && answers.push({ task: `u${u}`, annotator: `c${c}`, label: v })));
    forAllSeeds(5, (rng) => {
      const mixed = shuffled(answers, rng);
      for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
        expect(krippendorffAlpha(mixed, level)).toBeCloseTo(krippendorffAlphaFromMatrix(reliabilityData, level), 12);
      }
    });
  });

  it('is 1 under perfect agreement and at most 1 otherwise (property)', () => {
    forAllSeeds(40, (rng) => {
      const units: Label[][] = Array.from({ length: 2 + rng.int(20) }, () => {
        const v = rng.int(6);
        return Array.from({ length: 2 + rng.int(3) }, () => v);
      });
      units.push([0, 5]);
      const perfect = units.slice(0, -1);
      if (new Set(perfect.flat()).size > 1) expect(krippendorffAlphaFromUnits(perfect, 'interval')).toBeCloseTo(1, 12);
      for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
        expect(krippendorffAlphaFromUnits(units, level)).toBeLessThanOrEqual(1 + 1e-12);
      }
    });
  });

  it('is invariant to permuting units and values within units (property)', () => {
    forAllSeeds(20, (rng) => {
      const units: number[][] = Array.from({ length: 3 + rng.int(10) }, () => Array.from({ length: 1 + rng.int(4) }, () => rng.int(4)));
      units.push([0, 3]);
      const permuted = shuffled(units, rng).map((u) => shuffled(u, rng));
      for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
        expect(krippendorffAlphaFromUnits(permuted, level)).toBeCloseTo(krippendorffAlphaFromUnits(units, level), 12);
      }
    });
  });

  it('rejects non-numeric values at interval level and data without pairable units', () => {
    expect(() => krippendorffAlphaFromUnits([['a', 'b']], 'interval')).toThrow(/value 'a' is not a number; interval alpha needs numeric values/);
    expect(() => krippendorffAlphaFromUnits([[1], [2]], 'nominal')).toThrow(/at least one unit with two or more values/);
    expect(() => krippendorffAlphaFromUnits([[-1, 2]], 'ratio')).toThrow(/negative/);
    expect(() =>
      krippendorffAlpha(
        [
          { task: 't', annotator: 'a', label: 1 },
          { task: 't', annotator: 'a', label: 2 },
        ],
        'nominal',
      ),
    ).toThrow(/answered task 't' more than once/);
  });

  it('has a seeded bootstrap interval that brackets the estimate and repeats exactly', () => {
    const answers: CategoricalAnswer[] = [];
    reliabilityData.forEach((row, c) => row.forEach((v, u) => v !== null && answers.push({ task: `u${u}`, annotator: `c${c}`, label: v })));
    const units = unitsFromAnswers(answers);
    const stat = (s: readonly Label[][]) => krippendorffAlphaFromUnits(s, 'interval');
    const a = bootstrapInterval(units, stat, { seed: 'audit-7', iterations: 500 });
    const b = bootstrapInterval(units, stat, { seed: 'audit-7', iterations: 500 });
    expect(a).toEqual(b);
    expect(a.lower).toBeLessThanOrEqual(a.estimate);
    expect(a.upper).toBeGreaterThanOrEqual(a.estimate - 0.05);
    expect(a.upper).toBeLessThanOrEqual(1);
    expect(bootstrapInterval(units, stat, { seed: 'other', iterations: 500 })).not.toEqual(a);
  });
});
