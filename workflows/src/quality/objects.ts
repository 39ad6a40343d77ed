// Matching the objects of two annotators (Hungarian assignment on IoU) and detection-style agreement.
import { overlapRatio } from './conventions.ts';
import { QualityInputError } from './errors.ts';
import { boxIoU, type Box } from './geometry/box.ts';
import { polygonIoU, type Region } from './geometry/polygon.ts';
import { rleIoU, type CompressedRle, type Rle } from './geometry/rle.ts';
import { labelKey, type Label } from './labels.ts';

/**
 * Minimum-cost assignment (Hungarian / Kuhn-Munkres with potentials, O(n²m)) for an n×m cost matrix.
 * Returns for each row the assigned column or −1 (when rows outnumber columns).
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const n = cost.length;
  const m = cost[0]?.length ?? 0;
  if (n === 0) return [];
  if (m === 0) return new Array<number>(n).fill(-1);
  cost.forEach((row, i) => {
    if (row.length !== m) throw new QualityInputError('LENGTH_MISMATCH', `cost row ${i} has ${row.length} columns, expected ${m}`);
    row.forEach((c, j) => {
      if (!Number.isFinite(c)) throw new QualityInputError('INVALID_NUMBER', `cost[${i}][${j}] must be finite`);
    });
  });
  const transpose = n > m;
  const rows = transpose ? m : n;
  const cols = transpose ? n : m;
  const at = (i: number, j: number): number => (transpose ? (cost[j] as number[])[i] : (cost[i] as number[])[j]) as number;
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const p = new Int32Array(cols + 1);
  const way = new Int32Array(cols + 1);
  for (let i = 1; i <= rows; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(cols + 1).fill(Infinity);
    const used = new Uint8Array(cols + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0] as number;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const cur = at(i0 - 1, j - 1) - (u[i0] as number) - (v[j] as number);
        if (cur < (minv[j] as number)) {
          minv[j] = cur;
          way[j] = j0;
        }
        if ((minv[j] as number) < delta) {
          delta = minv[j] as number;
          j1 = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) {
          u[p[j] as number]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0] as number;
      p[j0] = p[j1] as number;
      j0 = j1;
    } while (j0);
  }
  const result = new Array<number>(n).fill(-1);
  for (let j = 1; j <= cols; j++) {
    const i = p[j] as number;
    if (i === 0) continue;
    if (transpose) result[j - 1] = i - 1;
    else result[i - 1] = j - 1;
  }
  return result;
}

/** An annotated object: a class label and one geometry. */
export type AnnotatedObject = { label: Label; box: Box } | { label: Label; polygon: Region } | { label: Label; mask: Rle | CompressedRle };

/** IoU of two objects of the same geometry kind. */
export function objectIoU(a: AnnotatedObject, b: AnnotatedObject): number {
  if ('box' in a && 'box' in b) return boxIoU(a.box, b.box);
  if ('polygon' in a && 'polygon' in b) return polygonIoU(a.polygon, b.polygon);
  if ('mask' in a && 'mask' in b) return rleIoU(a.mask, b.mask);
  throw new QualityInputError('INVALID_GEOMETRY', 'objects to compare must have the same geometry kind (box, polygon or mask)');
}

/** Result of matching two annotators' objects. */
export interface ObjectMatch {
  /** Matched pairs (index in a, index in b, IoU), IoU >= threshold. */
  pairs: Array<{ a: number; b: number; iou: number }>;
  unmatchedA: number[];
  unmatchedB: number[];
  /** Matched / |b|, treating `a` as the prediction and `b` as the reference (1 when both are empty). */
  precision: number;
  recall: number;
  f1: number;
  /** Share of matched pairs with the same label (1 when there is no pair). */
  classAgreement: number;
  meanMatchedIoU: number | null;
}

/**
 * Matches objects of annotators a and b by maximum total IoU (Hungarian on 1 − IoU), keeping pairs with
 * IoU >= `iouThreshold` (default 0.5). Class-agnostic matching; class agreement is reported on the pairs.
 * Precision = matched/|a|, recall = matched/|b| (a as "prediction", b as "reference"); empty sides follow the
 * empty-versus-empty convention (both empty → 1).
 */
export function matchObjects(a: readonly AnnotatedObject[], b: readonly AnnotatedObject[], iouThreshold = 0.5): ObjectMatch {
  if (!(iouThreshold > 0 && iouThreshold <= 1)) throw new QualityInputError('INVALID_ARGUMENT', `iouThreshold must be in (0, 1], got ${iouThreshold}`);
  const ious = a.map((x, i) =>
    b.map((y, j) => {
      try {
        return objectIoU(x, y);
      } catch (error) {
        if (error instanceof QualityInputError) throw new QualityInputError(error.code, `object ${i} of a vs object ${j} of b: ${error.message}`);
        throw error;
      }
    }),
  );
  const assignment = a.length && b.length ? hungarian(ious.map((row) => row.map((v) => (v >= iouThreshold ? 1 - v : 2)))) : a.map(() => -1);
  const pairs: ObjectMatch['pairs'] = [];
  assignment.forEach((j, i) => {
    if (j < 0) return;
    const iou = (ious[i] as number[])[j] as number;
    if (iou >= iouThreshold) pairs.push({ a: i, b: j, iou });
  });
  const matchedA = new Set(pairs.map((p) => p.a));
  const matchedB = new Set(pairs.map((p) => p.b));
  const precision = overlapRatio(pairs.length, a.length);
  const recall = overlapRatio(pairs.length, b.length);
  const sameClass = pairs.filter((p) => labelKey((a[p.a] as AnnotatedObject).label) === labelKey((b[p.b] as AnnotatedObject).label)).length;
  return {
    pairs,
    unmatchedA: a.map((_, i) => i).filter((i) => !matchedA.has(i)),
    unmatchedB: b.map((_, j) => j).filter((j) => !matchedB.has(j)),
    precision,
    recall,
    f1: overlapRatio(2 * pairs.length, a.length + b.length),
    classAgreement: overlapRatio(sameClass, pairs.length),
    meanMatchedIoU: pairs.length ? pairs.reduce((s, p) => s + p.iou, 0) / pairs.length : null,
  };
}
