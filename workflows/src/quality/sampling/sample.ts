// Deterministic spot-check samples: stratified by annotator, optionally weighted to risk, without replacement.
import { assertInteger, QualityInputError } from '../errors.ts';
import { createRng, type Seed } from '../random.ts';

/** One item of the lot that can be drawn into the spot-check sample. */
export interface SampleCandidate {
  id: string;
  annotator: string;
  /**
   * Optional risk in [0, 1] (e.g. 1 − agreement, 1 − model confidence); with `riskWeighted`, an item is drawn
   * with weight `1 + riskBoost · risk`.
   */
  risk?: number;
}

/** Settings for {@link drawSpotCheckSample}; plain JSON so an auditor can store and replay them. */
export interface SpotCheckSampleSettings {
  candidates: readonly SampleCandidate[];
  sampleSize: number;
  seed: Seed;
  /** At least this many items per annotator (capped by what the annotator has; default 1). */
  minPerAnnotator?: number;
  /** Weight the draw within each stratum towards risky items (default false). */
  riskWeighted?: boolean;
  /** Weight multiplier for risk (default 4: a risk-1 item is 5× as likely as a risk-0 item). */
  riskBoost?: number;
}

/** A drawn sample: item ids in a canonical order (annotator, then id) and the allocation per annotator. */
export interface SpotCheckSample {
  ids: string[];
  allocation: Record<string, number>;
}

/**
 * Draws a stratified sample without replacement. Allocation: proportional to each annotator's item count
 * (largest-remainder rounding); annotators whose share falls below `minPerAnnotator` get that minimum (or all
 * their items if fewer) and the rest is re-shared among the others; if the minimums alone exceed the sample
 * size, the sample grows to hold them. Within a stratum: uniform, or
 * weighted (Efraimidis-Spirakis keys u^(1/w)) when `riskWeighted`. Deterministic: the result depends only on
 * the settings, not on the order of `candidates` (each stratum has its own stream seeded by seed + annotator).
 */
export function drawSpotCheckSample(settings: SpotCheckSampleSettings): SpotCheckSample {
  const { candidates, sampleSize, seed } = settings;
  const minPer = settings.minPerAnnotator ?? 1;
  const boost = settings.riskBoost ?? 4;
  assertInteger(sampleSize, 'sampleSize', 0);
  assertInteger(minPer, 'minPerAnnotator', 0);
  if (!(boost >= 0) || !Number.isFinite(boost)) throw new QualityInputError('INVALID_ARGUMENT', `riskBoost must be a finite number >= 0, got ${boost}`);
  const strata = new Map<string, SampleCandidate[]>();
  const ids = new Set<string>();
  candidates.forEach((c, i) => {
    if (!c || typeof c.id !== 'string' || typeof c.annotator !== 'string') throw new QualityInputError('INVALID_ARGUMENT', `candidate ${i} needs string 'id' and 'annotator'`);
    if (ids.has(c.id)) throw new QualityInputError('INVALID_ARGUMENT', `candidate id '${c.id}' appears twice`);
    ids.add(c.id);
    if (c.risk !== undefined && !(c.risk >= 0 && c.risk <= 1)) throw new QualityInputError('INVALID_NUMBER', `risk of candidate '${c.id}' must be in [0, 1], got ${c.risk}`);
    let s = strata.get(c.annotator);
    if (!s) strata.set(c.annotator, (s = []));
    s.push(c);
  });
  if (sampleSize > candidates.length) throw new QualityInputError('INVALID_ARGUMENT', `sampleSize ${sampleSize} exceeds the ${candidates.length} candidates`);
  const names = [...strata.keys()].sort();
  const sizes = names.map((n) => (strata.get(n) as SampleCandidate[]).length);
  const alloc = allocate(sizes, sampleSize, minPer);
  const out: string[] = [];
  const allocation: Record<string, number> = {};
  names.forEach((name, s) => {
    const items = (strata.get(name) as SampleCandidate[]).slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rng = createRng(`${String(seed)}\u0000${name}`);
    const keyed = items.map((item) => {
      const u = 1 - rng.next(); // (0, 1]
      const w = settings.riskWeighted ? 1 + boost * (item.risk ?? 0) : 1;
      return { id: item.id, key: Math.log(u) / w };
    });
    keyed.sort((a, b) => b.key - a.key || (a.id < b.id ? -1 : 1));
    const take = keyed
      .slice(0, alloc[s])
      .map((k) => k.id)
      .sort();
    allocation[name] = take.length;
    out.push(...take);
  });
  return { ids: out, allocation };
}

/** Proportional allocation with a per-stratum minimum and a per-stratum cap (its size). */
function allocate(sizes: readonly number[], total: number, minPer: number): number[] {
  const alloc = sizes.map(() => 0);
  const fixed = sizes.map(() => false);
  let budget = total;
  // Fix strata whose proportional share is below the minimum (or above their size), then re-share.
  for (let changed = true; changed;) {
    changed = false;
    const open = sizes.map((_, i) => i).filter((i) => !fixed[i]);
    const openSize = open.reduce((s, i) => s + (sizes[i] as number), 0);
    for (const i of open) {
      const share = openSize === 0 ? 0 : (budget * (sizes[i] as number)) / openSize;
      const floor = Math.min(minPer, sizes[i] as number);
      const capped = share < floor ? floor : share > (sizes[i] as number) ? (sizes[i] as number) : -1;
      if (capped >= 0) {
        alloc[i] = capped;
        fixed[i] = true;
        budget -= capped;
        changed = true;
        break;
      }
    }
  }
  const open = sizes.map((_, i) => i).filter((i) => !fixed[i]);
  const openSize = open.reduce((s, i) => s + (sizes[i] as number), 0);
  if (budget <= 0 || openSize === 0) return alloc;
  const quotas = open.map((i) => (budget * (sizes[i] as number)) / openSize);
  let left = budget;
  open.forEach((i, k) => {
    alloc[i] = Math.floor(quotas[k] as number);
    left -= alloc[i] as number;
  });
  const order = open.map((i, k) => ({ i, r: (quotas[k] as number) - Math.floor(quotas[k] as number) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if ((alloc[i] as number) < (sizes[i] as number)) {
      alloc[i]! += 1;
      left--;
    }
  }
  return alloc;
}
