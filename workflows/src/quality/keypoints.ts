// Object keypoint similarity (OKS) exactly as COCO's cocoeval.computeOks.
import { QualityInputError } from './errors.ts';

/** One keypoint: position and COCO visibility flag (0 = not labelled, 1 = labelled but hidden, 2 = visible). */
export interface Keypoint {
  x: number;
  y: number;
  v: 0 | 1 | 2;
}

/** COCO's 17 person keypoint sigmas (cocoeval.py), for reference and tests. */
export const COCO_PERSON_SIGMAS = [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89].map((s) => s / 10);

/**
 * OKS = mean over reference keypoints with v > 0 of exp(−d² / (2 · area · (2σ)²)), d the distance to the other
 * annotation's keypoint (the other side's visibility is ignored, as in cocoeval). `area` is the reference
 * object's area (segment area in COCO). With no labelled reference keypoint: 1 if the other has none labelled
 * either (empty versus empty), else 0.
 */
export function objectKeypointSimilarity(reference: readonly Keypoint[], other: readonly Keypoint[], sigmas: readonly number[], area: number): number {
  if (reference.length !== other.length || reference.length !== sigmas.length) {
    throw new QualityInputError('LENGTH_MISMATCH', `OKS needs as many keypoints in both annotations as sigmas (got ${reference.length}, ${other.length}, ${sigmas.length})`);
  }
  if (!(area > 0) || !Number.isFinite(area)) throw new QualityInputError('INVALID_NUMBER', `OKS needs a positive object area, got ${area}`);
  let sum = 0;
  let count = 0;
  reference.forEach((g, i) => {
    const d = other[i] as Keypoint;
    const s = sigmas[i] as number;
    if (!(s > 0)) throw new QualityInputError('INVALID_NUMBER', `sigma ${i} must be positive, got ${s}`);
    for (const [k, p] of [
      ['reference', g],
      ['other', d],
    ] as const) {
      if (![0, 1, 2].includes(p.v) || !Number.isFinite(p.x) || !Number.isFinite(p.y))
        throw new QualityInputError('INVALID_GEOMETRY', `${k} keypoint ${i} needs finite x, y and v in {0, 1, 2}`);
    }
    if (g.v === 0) return;
    const vars = (2 * s) ** 2;
    const e = ((d.x - g.x) ** 2 + (d.y - g.y) ** 2) / vars / (area + Number.EPSILON) / 2;
    sum += Math.exp(-e);
    count++;
  });
  if (count === 0) return other.some((p) => p.v > 0) ? 0 : 1;
  return sum / count;
}
