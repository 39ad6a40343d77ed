import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '@suture/workflows/quality';
import { bottleneckStage, etaForecast, median } from './forecast.ts';

describe('forecast', () => {
  it('takes the median of odd and even lists, none of an empty one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('gives the ETA at the mean rate with a normal-approximation range', () => {
    // 14 days: mean 10, sample sd sqrt(14*4/13)... computed by hand below.
    const daily = [8, 12, 8, 12, 8, 12, 8, 12, 8, 12, 8, 12, 8, 12];
    const eta = etaForecast(100, daily);
    expect(eta.perDay).toBe(10);
    expect(eta.days).toBe(10);
    const se = Math.sqrt((14 * 4) / 13) / Math.sqrt(14);
    expect(eta.fastDays).toBeCloseTo(100 / (10 + 1.96 * se), 10);
    expect(eta.slowDays).toBeCloseTo(100 / (10 - 1.96 * se), 10);
    expect(eta.fastDays!).toBeLessThan(eta.days!);
    expect(eta.slowDays!).toBeGreaterThan(eta.days!);
  });

  it('has no ETA without throughput, no pessimistic end when the rate may be zero, and zero when done', () => {
    expect(etaForecast(5, [0, 0, 0])).toEqual({ perDay: 0, days: null, fastDays: null, slowDays: null });
    const bursty = etaForecast(10, [0, 0, 0, 0, 0, 0, 14]);
    expect(bursty.days).toBe(5);
    expect(bursty.slowDays).toBeNull();
    expect(etaForecast(0, [3]).days).toBe(0);
    expect(() => etaForecast(-1, [1])).toThrow(/non-negative/);
  });

  it('names the stage whose waiting tasks waited longest, the deeper one on a tie, none when idle', () => {
    expect(
      bottleneckStage([
        { stage: 'LABELING', depth: 500, medianWaitSeconds: 3600 },
        { stage: 'REVIEW', depth: 3, medianWaitSeconds: 7 * 86400 },
        { stage: 'QA', depth: 0, medianWaitSeconds: null },
      ]),
    ).toBe('REVIEW');
    expect(
      bottleneckStage([
        { stage: 'LABELING', depth: 5, medianWaitSeconds: 60 },
        { stage: 'QA', depth: 9, medianWaitSeconds: 60 },
      ]),
    ).toBe('QA');
    expect(bottleneckStage([{ stage: 'QA', depth: 0, medianWaitSeconds: null }])).toBeNull();
  });

  it('reuses the Wilson interval for pass rates: 8 of 10 lies inside a range that excludes 1', () => {
    const w = wilsonInterval(8, 10, 0.95);
    expect(w.lower).toBeLessThan(0.8);
    expect(w.upper).toBeGreaterThan(0.8);
    expect(w.upper).toBeLessThan(1);
  });
});
