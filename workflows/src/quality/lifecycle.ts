// Entry points for the annotation lifecycle: one geometry kind and plain JSON annotations in, numbers out.
import { percentAgreement } from './categorical.ts';
import { QualityInputError } from './errors.ts';
import { boxIoU, type Box } from './geometry/box.ts';
import { polygonIoU, type Point, type Region } from './geometry/polygon.ts';
import { rleFromString, rleIoU, type CompressedRle, type Rle } from './geometry/rle.ts';
import { objectKeypointSimilarity, type Keypoint } from './keypoints.ts';
import { krippendorffAlpha } from './krippendorff.ts';
import { majorityVote } from './consensus/majority.ts';
import { dawidSkene } from './consensus/dawid-skene.ts';
import { fuseBoxes, fuseKeypoints, type FusedBox } from './consensus/fusion.ts';
import { polylineDistances } from './polyline.ts';
import { segmentConsensus, temporalAgreement, type Segment } from './video.ts';
import { volumeAgreement } from './volume.ts';
import type { Label } from './labels.ts';

/** Geometry kinds the lifecycle knows. */
export type GeometryKind = 'classification' | 'bbox' | 'polygon' | 'mask' | 'keypoints' | 'polyline' | 'phases' | 'volume';

/** One annotator's annotation of a task, as stored (plain JSON). */
export type TaskAnnotation =
  | { annotator: string; kind: 'classification'; label: Label }
  | { annotator: string; kind: 'bbox'; box: Box }
  | { annotator: string; kind: 'polygon'; polygon: Region }
  | { annotator: string; kind: 'mask'; mask: Rle | CompressedRle }
  | { annotator: string; kind: 'keypoints'; keypoints: Keypoint[]; sigmas: number[]; area: number }
  | { annotator: string; kind: 'polyline'; points: Point[] }
  | { annotator: string; kind: 'phases'; segments: Segment[]; frameCount: number }
  | { annotator: string; kind: 'volume'; dims: [number, number, number]; labels: number[]; spacing?: [number, number, number] };

/** Agreement of the annotations of one task: the metric used and its value in [0, 1] (or a distance). */
export interface TaskAgreementResult {
  kind: GeometryKind;
  metric: string;
  /** Mean over annotator pairs (higher = better agreement; for polylines: a distance, lower = better). */
  value: number | null;
  pairs: number;
}

const METRIC: Record<GeometryKind, string> = {
  classification: 'pairwise percent agreement',
  bbox: 'IoU',
  polygon: 'IoU',
  mask: 'IoU',
  keypoints: 'OKS',
  polyline: 'symmetric mean distance',
  phases: 'frame accuracy',
  volume: 'mean Dice over labels',
};

/**
 * Agreement among the annotations of one task, with the metric suited to the geometry kind: percent agreement
 * (classification), IoU (bbox, polygon, mask), OKS (keypoints, first annotation's area as scale), symmetric mean
 * distance (polyline, lower is better), frame accuracy (phases), mean per-label Dice (volume). The value is the
 * mean over all annotator pairs; null when a pair's distance is undefined (one polyline empty).
 */
export function taskAgreement(kind: GeometryKind, annotations: readonly TaskAnnotation[]): TaskAgreementResult {
  if (!(kind in METRIC)) throw new QualityInputError('INVALID_ARGUMENT', `unknown geometry kind '${String(kind)}'`);
  annotations.forEach((a, i) => {
    if (a.kind !== kind) throw new QualityInputError('INVALID_GEOMETRY', `annotation ${i} (annotator '${a.annotator}') is '${a.kind}', expected '${kind}'`);
  });
  if (annotations.length < 2) throw new QualityInputError('EMPTY_INPUT', `agreement needs at least 2 annotations, got ${annotations.length}`);
  if (kind === 'classification') {
    const answers = annotations.map((a) => ({ task: 't', annotator: a.annotator, label: (a as Extract<TaskAnnotation, { kind: 'classification' }>).label }));
    return { kind, metric: METRIC[kind], value: percentAgreement(answers), pairs: (annotations.length * (annotations.length - 1)) / 2 };
  }
  let sum = 0;
  let pairs = 0;
  let undefinedPair = false;
  for (let i = 0; i < annotations.length; i++) {
    for (let j = i + 1; j < annotations.length; j++) {
      const v = pairValue(annotations[i] as TaskAnnotation, annotations[j] as TaskAnnotation);
      pairs++;
      if (v === null) undefinedPair = true;
      else sum += v;
    }
  }
  return { kind, metric: METRIC[kind], value: undefinedPair ? null : sum / pairs, pairs };
}

function pairValue(a: TaskAnnotation, b: TaskAnnotation): number | null {
  switch (a.kind) {
    case 'bbox':
      return boxIoU(a.box, (b as typeof a).box);
    case 'polygon':
      return polygonIoU(a.polygon, (b as typeof a).polygon);
    case 'mask':
      return rleIoU(a.mask, (b as typeof a).mask);
    case 'keypoints':
      return objectKeypointSimilarity(a.keypoints, (b as typeof a).keypoints, a.sigmas, a.area);
    case 'polyline':
      return polylineDistances(a.points, (b as typeof a).points).symmetricMean;
    case 'phases':
      return temporalAgreement(a.segments, (b as typeof a).segments, a.frameCount).frameAccuracy;
    case 'volume': {
      const bb = b as typeof a;
      const r = volumeAgreement(
        { dims: a.dims, data: Int32Array.from(a.labels), ...(a.spacing ? { spacing: a.spacing } : {}) },
        { dims: bb.dims, data: Int32Array.from(bb.labels), ...(bb.spacing ? { spacing: bb.spacing } : {}) },
      );
      return r.length === 0 ? 1 : r.reduce((s, x) => s + x.dice, 0) / r.length;
    }
    default:
      throw new QualityInputError('INVALID_ARGUMENT', `no pairwise metric for '${a.kind}'`);
  }
}

/** Consensus of one task's annotations (plain JSON out). */
export type TaskConsensusResult =
  | { kind: 'classification'; label: string | null; tied: boolean }
  | { kind: 'bbox'; boxes: FusedBox[] }
  | { kind: 'mask'; mask: Rle }
  | { kind: 'keypoints'; keypoints: Keypoint[] }
  | { kind: 'phases'; segments: Segment[] };

/**
 * Consensus for one task: majority label (ties: lowest category), fused boxes (one box per annotator here; use
 * fuseBoxes for many objects), pixel majority mask (strictly more than half), fused keypoints, or per-frame
 * vote for phases. Polygons, polylines and volumes have no single-task consensus here (use staple on masks).
 */
export function taskConsensus(kind: GeometryKind, annotations: readonly TaskAnnotation[]): TaskConsensusResult {
  if (annotations.length === 0) throw new QualityInputError('EMPTY_INPUT', 'consensus needs at least one annotation');
  annotations.forEach((a, i) => {
    if (a.kind !== kind) throw new QualityInputError('INVALID_GEOMETRY', `annotation ${i} (annotator '${a.annotator}') is '${a.kind}', expected '${kind}'`);
  });
  switch (kind) {
    case 'classification': {
      const r = majorityVote(annotations.map((a) => ({ task: 't', annotator: a.annotator, label: (a as Extract<TaskAnnotation, { kind: 'classification' }>).label })));
      const t = r.tasks[0] as (typeof r.tasks)[number];
      return { kind, label: t.label, tied: t.tied };
    }
    case 'bbox':
      return { kind, boxes: fuseBoxes(annotations.map((a) => ({ annotator: a.annotator, label: 'object', box: (a as Extract<TaskAnnotation, { kind: 'bbox' }>).box }))) };
    case 'mask': {
      const masks = annotations.map((a) => {
        const m = (a as Extract<TaskAnnotation, { kind: 'mask' }>).mask;
        return typeof m.counts === 'string' ? rleFromString(m as CompressedRle) : (m as Rle);
      });
      return { kind, mask: majorityMask(masks) };
    }
    case 'keypoints':
      return { kind, keypoints: fuseKeypoints(annotations.map((a) => ({ keypoints: (a as Extract<TaskAnnotation, { kind: 'keypoints' }>).keypoints }))) };
    case 'phases': {
      const first = annotations[0] as Extract<TaskAnnotation, { kind: 'phases' }>;
      return {
        kind,
        segments: segmentConsensus(
          annotations.map((a) => (a as typeof first).segments),
          first.frameCount,
        ),
      };
    }
    default:
      throw new QualityInputError('INVALID_ARGUMENT', `no task consensus for geometry kind '${kind}'`);
  }
}

/** Pixel majority of RLE masks (strictly more than half), computed on runs. */
function majorityMask(masks: readonly Rle[]): Rle {
  const need = Math.floor(masks.length / 2) + 1;
  if (masks.length === 1) return masks[0] as Rle;
  // Union of all intersections of `need` masks is exact but combinatorial; walk run boundaries instead.
  const [h, w] = (masks[0] as Rle).size;
  const boundaries = new Set<number>([0, h * w]);
  for (const m of masks) {
    if (m.size[0] !== h || m.size[1] !== w) throw new QualityInputError('SHAPE_MISMATCH', 'masks to fuse must have the same size');
    let pos = 0;
    for (const c of m.counts) boundaries.add((pos += c));
  }
  const cuts = [...boundaries].sort((a, b) => a - b);
  const value = (m: Rle, pos: number, state: { i: number; end: number }): number => {
    while (state.end <= pos) {
      state.i++;
      state.end += m.counts[state.i] ?? 0;
    }
    return state.i % 2;
  };
  const states = masks.map((m) => ({ i: 0, end: m.counts[0] ?? 0 }));
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let k = 0; k + 1 < cuts.length; k++) {
    const start = cuts[k] as number;
    const len = (cuts[k + 1] as number) - start;
    let votes = 0;
    masks.forEach((m, j) => (votes += value(m, start, states[j] as { i: number; end: number })));
    const v = votes >= need ? 1 : 0;
    if (v !== current) {
      counts.push(run);
      run = 0;
      current = v;
    }
    run += len;
  }
  counts.push(run);
  return { size: [h, w], counts };
}

/** Dawid-Skene over many classification tasks at once, for campaign-level consensus (re-exported helper). */
export function campaignConsensus(
  answers: ReadonlyArray<{ task: string; annotator: string; label: Label }>,
  method: 'majority' | 'dawid-skene',
): Array<{ task: string; label: string | null }> {
  return method === 'majority'
    ? majorityVote(answers).tasks.map((t) => ({ task: t.task, label: t.label }))
    : dawidSkene(answers).tasks.map((t) => ({ task: t.task, label: t.label }));
}

/** Krippendorff's alpha over a campaign's classification answers (nominal), for dashboards. */
export function campaignAlpha(answers: ReadonlyArray<{ task: string; annotator: string; label: Label }>): number {
  return krippendorffAlpha(answers, 'nominal');
}
