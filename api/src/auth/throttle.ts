// Failed-login throttling with exponential backoff, per account name and per client address. Both keys
// are throttled alike whether the account exists or not, so the answer never tells which emails exist.
// In memory per API process: several processes each keep their own count (a shared store would tighten it).

export interface ThrottleOptions {
  /** Failures allowed before the next attempt must wait. */
  freeFailures: number;
  /** First wait after the free failures, doubled with every further failure, capped by maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
}

export const LOGIN_THROTTLE: ThrottleOptions = { freeFailures: 5, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000, windowMs: 60 * 60_000 };

interface Entry {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();
  constructor(
    private readonly options: ThrottleOptions = LOGIN_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds the key must still wait, 0 when it may try now. */
  waitFor(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (this.now() - e.lastFailure > this.options.windowMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, e.blockedUntil - this.now());
  }

  fail(key: string): void {
    const now = this.now();
    const e = this.entries.get(key) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
    e.failures += 1;
    e.lastFailure = now;
    const over = e.failures - this.options.freeFailures;
    if (over >= 0) e.blockedUntil = now + Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** over);
    this.entries.set(key, e);
    if (this.entries.size > 100_000) this.prune();
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private prune(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.lastFailure > this.options.windowMs) this.entries.delete(k);
  }
}
