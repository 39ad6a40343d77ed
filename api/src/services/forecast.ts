// Pure figures behind the progress pages: the median, the ETA with its range, the bottleneck stage.

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Eta {
  /** Mean accepted tasks per day over the window. */
  perDay: number;
  /** Days to finish at the mean rate; null when nothing was accepted in the window. */
  days: number | null;
  /** Days at the optimistic and pessimistic ends of the rate's 95% range; `slowDays` null when that end is zero. */
  fastDays: number | null;
  slowDays: number | null;
}

/**
 * Days to accept `remaining` tasks from the daily accepted counts of the recent window (zero days included).
 * The range is a normal approximation of the mean daily rate: mean ± 1.96 standard errors (sample standard
 * deviation of the days / sqrt(days)); its low end is floored at zero, where the pessimistic ETA is unknown.
 */
export function etaForecast(remaining: number, daily: readonly number[]): Eta {
  if (remaining < 0 || !Number.isFinite(remaining)) throw new RangeError('remaining must be a non-negative number');
  if (remaining === 0) return { perDay: mean(daily), days: 0, fastDays: 0, slowDays: 0 };
  const n = daily.length;
  const m = mean(daily);
  if (n === 0 || m === 0) return { perDay: 0, days: null, fastDays: null, slowDays: null };
  const sd = n > 1 ? Math.sqrt(daily.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1)) : 0;
  const se = sd / Math.sqrt(n);
  const high = m + 1.96 * se;
  const low = m - 1.96 * se;
  return { perDay: m, days: remaining / m, fastDays: remaining / high, slowDays: low > 0 ? remaining / low : null };
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0;
}

export type Stage = 'LABELING' | 'REVIEW' | 'QA';

export interface StageQueue {
  stage: Stage;
  /** Tasks waiting in the stage. */
  depth: number;
  /** Median seconds the waiting tasks have waited so far; null with none waiting. */
  medianWaitSeconds: number | null;
}

/**
 * The stage holding work back: the one whose waiting tasks have waited longest (median), larger queue first on
 * a tie; null when nothing waits anywhere. Wait, not depth alone: a deep labeling queue that moves is healthier
 * than three tasks an expert has not touched for a week.
 */
export function bottleneckStage(stages: readonly StageQueue[]): Stage | null {
  const waiting = stages.filter((s) => s.depth > 0);
  if (waiting.length === 0) return null;
  return [...waiting].sort((a, b) => (b.medianWaitSeconds ?? 0) - (a.medianWaitSeconds ?? 0) || b.depth - a.depth)[0]!.stage;
}
