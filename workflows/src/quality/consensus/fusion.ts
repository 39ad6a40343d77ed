// Fusing several annotators' boxes and keypoints into consensus objects, and consensus-based reliability.
import { QualityInputError } from '../errors.ts';
import { boxIoU, assertBox, type Box } from '../geometry/box.ts';
import type { Keypoint } from '../keypoints.ts';
import { labelKey, type Label } from '../labels.ts';

/** One annotator's box with an optional confidence weight (default 1). */
export interface WeightedBox {
  annotator: string;
  label: Label;
  box: Box;
  confidence?: number;
}

/** A fused box and the annotators supporting it. */
export interface FusedBox {
  label: string;
  box: Box;
  /** Mean confidence of the supporting boxes. */
  confidence: number;
  annotators: string[];
}

/**
 * Weighted box fusion: boxes sorted by confidence join the same-label cluster whose fused box overlaps them
 * with IoU >= `iouThreshold` (default 0.55) and that has no box from the same annotator yet; a cluster's box
 * is the confidence-weighted mean of its coordinates. Clusters supported by fewer than `minVotes` annotators
 * (default: a strict majority of the annotators present) are dropped. Deterministic (ties by annotator name).
 */
export function fuseBoxes(boxes: readonly WeightedBox[], options: { iouThreshold?: number; minVotes?: number } = {}): FusedBox[] {
  const iouThreshold = options.iouThreshold ?? 0.55;
  const annotators = new Set(boxes.map((b) => b.annotator));
  const minVotes = options.minVotes ?? Math.floor(annotators.size / 2) + 1;
  boxes.forEach((b, i) => {
    assertBox(b.box, `box ${i}`);
    if (b.confidence !== undefined && !(b.confidence >= 0 && Number.isFinite(b.confidence)))
      throw new QualityInputError('INVALID_NUMBER', `confidence of box ${i} must be a finite number >= 0`);
  });
  const order = boxes
    .map((b, i) => ({ b, i }))
    .sort((x, y) => (y.b.confidence ?? 1) - (x.b.confidence ?? 1) || (x.b.annotator < y.b.annotator ? -1 : x.b.annotator > y.b.annotator ? 1 : x.i - y.i));
  const clusters: Array<{ label: string; members: WeightedBox[]; fused: Box }> = [];
  for (const { b } of order) {
    const label = labelKey(b.label);
    let best = -1;
    let bestIoU = iouThreshold;
    clusters.forEach((c, k) => {
      if (c.label !== label || c.members.some((m) => m.annotator === b.annotator)) return;
      const iou = boxIoU(c.fused, b.box);
      if (iou >= bestIoU) {
        best = k;
        bestIoU = iou;
      }
    });
    if (best === -1) clusters.push({ label, members: [b], fused: { ...b.box } });
    else {
      const c = clusters[best] as (typeof clusters)[number];
      c.members.push(b);
      c.fused = weightedBox(c.members);
    }
  }
  return clusters
    .filter((c) => c.members.length >= minVotes)
    .map((c) => ({
      label: c.label,
      box: c.fused,
      confidence: c.members.reduce((s, m) => s + (m.confidence ?? 1), 0) / c.members.length,
      annotators: c.members.map((m) => m.annotator).sort(),
    }));
}

function weightedBox(members: readonly WeightedBox[]): Box {
  let w = 0;
  const acc = { x1: 0, y1: 0, x2: 0, y2: 0 };
  for (const m of members) {
    const c = m.confidence ?? 1;
    w += c;
    acc.x1 += c * m.box.x;
    acc.y1 += c * m.box.y;
    acc.x2 += c * (m.box.x + m.box.width);
    acc.y2 += c * (m.box.y + m.box.height);
  }
  if (w === 0) return weightedBox(members.map((m) => ({ ...m, confidence: 1 })));
  return { x: acc.x1 / w, y: acc.y1 / w, width: (acc.x2 - acc.x1) / w, height: (acc.y2 - acc.y1) / w };
}

/**
 * Fuses matched keypoint annotations of one object: per keypoint, the confidence-weighted mean of the
 * annotations that labelled it (v > 0); visibility is the most common non-zero flag (2 on ties), 0 if nobody
 * labelled it.
 */
export function fuseKeypoints(instances: ReadonlyArray<{ keypoints: readonly Keypoint[]; confidence?: number }>): Keypoint[] {
  if (instances.length === 0) throw new QualityInputError('EMPTY_INPUT', 'fuseKeypoints needs at least one annotation');
  const k = (instances[0] as (typeof instances)[number]).keypoints.length;
  instances.forEach((inst, i) => {
    if (inst.keypoints.length !== k) throw new QualityInputError('LENGTH_MISMATCH', `annotation ${i} has ${inst.keypoints.length} keypoints, expected ${k}`);
  });
  return Array.from({ length: k }, (_, j): Keypoint => {
    let w = 0;
    let x = 0;
    let y = 0;
    let visible = 0;
    let hidden = 0;
    for (const inst of instances) {
      const p = inst.keypoints[j] as Keypoint;
      if (p.v === 0) continue;
      const c = inst.confidence ?? 1;
      w += c;
      x += c * p.x;
      y += c * p.y;
      if (p.v === 2) visible++;
      else hidden++;
    }
    if (visible + hidden === 0) return { x: 0, y: 0, v: 0 };
    if (w === 0) return fuseKeypoints(instances.map((i) => ({ keypoints: i.keypoints, confidence: 1 })))[j] as Keypoint;
    return { x: x / w, y: y / w, v: visible >= hidden ? 2 : 1 };
  });
}

/** Reliability of an annotator measured against consensus labels. */
export interface AnnotatorReliability {
  annotator: string;
  /** (agreements + 1) / (answers + 2): agreement with consensus, shrunk towards 0.5 for few answers; in [0, 1]. */
  reliability: number;
  agreements: number;
  answers: number;
}

/**
 * Annotator reliability from consensus, for the workforce engine: the Laplace-smoothed share of an annotator's
 * answers that match the consensus label of the task (tasks without a consensus label are skipped).
 */
export function annotatorReliability(
  answers: ReadonlyArray<{ task: string; annotator: string; label: Label }>,
  consensus: ReadonlyArray<{ task: string; label: string | null }>,
): AnnotatorReliability[] {
  const truth = new Map(consensus.map((c) => [c.task, c.label]));
  const stats = new Map<string, { agreements: number; answers: number }>();
  for (const a of answers) {
    const expected = truth.get(a.task);
    if (expected === undefined || expected === null) continue;
    const s = stats.get(a.annotator) ?? { agreements: 0, answers: 0 };
    s.answers++;
    if (labelKey(a.label) === expected) s.agreements++;
    stats.set(a.annotator, s);
  }
  return [...stats.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([annotator, s]) => ({ annotator, reliability: (s.agreements + 1) / (s.answers + 2), ...s }));
}
