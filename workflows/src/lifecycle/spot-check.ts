// The lifecycle's spot-check: the campaign's configured sampling plan for a lot of accepted tasks and the
// seeded, stratified, risk-weighted draw of the sample (the quality engine's sampling library underneath).
import type { QaSettings } from '../domain/label-schema.ts';
import { drawSpotCheckSample as drawSample, spotCheckPlan as planFor } from '../quality/index.ts';

export interface SpotCheckPlan {
  kind: string;
  lotSize: number;
  sampleSize: number;
  acceptNumber: number;
}

/** The campaign's configured plan for a lot of accepted tasks. */
export function spotCheckPlan(lotSize: number, settings: QaSettings): SpotCheckPlan {
  if (lotSize <= 0) return { kind: settings.plan, lotSize, sampleSize: 0, acceptNumber: 0 };
  const plan =
    settings.plan === 'z14-level-ii' && lotSize >= 2
      ? planFor({ method: 'z1.4', lotSize, aql: settings.aql, level: 'II' })
      : planFor({ method: 'zero-acceptance', lotSize, tolerableRate: settings.tolerableErrorRate, confidence: settings.confidence });
  return { kind: plan.kind, lotSize, sampleSize: plan.sampleSize, acceptNumber: plan.acceptance };
}

export interface SampleItem {
  id: string;
  /** The annotators behind the item, joined: the stratum. */
  stratum: string;
  /** 1 − agreement (or 1 − model confidence): riskier items are drawn more often. */
  risk?: number;
}

/** Seeded, stratified by annotator, risk-weighted sample without replacement; an auditor can re-draw it. */
export function drawSpotCheckSample(items: SampleItem[], size: number, seed: string, minPerStratum: number): string[] {
  if (items.length === 0 || size === 0) return [];
  const sample = drawSample({
    candidates: items.map((i) => ({ id: i.id, annotator: i.stratum, ...(i.risk !== undefined ? { risk: Math.min(1, Math.max(0, i.risk)) } : {}) })),
    sampleSize: Math.min(size, items.length),
    seed,
    minPerAnnotator: minPerStratum,
    riskWeighted: items.some((i) => i.risk !== undefined),
  });
  return [...sample.ids].sort();
}
