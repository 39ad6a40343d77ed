// What one payable event costs under a pay rate: the rate's amount times the event's quantity in the rate's unit,
// in whole cents. Pure integer arithmetic (BigInt), so that the same event always costs the same cent.

export const payUnits = ['TASK', 'HOUR', 'OBJECT', 'VIDEO_MINUTE'] as const;
export type PayUnit = (typeof payUnits)[number];

/** What an event measured, as far as its rate's unit needs it. */
export interface PayMeasure {
  /** Active seconds of the assignment (heartbeats, idle gaps excluded): HOUR rates. */
  activeSeconds?: number;
  /** Objects in the submitted label, as its annotation type module counts them: OBJECT rates. */
  objects?: number;
  /** Length of the task's video in seconds (the proxy annotators saw): VIDEO_MINUTE rates. */
  videoSeconds?: number;
}

/** a / b rounded half up, for a >= 0 and b > 0. */
function divideHalfUp(a: bigint, b: bigint): bigint {
  return (2n * a + b) / (2n * b);
}

function wholeNonNegative(value: number | undefined, what: string): bigint {
  if (value === undefined) throw new Error(`pricing by this unit needs ${what}`);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${what} must be a finite number >= 0, got ${value}`);
  return BigInt(Math.round(value));
}

/**
 * The price in cents of one event: TASK = amount; HOUR = amount x active seconds / 3600; OBJECT = amount x objects;
 * VIDEO_MINUTE = amount x video milliseconds / 60000. Fractions of a cent round half up. Video length counts to the
 * millisecond (the container's precision), so 90.0004 s and 90 s are one price.
 */
export function priceCents(unit: PayUnit, amountCents: number, measure: PayMeasure): number {
  if (!Number.isInteger(amountCents) || amountCents < 0) throw new Error(`a rate amount is whole cents >= 0, got ${amountCents}`);
  const amount = BigInt(amountCents);
  switch (unit) {
    case 'TASK':
      return amountCents;
    case 'HOUR':
      return Number(divideHalfUp(amount * wholeNonNegative(measure.activeSeconds, 'active seconds'), 3600n));
    case 'OBJECT':
      return Number(amount * wholeNonNegative(measure.objects, 'an object count'));
    case 'VIDEO_MINUTE': {
      const ms = wholeNonNegative(measure.videoSeconds === undefined ? undefined : measure.videoSeconds * 1000, 'the video length');
      return Number(divideHalfUp(amount * ms, 60_000n));
    }
  }
}

/** Length in seconds of a video asset as ingest recorded it: the proxy (after any trim), else the probed source. */
export function videoSecondsOf(metadata: unknown): number | null {
  const meta = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
  for (const part of [meta.proxy, meta.probe]) {
    const duration = typeof part === 'object' && part !== null ? (part as Record<string, unknown>).duration : undefined;
    if (typeof duration === 'number' && Number.isFinite(duration) && duration >= 0) return duration;
  }
  return null;
}
