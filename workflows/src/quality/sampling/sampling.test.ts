import { describe, expect, it } from 'vitest';
import { QualityInputError } from '../errors.ts';
import { shuffled, createRng } from '../random.ts';
import { binomialCdf, hypergeometricCdf, hypergeometricZero, inverseRegularizedBeta, normalQuantile, regularizedBeta } from './distributions.ts';
import { spotCheckPlan } from './index.ts';
import { clopperPearsonInterval, wilsonInterval } from './intervals.ts';
import { acceptanceProbability, lotDecision, operatingCharacteristic, z14CodeLetter, z14Plan, zeroAcceptancePlan } from './plans.ts';
import { drawSpotCheckSample, type SampleCandidate } from './sample.ts';

describe('zero-acceptance plans', () => {
  it('finds the smallest hypergeometric sample: N=1000, 5 % tolerable, 95 % confidence → n = 57', () => {
    const plan = zeroAcceptancePlan({ lotSize: 1000, tolerableRate: 0.05, confidence: 0.95 });
    expect(plan).toMatchObject({ sampleSize: 57, acceptance: 0, tolerableDefects: 50, fullInspection: false });
    // Verified directly: P(0 | n=56) > 0.05 ≥ P(0 | n=57), with P(0) = C(950, n)/C(1000, n).
    expect(hypergeometricZero(1000, 50, 56)).toBeGreaterThan(0.05);
    expect(hypergeometricZero(1000, 50, 57)).toBeLessThanOrEqual(0.05);
    expect(plan.acceptanceProbabilityAtTolerable).toBeCloseTo(0.04924, 4);
  });

  it('uses D = ceil(rate · N) and falls back to 100 % inspection for tiny lots', () => {
    expect(zeroAcceptancePlan({ lotSize: 30, tolerableRate: 0.05, confidence: 0.95 }).tolerableDefects).toBe(2);
    const tiny = zeroAcceptancePlan({ lotSize: 5, tolerableRate: 0.01, confidence: 0.99 });
    expect(tiny).toMatchObject({ tolerableDefects: 1, sampleSize: 5, fullInspection: true });
  });

  it('needs more samples for more confidence and fewer for a larger tolerable rate (property)', () => {
    for (const N of [50, 200, 1000, 10_000]) {
      const base = zeroAcceptancePlan({ lotSize: N, tolerableRate: 0.05, confidence: 0.9 }).sampleSize;
      expect(zeroAcceptancePlan({ lotSize: N, tolerableRate: 0.05, confidence: 0.99 }).sampleSize).toBeGreaterThanOrEqual(base);
      expect(zeroAcceptancePlan({ lotSize: N, tolerableRate: 0.1, confidence: 0.9 }).sampleSize).toBeLessThanOrEqual(base);
    }
  });

  it('has an OC curve that starts at 1 and is below 1 − confidence at the tolerable rate', () => {
    const plan = zeroAcceptancePlan({ lotSize: 1000, tolerableRate: 0.05, confidence: 0.95 });
    const oc = operatingCharacteristic(plan, { maxRate: 0.1, points: 11 });
    expect(oc[0]).toEqual({ errorRate: 0, acceptance: 1 });
    expect(acceptanceProbability(plan, 0.05)).toBeLessThanOrEqual(0.05);
    for (let i = 1; i < oc.length; i++) expect(oc[i]!.acceptance).toBeLessThanOrEqual(oc[i - 1]!.acceptance);
  });
});

describe('ANSI/ASQ Z1.4 single sampling, normal inspection', () => {
  it('looks up code letters for general level II (Table I)', () => {
    expect(z14CodeLetter(1000)).toBe('J');
    expect(z14CodeLetter(8)).toBe('A');
    expect(z14CodeLetter(9)).toBe('B');
    expect(z14CodeLetter(1200)).toBe('J');
    expect(z14CodeLetter(1201)).toBe('K');
    expect(z14CodeLetter(500_001)).toBe('Q');
    expect(z14CodeLetter(1000, 'I')).toBe('G');
    expect(z14CodeLetter(1000, 'III')).toBe('K');
  });

  it('reads Ac/Re from the master table: lot 1000, AQL 1.0 → J, n = 80, Ac 2, Re 3', () => {
    expect(z14Plan({ lotSize: 1000, aql: 1.0 })).toMatchObject({ codeLetter: 'J', planLetter: 'J', sampleSize: 80, acceptance: 2, rejection: 3 });
    expect(z14Plan({ lotSize: 1000, aql: 0.65 })).toMatchObject({ sampleSize: 80, acceptance: 1, rejection: 2 });
    expect(z14Plan({ lotSize: 1000, aql: 4.0 })).toMatchObject({ sampleSize: 80, acceptance: 7, rejection: 8 });
    expect(z14Plan({ lotSize: 1000, aql: 0.15 })).toMatchObject({ sampleSize: 80, acceptance: 0, rejection: 1 });
    expect(z14Plan({ lotSize: 60, aql: 6.5 })).toMatchObject({ codeLetter: 'E', sampleSize: 13, acceptance: 2, rejection: 3 });
  });

  it('follows the arrows: ↑ to the plan above, ↓ to the plan below', () => {
    // J at 0.25 is ↑ → H (n = 50, 0/1); J at 0.40 is ↓ → K (n = 125, 1/2); J at 0.10 is ↓ → K (0/1).
    expect(z14Plan({ lotSize: 1000, aql: 0.25 })).toMatchObject({ planLetter: 'H', sampleSize: 50, acceptance: 0, rejection: 1 });
    expect(z14Plan({ lotSize: 1000, aql: 0.4 })).toMatchObject({ planLetter: 'K', sampleSize: 125, acceptance: 1, rejection: 2 });
    expect(z14Plan({ lotSize: 1000, aql: 0.1 })).toMatchObject({ planLetter: 'K', sampleSize: 125, acceptance: 0, rejection: 1 });
    // K at AQL 15 is ↑ → J (21/22).
    expect(z14Plan({ lotSize: 2000, aql: 15 })).toMatchObject({ codeLetter: 'K', planLetter: 'J', sampleSize: 80, acceptance: 21, rejection: 22 });
  });

  it('inspects the whole lot when the plan sample reaches the lot size', () => {
    expect(z14Plan({ lotSize: 10, aql: 0.1 })).toMatchObject({ codeLetter: 'B', sampleSize: 10, fullInspection: true, acceptance: 0 });
  });

  it('rejects AQLs that are not table columns', () => {
    expect(() => z14Plan({ lotSize: 1000, aql: 2 })).toThrow(/AQL 2 is not a Z1.4 column/);
  });

  it('decides lots and computes the binomial OC', () => {
    const plan = spotCheckPlan({ method: 'z1.4', lotSize: 1000, aql: 1.0 });
    expect(lotDecision(plan, 2).decision).toBe('accept');
    expect(lotDecision(plan, 3).decision).toBe('reject');
    expect(acceptanceProbability(plan, 0.01)).toBeCloseTo(binomialCdf(2, 80, 0.01), 12);
    expect(acceptanceProbability(plan, 0.01)).toBeCloseTo(0.95345, 4);
    expect(() => spotCheckPlan({ method: 'nope' } as never)).toThrow(QualityInputError);
  });
});

describe('intervals and special functions', () => {
  it('matches known Clopper-Pearson and Wilson intervals', () => {
    const cp = clopperPearsonInterval(5, 10);
    expect(cp.lower).toBeCloseTo(0.187086, 6);
    expect(cp.upper).toBeCloseTo(0.812914, 6);
    expect(clopperPearsonInterval(0, 10).upper).toBeCloseTo(1 - 0.025 ** (1 / 10), 10);
    expect(clopperPearsonInterval(10, 10).lower).toBeCloseTo(0.025 ** (1 / 10), 10);
    const one = clopperPearsonInterval(1, 20);
    expect(one.lower).toBeCloseTo(0.001265, 6);
    expect(one.upper).toBeCloseTo(0.248733, 6);
    const w = wilsonInterval(5, 10);
    expect(w.lower).toBeCloseTo(0.236593, 6);
    expect(w.upper).toBeCloseTo(0.763407, 6);
    expect(wilsonInterval(0, 50).lower).toBe(0);
  });

  it('has Clopper-Pearson containing Wilson-like coverage bounds (property)', () => {
    const rng = createRng('ci');
    for (let i = 0; i < 50; i++) {
      const n = 1 + rng.int(300);
      const x = rng.int(n + 1);
      const cp = clopperPearsonInterval(x, n, 0.9);
      expect(cp.lower).toBeLessThanOrEqual(x / n + 1e-12);
      expect(cp.upper).toBeGreaterThanOrEqual(x / n - 1e-12);
      if (x > 0) expect(binomialCdf(x - 1, n, cp.lower)).toBeCloseTo(0.95, 6);
      if (x < n) expect(binomialCdf(x, n, cp.upper)).toBeCloseTo(0.05, 6);
    }
  });

  it('computes the normal quantile, the incomplete beta and its inverse', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.6448536269514729, 12);
    expect(regularizedBeta(0.3, 2, 5)).toBeCloseTo(0.579825, 6);
    expect(inverseRegularizedBeta(regularizedBeta(0.3, 2.5, 7), 2.5, 7)).toBeCloseTo(0.3, 10);
    expect(hypergeometricCdf(100, 100, 10, 20)).toBeCloseTo(1, 12);
  });
});

describe('spot-check samples', () => {
  const candidates: SampleCandidate[] = [];
  for (const [annotator, count] of [
    ['ann', 100],
    ['bob', 50],
    ['cy', 3],
  ] as const) {
    for (let i = 0; i < count; i++) candidates.push({ id: `${annotator}-${String(i).padStart(3, '0')}`, annotator, risk: i % 10 === 0 ? 1 : 0 });
  }

  it('is reproducible from the seed and independent of candidate order', () => {
    const a = drawSpotCheckSample({ candidates, sampleSize: 30, seed: 'lot-17' });
    const b = drawSpotCheckSample({ candidates: shuffled(candidates, createRng(9)), sampleSize: 30, seed: 'lot-17' });
    expect(b).toEqual(a);
    expect(new Set(a.ids).size).toBe(30);
    expect(drawSpotCheckSample({ candidates, sampleSize: 30, seed: 'lot-18' }).ids).not.toEqual(a.ids);
  });

  it('allocates proportionally with a minimum per annotator', () => {
    const s = drawSpotCheckSample({ candidates, sampleSize: 30, seed: 1, minPerAnnotator: 2 });
    expect(s.allocation).toEqual({ ann: 19, bob: 9, cy: 2 });
    expect(s.ids.filter((id) => id.startsWith('cy-'))).toHaveLength(2);
  });

  it('draws risky items more often when risk-weighted', () => {
    let plain = 0;
    let weighted = 0;
    for (let seed = 0; seed < 200; seed++) {
      const count = (ids: string[]) => ids.filter((id) => Number(id.split('-')[1]) % 10 === 0).length;
      plain += count(drawSpotCheckSample({ candidates, sampleSize: 20, seed }).ids);
      weighted += count(drawSpotCheckSample({ candidates, sampleSize: 20, seed, riskWeighted: true }).ids);
    }
    expect(weighted).toBeGreaterThan(plain * 2);
  });

  it('rejects impossible requests', () => {
    expect(() => drawSpotCheckSample({ candidates, sampleSize: 1000, seed: 1 })).toThrow(/exceeds the 153 candidates/);
    expect(() => drawSpotCheckSample({ candidates: [...candidates, candidates[0] as SampleCandidate], sampleSize: 1, seed: 1 })).toThrow(/appears twice/);
  });
});
