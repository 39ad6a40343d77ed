// Distances between polylines (e.g. instrument shafts, vessel centrelines): symmetric mean and Hausdorff.
import { emptyDistance } from './conventions.ts';
import { assertFinite, QualityInputError } from './errors.ts';
import type { Point } from './geometry/polygon.ts';

function pointSegmentDistance(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Distance from a point to a polyline (minimum over its segments; a single point is a degenerate polyline). */
export function pointToPolyline(p: Point, line: readonly Point[]): number {
  if (line.length === 1) return Math.hypot(p[0] - (line[0] as Point)[0], p[1] - (line[0] as Point)[1]);
  let best = Infinity;
  for (let i = 0; i + 1 < line.length; i++) best = Math.min(best, pointSegmentDistance(p, line[i] as Point, line[i + 1] as Point));
  return best;
}

/** Points along a polyline every `step` units (always including every vertex). */
function densify(line: readonly Point[], step: number): Point[] {
  const out: Point[] = [line[0] as Point];
  for (let i = 0; i + 1 < line.length; i++) {
    const a = line[i] as Point;
    const b = line[i + 1] as Point;
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / step));
    for (let k = 1; k <= n; k++) out.push([a[0] + ((b[0] - a[0]) * k) / n, a[1] + ((b[1] - a[1]) * k) / n]);
  }
  return out;
}

function check(line: readonly Point[], what: string): void {
  if (!Array.isArray(line)) throw new QualityInputError('INVALID_GEOMETRY', `${what} must be an array of points`);
  line.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new QualityInputError('INVALID_GEOMETRY', `${what} point ${i} must be [x, y]`);
    assertFinite(p[0], `${what} point ${i} x`);
    assertFinite(p[1], `${what} point ${i} y`);
  });
}

/** Polyline distances; `null` when exactly one side is empty (see conventions), 0 when both are. */
export interface PolylineDistances {
  /** (mean distance from a's points to b + mean from b's points to a) / 2. */
  symmetricMean: number | null;
  /** max of the two directed Hausdorff distances. */
  hausdorff: number | null;
}

/**
 * Symmetric mean distance and Hausdorff distance between two polylines. Each line is sampled every `step`
 * units (default 0.5, i.e. half a pixel) plus its vertices, and every sample is measured exactly to the other
 * polyline's segments; the Hausdorff distance is therefore exact up to `step / 2`.
 */
export function polylineDistances(a: readonly Point[], b: readonly Point[], step = 0.5): PolylineDistances {
  check(a, 'polyline a');
  check(b, 'polyline b');
  if (!(step > 0)) throw new QualityInputError('INVALID_ARGUMENT', `step must be positive, got ${step}`);
  const empty = emptyDistance(a.length === 0, b.length === 0);
  if (empty !== undefined) return { symmetricMean: empty, hausdorff: empty };
  const directed = (from: readonly Point[], to: readonly Point[]): { mean: number; max: number } => {
    const pts = densify(from, step);
    let sum = 0;
    let max = 0;
    for (const p of pts) {
      const d = pointToPolyline(p, to);
      sum += d;
      if (d > max) max = d;
    }
    return { mean: sum / pts.length, max };
  };
  const ab = directed(a, b);
  const ba = directed(b, a);
  return { symmetricMean: (ab.mean + ba.mean) / 2, hausdorff: Math.max(ab.max, ba.max) };
}
