// Seeded pseudo-random numbers: the engine never calls Math.random, so every sample can be re-drawn.
import { QualityInputError } from './errors.ts';

/** A seed: a number (its 32-bit integer part is used together with its fraction) or any string. */
export type Seed = number | string;

/** A deterministic random stream. */
export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Raw 32-bit unsigned integer. */
  nextUint32(): number;
}

/** FNV-1a 32-bit hash over the UTF-16 code units of a string (deterministic, platform independent). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedToUint32(seed: Seed): number {
  if (typeof seed === 'string') return hashString(`s:${seed}`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new QualityInputError('INVALID_ARGUMENT', `seed must be a finite number or a string, got ${String(seed)}`);
  }
  if (Number.isInteger(seed) && Math.abs(seed) < 2 ** 32) return seed >>> 0;
  return hashString(`n:${seed.toString()}`);
}

/**
 * xoshiro128** (Blackman & Vigna 2018) seeded through splitmix32, so nearby seeds give unrelated streams.
 * Same seed → same stream on every platform (only 32-bit integer arithmetic via Math.imul).
 */
export function createRng(seed: Seed): Rng {
  let x = seedToUint32(seed);
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  return {
    nextUint32,
    next: () => nextUint32() / 4294967296,
    int: (n: number) => {
      if (!Number.isInteger(n) || n <= 0) throw new QualityInputError('INVALID_ARGUMENT', `rng.int needs a positive integer, got ${n}`);
      // Rejection sampling removes modulo bias.
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const r = nextUint32();
        if (r < limit) return r % n;
      }
    },
  };
}

function rotl(v: number, k: number): number {
  return (v << k) | (v >>> (32 - k));
}

/** Fisher-Yates shuffle of a copy of `items` with the given stream. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}
