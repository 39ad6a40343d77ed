// Spot-check plans: zero-acceptance (c = 0) hypergeometric plans and ANSI/ASQ Z1.4 single sampling plans.
import { assertInteger, assertProbability, QualityInputError } from '../errors.ts';
import { binomialCdf, hypergeometricCdf, hypergeometricZero } from './distributions.ts';
import { Z14_AQLS, Z14_CODE_LETTERS, Z14_LOT_SIZE_TABLE, Z14_MASTER_TABLE, Z14_SAMPLE_SIZES, type Z14CodeLetter, type Z14InspectionLevel } from './z14-tables.ts';

/** An attribute sampling plan: inspect `sampleSize` items, accept the lot with at most `acceptance` errors. */
export interface SamplingPlan {
  kind: 'zero-acceptance' | 'z1.4';
  lotSize: number;
  sampleSize: number;
  /** Ac: accept with at most this many errors in the sample. */
  acceptance: number;
  /** Re: reject with at least this many errors (acceptance + 1 for single sampling). */
  rejection: number;
  /** True when the sample is the whole lot (100 % inspection). */
  fullInspection: boolean;
}

/** A c = 0 plan with the quantities it was derived from. */
export interface ZeroAcceptancePlan extends SamplingPlan {
  kind: 'zero-acceptance';
  tolerableRate: number;
  confidence: number;
  /** D = ceil(tolerableRate · lotSize): the fewest errors a lot at the tolerable rate contains. */
  tolerableDefects: number;
  /** P(0 errors in the sample | D errors in the lot): at most 1 − confidence. */
  acceptanceProbabilityAtTolerable: number;
}

/**
 * Smallest zero-acceptance plan: the smallest n with P(0 errors in n | lot of N with D errors) ≤ 1 − confidence,
 * hypergeometric (draws without replacement). D = ceil(rate · N) — the fewest errors a lot whose error rate is at
 * least the tolerable rate can have; since P(0) falls as D grows, the plan then rejects every worse lot with at
 * least the stated confidence. If no n < N suffices, the plan is 100 % inspection.
 */
export function zeroAcceptancePlan(settings: { lotSize: number; tolerableRate: number; confidence: number }): ZeroAcceptancePlan {
  const { lotSize: N, tolerableRate, confidence } = settings;
  assertInteger(N, 'lotSize', 1);
  assertProbability(tolerableRate, 'tolerableRate');
  assertProbability(confidence, 'confidence');
  const D = Math.max(1, Math.ceil(tolerableRate * N - 1e-9));
  const limit = 1 - confidence;
  let n = 1;
  let p = hypergeometricZero(N, D, 1);
  while (p > limit && n < N) {
    n++;
    p = hypergeometricZero(N, D, n);
  }
  return {
    kind: 'zero-acceptance',
    lotSize: N,
    sampleSize: n,
    acceptance: 0,
    rejection: 1,
    fullInspection: n >= N,
    tolerableRate,
    confidence,
    tolerableDefects: D,
    acceptanceProbabilityAtTolerable: p,
  };
}

/** Table I lookup: the Z1.4 sample size code letter for a lot size at a general inspection level (default II). */
export function z14CodeLetter(lotSize: number, level: Z14InspectionLevel = 'II'): Z14CodeLetter {
  assertInteger(lotSize, 'lotSize', 2);
  if (level !== 'I' && level !== 'II' && level !== 'III') throw new QualityInputError('INVALID_ARGUMENT', `unknown inspection level '${String(level)}' (expected I, II or III)`);
  const row = Z14_LOT_SIZE_TABLE.find((r) => lotSize <= r.maxLotSize);
  return (row as (typeof Z14_LOT_SIZE_TABLE)[number])[level];
}

/** A Z1.4 plan with its table provenance. */
export interface Z14Plan extends SamplingPlan {
  kind: 'z1.4';
  aql: number;
  level: Z14InspectionLevel;
  /** Code letter from Table I for the lot size. */
  codeLetter: Z14CodeLetter;
  /** Code letter whose plan is used after following the arrows of Table II-A. */
  planLetter: Z14CodeLetter;
  /** Table sample size of `planLetter` (the plan samples min(table size, lot size)). */
  tableSampleSize: number;
}

/**
 * Z1.4 single sampling plan, normal inspection (Table I + Table II-A) for a lot size and AQL (one of the
 * table's columns, in percent). Arrows are followed to the first plan below (↓) or above (↑); the plan's
 * sample size then comes from the row where the plan is found, and when it reaches the lot size the whole
 * lot is inspected.
 */
export function z14Plan(settings: { lotSize: number; aql: number; level?: Z14InspectionLevel }): Z14Plan {
  const level = settings.level ?? 'II';
  const codeLetter = z14CodeLetter(settings.lotSize, level);
  const column = Z14_AQLS.findIndex((a) => Math.abs(a - settings.aql) < 1e-9);
  if (column === -1) throw new QualityInputError('INVALID_PLAN', `AQL ${settings.aql} is not a Z1.4 column (${Z14_AQLS.join(', ')})`);
  let row = Z14_CODE_LETTERS.indexOf(codeLetter);
  for (let steps = 0; steps < Z14_CODE_LETTERS.length; steps++) {
    const letter = Z14_CODE_LETTERS[row] as Z14CodeLetter;
    const cell = Z14_MASTER_TABLE[letter][column] as string;
    if (cell === '↓') row++;
    else if (cell === '↑') row--;
    else {
      const [ac, re] = cell.split('/').map(Number) as [number, number];
      const tableSampleSize = Z14_SAMPLE_SIZES[letter];
      const sampleSize = Math.min(tableSampleSize, settings.lotSize);
      return {
        kind: 'z1.4',
        lotSize: settings.lotSize,
        sampleSize,
        acceptance: ac,
        rejection: re,
        fullInspection: sampleSize >= settings.lotSize,
        aql: settings.aql,
        level,
        codeLetter,
        planLetter: letter,
        tableSampleSize,
      };
    }
    if (row < 0 || row >= Z14_CODE_LETTERS.length) break;
  }
  throw new QualityInputError('INVALID_PLAN', `no Z1.4 plan for code letter ${codeLetter} at AQL ${settings.aql}`);
}

/** Outcome of inspecting a sample under a plan. */
export interface LotDecision {
  decision: 'accept' | 'reject';
  errors: number;
  sampleSize: number;
  acceptance: number;
}

/** Lot decision: accept when the errors found in the inspected sample are at most the plan's acceptance number. */
export function lotDecision(plan: SamplingPlan, errorsFound: number): LotDecision {
  assertInteger(errorsFound, 'errorsFound', 0);
  // Z1.4 AQLs above 10 count nonconformities per hundred units, which may exceed the sample size.
  if (errorsFound > plan.sampleSize && !(plan.kind === 'z1.4' && (plan as Z14Plan).aql > 10)) {
    throw new QualityInputError('INVALID_ARGUMENT', `errorsFound (${errorsFound}) exceeds the sample size (${plan.sampleSize})`);
  }
  return { decision: errorsFound <= plan.acceptance ? 'accept' : 'reject', errors: errorsFound, sampleSize: plan.sampleSize, acceptance: plan.acceptance };
}

/**
 * Operating characteristic: probability that the plan accepts a lot whose true error rate is `errorRate`.
 * Zero-acceptance plans use the hypergeometric distribution with D = round(errorRate · lotSize) errors in the
 * lot; Z1.4 plans use the binomial distribution (the standard's own OC curves assume it).
 */
export function acceptanceProbability(plan: SamplingPlan, errorRate: number): number {
  assertProbability(errorRate, 'errorRate', true);
  if (plan.kind === 'zero-acceptance') {
    const D = Math.round(errorRate * plan.lotSize);
    return hypergeometricCdf(plan.acceptance, plan.lotSize, D, plan.sampleSize);
  }
  return binomialCdf(plan.acceptance, plan.sampleSize, errorRate);
}

/** OC curve sampled at `points` evenly spaced error rates in [0, maxRate] (defaults 21 and 0.2). */
export function operatingCharacteristic(plan: SamplingPlan, options: { maxRate?: number; points?: number } = {}): Array<{ errorRate: number; acceptance: number }> {
  const maxRate = options.maxRate ?? 0.2;
  const points = options.points ?? 21;
  assertProbability(maxRate, 'maxRate', true);
  assertInteger(points, 'points', 2);
  return Array.from({ length: points }, (_, i) => {
    const errorRate = (maxRate * i) / (points - 1);
    return { errorRate, acceptance: acceptanceProbability(plan, errorRate) };
  });
}
