import { describe, expect, it } from 'vitest';
import { cohenKappa, cohenKappaFromAnswers, fleissKappa, fleissKappaFromAnswers, percentAgreement } from './categorical.ts';
import { QualityInputError } from './errors.ts';
import type { CategoricalAnswer } from './labels.ts';
import { shuffled } from './random.ts';
import { forAllSeeds } from './testing.ts';

const rep = <T>(v: T, n: number): T[] => Array.from({ length: n }, () => v);

describe("Cohen's kappa", () => {
  // Cases from scikit-learn's test_cohen_kappa (sklearn/metrics/tests/test_classification.py).
  it('matches scikit-learn on two classes', () => {
    expect(cohenKappa([...rep(0, 40), ...rep(1, 60)], [...rep(0, 50), ...rep(1, 50)])).toBeCloseTo(0.8, 10);
  });

  it('matches scikit-learn on three ordered classes, unweighted and weighted', () => {
    const y1 = [...rep(0, 46), ...rep(1, 44), ...rep(2, 10)];
    const y2 = [...rep(0, 50), ...rep(1, 40), ...rep(2, 10)];
    // By hand: po = 0.96, pe = 0.416 → 0.544/0.584; linear 1 − 0.04/0.68; quadratic 1 − 0.04/0.872.
    expect(cohenKappa(y1, y2)).toBeCloseTo(0.9315, 4);
    expect(cohenKappa(y1, y2, { weights: 'linear' })).toBeCloseTo(0.9412, 4);
    expect(cohenKappa(y1, y2, { weights: 'quadratic' })).toBeCloseTo(0.9541, 4);
    expect(cohenKappa(y1, y2)).toBeCloseTo(0.544 / 0.584, 12);
  });

  it('matches the Wikipedia worked example (20/5/10/15 → 0.4)', () => {
    const a = [...rep('yes', 25), ...rep('no', 25)];
    const b = [...rep('yes', 20), ...rep('no', 5), ...rep('yes', 10), ...rep('no', 15)];
    expect(cohenKappa(a, b)).toBeCloseTo(0.4, 12);
  });

  it('orders numeric labels numerically for weights (10 after 9)', () => {
    const a = [1, 9, 10, 10];
    const b = [1, 10, 9, 10];
    const asStrings = cohenKappa(a.map(String), b.map(String), { weights: 'linear' });
    expect(asStrings).toBeCloseTo(cohenKappa(a, b, { weights: 'linear', categories: [1, 9, 10] }), 12);
  });

  it('is 1 for identical raters and symmetric under swapping raters (property)', () => {
    forAllSeeds(50, (rng) => {
      const n = 1 + rng.int(40);
      const k = 1 + rng.int(5);
      const a = Array.from({ length: n }, () => rng.int(k));
      const b = a.map((x) => (rng.next() < 0.3 ? rng.int(k) : x));
      expect(cohenKappa(a, a)).toBe(1);
      for (const weights of ['none', 'linear', 'quadratic'] as const) {
        const ab = cohenKappa(a, b, { weights });
        expect(ab).toBeCloseTo(cohenKappa(b, a, { weights }), 12);
        expect(ab).toBeLessThanOrEqual(1 + 1e-12);
        expect(ab).toBeGreaterThanOrEqual(-1 - 1e-12);
      }
    });
  });

  it('rejects mismatched lengths, empty input and unknown declared categories', () => {
    expect(() => cohenKappa([1, 2], [1])).toThrow(/equally long/);
    expect(() => cohenKappa([], [])).toThrow(QualityInputError);
    expect(() => cohenKappa(['a'], ['x'], { categories: ['a', 'b'] })).toThrow(/label 'x' is not one of the declared categories/);
  });

  it('needs exactly two annotators when computed from answers', () => {
    const answers: CategoricalAnswer[] = [
      { task: 't1', annotator: 'w1', label: 'a' },
      { task: 't1', annotator: 'w2', label: 'a' },
      { task: 't1', annotator: 'w3', label: 'b' },
    ];
    expect(() => cohenKappaFromAnswers(answers)).toThrow(/exactly 2 annotators, got 3/);
    const two = answers.slice(0, 2).concat([
      { task: 't2', annotator: 'w1', label: 'b' },
      { task: 't2', annotator: 'w2', label: 'b' },
      { task: 't3', annotator: 'w1', label: 'a' },
    ]);
    expect(cohenKappaFromAnswers(two)).toBe(1);
  });
});

describe("Fleiss' kappa", () => {
  // Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14 raters, 5 categories → κ = 0.210.
  const table = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
  ];

  it('matches the worked example', () => {
    expect(fleissKappa(table)).toBeCloseTo(0.21, 3);
  });

  it('gives the same value from answer records, whatever their order', () => {
    const answers: CategoricalAnswer[] = [];
    table.forEach((row, t) => {
      let rater = 0;
      row.forEach((count, c) => {
        for (let i = 0; i < count; i++) answers.push({ task: `s${t}`, annotator: `r${rater++}`, label: c + 1 });
      });
    });
    forAllSeeds(5, (rng) => expect(fleissKappaFromAnswers(shuffled(answers, rng))).toBeCloseTo(fleissKappa(table), 12));
  });

  it('names the task whose answer count differs', () => {
    const answers: CategoricalAnswer[] = [
      { task: 'a', annotator: 'w1', label: 1 },
      { task: 'a', annotator: 'w2', label: 1 },
      { task: 'b', annotator: 'w1', label: 2 },
    ];
    expect(() => fleissKappaFromAnswers(answers)).toThrow(/task 'b' has 1 answers but task 'a' has 2/);
  });

  it('is 1 for unanimous tasks, including the single-category case', () => {
    expect(
      fleissKappa([
        [3, 0],
        [0, 3],
      ]),
    ).toBe(1);
    expect(fleissKappa([[3], [3]])).toBe(1);
  });
});

describe('percent agreement', () => {
  it('averages the share of agreeing pairs per task', () => {
    const answers: CategoricalAnswer[] = [
      { task: 't1', annotator: 'a', label: 'x' },
      { task: 't1', annotator: 'b', label: 'x' },
      { task: 't1', annotator: 'c', label: 'y' },
      { task: 't2', annotator: 'a', label: 'x' },
      { task: 't2', annotator: 'b', label: 'x' },
      { task: 't3', annotator: 'a', label: 'z' },
    ];
    // t1: 1 agreeing pair of 3; t2: 1 of 1; t3 has one answer and is skipped.
    expect(percentAgreement(answers)).toBeCloseTo((1 / 3 + 1) / 2, 12);
  });

  it('rejects data without any task answered twice', () => {
    expect(() => percentAgreement([{ task: 't', annotator: 'a', label: 1 }])).toThrow(/at least one task with two or more answers/);
  });
});
