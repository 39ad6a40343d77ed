// The lifecycle's use of the quality engine: maps stored annotations (the label-schema payloads) to the
// engine's inputs and picks the metric, consensus method and sampling plan for each campaign.
import type { GeometryKind, QaSettings } from '../domain/label-schema.ts';
import {
  drawSpotCheckSample as drawSample,
  fuseBoxes,
  majorityVote,
  matchObjects,
  segmentConsensus,
  spotCheckPlan as planFor,
  temporalAgreement,
  type AnnotatedObject,
  type Box,
  type Region,
  type Segment,
} from '../quality/index.ts';

export interface SubmittedLabel {
  annotationId: string;
  userId: string;
  data: unknown;
}

export interface TaskAgreement {
  /** In [0, 1]: mean over annotator pairs of the metric named in `metric`. */
  value: number;
  metric: string;
}

type Objects = Array<AnnotatedObject & { confidence?: number }>;

function objectsOf(data: unknown, geometry: 'bbox' | 'polygon'): Objects {
  const objects = (data as { objects?: Array<Record<string, unknown>> }).objects ?? [];
  return objects.map((o) =>
    geometry === 'bbox'
      ? { label: String(o.label), box: toBox(o.box as [number, number, number, number]), ...(typeof o.confidence === 'number' ? { confidence: o.confidence } : {}) }
      : { label: String(o.label), polygon: ringsToRegion(o.rings as Array<Array<[number, number]>>) },
  ) as Objects;
}

/** Stored boxes are [x, y, width, height]. */
const toBox = ([x, y, width, height]: [number, number, number, number]): Box => ({ x, y, width, height });
const fromBox = (b: Box): [number, number, number, number] => [b.x, b.y, b.width, b.height];

/** Stored polygons are rings: the first is the outline, the others are holes. */
function ringsToRegion(rings: Array<Array<[number, number]>>): Region {
  const [outer = [], ...holes] = rings;
  return { outer, holes };
}

function segmentsOf(data: unknown): Segment[] {
  return ((data as { segments?: Array<{ phase: string; start: number; end: number }> }).segments ?? []).map((s) => ({ label: s.phase, start: s.start, end: s.end }));
}

const frameCountOf = (labels: SubmittedLabel[]): number => Math.max(1, ...labels.flatMap((l) => segmentsOf(l.data).map((s) => s.end)));

function labelOf(data: unknown): string {
  return typeof data === 'object' && data !== null && 'label' in data ? String((data as { label: unknown }).label) : JSON.stringify(data);
}

/** Agreement of one pair, in [0, 1]. */
function pairAgreement(geometry: GeometryKind, a: SubmittedLabel, b: SubmittedLabel, frameCount: number): { value: number; metric: string } {
  switch (geometry) {
    case 'classification':
      return { value: labelOf(a.data) === labelOf(b.data) ? 1 : 0, metric: 'percent-agreement' };
    case 'bbox':
    case 'polygon': {
      // Hungarian matching at IoU 0.5, then F1 of the matching times class agreement of matched pairs.
      const m = matchObjects(objectsOf(a.data, geometry), objectsOf(b.data, geometry), 0.5);
      return { value: m.f1 * m.classAgreement, metric: 'object-f1@0.5-x-class-agreement' };
    }
    case 'phases': {
      const t = temporalAgreement(segmentsOf(a.data), segmentsOf(b.data), frameCount);
      return { value: t.frameAccuracy, metric: 'frame-accuracy' };
    }
    default:
      return { value: JSON.stringify(a.data) === JSON.stringify(b.data) ? 1 : 0, metric: 'exact-match' };
  }
}

export function taskAgreement(geometry: GeometryKind, labels: SubmittedLabel[]): TaskAgreement {
  if (labels.length < 2) throw new Error(`agreement needs at least two labels, got ${labels.length}`);
  const frameCount = geometry === 'phases' ? frameCountOf(labels) : 0;
  let sum = 0;
  let pairs = 0;
  let metric = '';
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const p = pairAgreement(geometry, labels[i]!, labels[j]!, frameCount);
      sum += p.value;
      metric = p.metric;
      pairs += 1;
    }
  return { value: sum / pairs, metric };
}

export interface TaskConsensus {
  data: unknown;
  method: string;
}

export function taskConsensus(geometry: GeometryKind, labels: SubmittedLabel[]): TaskConsensus {
  if (labels.length === 0) throw new Error('consensus needs at least one label');
  switch (geometry) {
    case 'classification': {
      // Tie policy 'lowest': the smallest class key wins a tie (declared and deterministic).
      const vote = majorityVote(
        labels.map((l) => ({ task: 't', annotator: l.userId, label: labelOf(l.data) })),
        { tiePolicy: 'lowest' },
      );
      return { data: { label: vote.tasks[0]!.label }, method: 'majority-vote' };
    }
    case 'bbox': {
      const fused = fuseBoxes(
        labels.flatMap((l) => objectsOf(l.data, 'bbox').map((o) => ({ annotator: l.userId, label: o.label, box: (o as { box: Box }).box, confidence: o.confidence ?? 1 }))),
      );
      return { data: { objects: fused.map((f) => ({ label: f.label, box: fromBox(f.box), confidence: f.confidence })) }, method: 'weighted-box-fusion' };
    }
    case 'phases': {
      const segments = segmentConsensus(
        labels.map((l) => segmentsOf(l.data)),
        frameCountOf(labels),
      );
      return { data: { segments: segments.map((s) => ({ phase: String(s.label), start: s.start, end: s.end })) }, method: 'per-frame-vote' };
    }
    default: {
      // No fusion for this geometry: the label that agrees most with the others (the medoid).
      let best = labels[0]!;
      let bestScore = -1;
      for (const candidate of labels) {
        const score = labels.reduce((s, o) => s + (o === candidate ? 0 : pairAgreement(geometry, candidate, o, 0).value), 0);
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
      return { data: best.data, method: 'medoid' };
    }
  }
}

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
