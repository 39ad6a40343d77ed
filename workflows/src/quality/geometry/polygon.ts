// Exact polygon IoU/Dice for simple polygons with holes, by integrating the boundary of A∩B (Green's theorem):
// area(A∩B) = ∮ over the parts of ∂A inside B plus the parts of ∂B inside A. Edges shared by both boundaries
// count once when both interiors lie on the same side and not at all otherwise. Exact up to floating point;
// no clipping polygon is built, so there is no degenerate-vertex bookkeeping.
import { overlapRatio } from '../conventions.ts';
import { QualityInputError } from '../errors.ts';

/** A point [x, y]. */
export type Point = readonly [number, number];

/** A simple polygon: an outer ring and optional holes (rings need not repeat the first vertex). */
export interface Polygon {
  outer: readonly Point[];
  holes?: readonly (readonly Point[])[];
}

/** A region made of one or more non-overlapping polygons (a multipart annotation). */
export type Region = Polygon | readonly Polygon[];

type Ring = Point[];

function signedArea(ring: readonly Point[]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += ((ring[j] as Point)[0] - (ring[i] as Point)[0]) * ((ring[j] as Point)[1] + (ring[i] as Point)[1]);
  return s / 2;
}

function cleanRing(ring: readonly Point[], what: string): Ring {
  if (!Array.isArray(ring)) throw new QualityInputError('INVALID_GEOMETRY', `${what} must be an array of [x, y] points`);
  const out: Ring = [];
  ring.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1]))
      throw new QualityInputError('INVALID_GEOMETRY', `${what} point ${i} must be a pair of finite numbers`);
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push([p[0], p[1]]);
  });
  const first = out[0];
  const last = out[out.length - 1];
  if (out.length > 1 && first && last && first[0] === last[0] && first[1] === last[1]) out.pop();
  if (out.length < 3) throw new QualityInputError('INVALID_GEOMETRY', `${what} needs at least 3 distinct points, got ${out.length}`);
  return out;
}

function orient(a: Point, b: Point, c: Point): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

function onSegment(a: Point, b: Point, p: Point): boolean {
  return Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);
}

function segmentsIntersect(a: Point, b: Point, c: Point, d: Point): boolean {
  const o1 = orient(a, b, c);
  const o2 = orient(a, b, d);
  const o3 = orient(c, d, a);
  const o4 = orient(c, d, b);
  if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) return true;
  return (o1 === 0 && onSegment(a, b, c)) || (o2 === 0 && onSegment(a, b, d)) || (o3 === 0 && onSegment(c, d, a)) || (o4 === 0 && onSegment(c, d, b));
}

/** Throws unless every ring is simple and rings do not cross each other (O(n²) edge test). */
function assertSimple(rings: readonly Ring[], what: string): void {
  const edges: Array<{ ring: number; index: number; a: Point; b: Point; n: number }> = [];
  rings.forEach((ring, r) => ring.forEach((a, i) => edges.push({ ring: r, index: i, a, b: ring[(i + 1) % ring.length] as Point, n: ring.length })));
  for (let x = 0; x < edges.length; x++) {
    const e = edges[x] as (typeof edges)[number];
    for (let y = x + 1; y < edges.length; y++) {
      const f = edges[y] as (typeof edges)[number];
      if (e.ring === f.ring) {
        const adjacent = f.index === e.index + 1 || (e.index === 0 && f.index === e.n - 1);
        if (adjacent) {
          // Adjacent edges share one vertex; they are invalid only if they fold back onto each other.
          const shared = f.index === e.index + 1 ? e.b : e.a;
          const p = f.index === e.index + 1 ? e.a : e.b;
          const q = f.index === e.index + 1 ? f.b : f.a;
          if (orient(shared, p, q) === 0 && (p[0] - shared[0]) * (q[0] - shared[0]) + (p[1] - shared[1]) * (q[1] - shared[1]) > 0) {
            throw new QualityInputError('SELF_INTERSECTING', `${what}${rings.length > 1 ? ` ring ${e.ring}` : ''} folds back on itself at edges ${e.index} and ${f.index}`);
          }
          continue;
        }
        if (segmentsIntersect(e.a, e.b, f.a, f.b)) {
          throw new QualityInputError('SELF_INTERSECTING', `${what}${rings.length > 1 ? ` ring ${e.ring}` : ''} is self-intersecting at edges ${e.index} and ${f.index}`);
        }
      } else if (segmentsIntersect(e.a, e.b, f.a, f.b)) {
        throw new QualityInputError(
          'SELF_INTERSECTING',
          `${what} ring ${e.ring} edge ${e.index} touches ring ${f.ring} edge ${f.index} (holes must lie strictly inside the outer ring)`,
        );
      }
    }
  }
}

/** Validated polygon rings: outer counter-clockwise, holes clockwise (interior always on the left). */
interface PreparedPolygon {
  rings: Ring[];
  area: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

function pointInRing(ring: Ring, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i] as Point;
    const b = ring[j] as Point;
    if (a[1] > y !== b[1] > y && x < ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside;
}

/** Validates and normalises a polygon; `what` names it in errors (e.g. "polygon 2"). */
export function preparePolygon(polygon: Polygon, what = 'polygon'): PreparedPolygon {
  if (!polygon || typeof polygon !== 'object' || !polygon.outer) throw new QualityInputError('INVALID_GEOMETRY', `${what} must be an object {outer, holes?}`);
  const outer = cleanRing(polygon.outer, `${what} outer ring`);
  const holes = (polygon.holes ?? []).map((h, i) => cleanRing(h, `${what} hole ${i}`));
  const rings = [outer, ...holes];
  assertSimple(rings, what);
  rings.forEach((r, i) => {
    if (signedArea(r) === 0) throw new QualityInputError('INVALID_GEOMETRY', `${what} ${i === 0 ? 'outer ring' : `hole ${i - 1}`} has zero area`);
  });
  if (signedArea(outer) < 0) outer.reverse();
  holes.forEach((h, i) => {
    if (signedArea(h) > 0) h.reverse();
    const p = h[0] as Point;
    if (!pointInRing(outer, p[0], p[1])) throw new QualityInputError('INVALID_GEOMETRY', `${what} hole ${i} lies outside the outer ring`);
  });
  let area = 0;
  for (const r of rings) area += signedArea(r);
  const xs = outer.map((p) => p[0]);
  const ys = outer.map((p) => p[1]);
  return { rings, area, minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

/** Area of a polygon with holes. */
export function polygonArea(polygon: Polygon): number {
  return preparePolygon(polygon).area;
}

/** Where a point lies relative to a prepared polygon. */
function classify(poly: PreparedPolygon, x: number, y: number, dx: number, dy: number): 'in' | 'out' | 'same' | 'opposite' {
  const eps = 1e-12 * Math.max(1, Math.abs(x), Math.abs(y));
  for (const ring of poly.rings) {
    for (let i = 0; i < ring.length; i++) {
      const a = ring[i] as Point;
      const b = ring[(i + 1) % ring.length] as Point;
      const ex = b[0] - a[0];
      const ey = b[1] - a[1];
      const len = Math.hypot(ex, ey);
      if (Math.abs(ex * (y - a[1]) - ey * (x - a[0])) / len > eps) continue;
      const t = (ex * (x - a[0]) + ey * (y - a[1])) / (len * len);
      if (t < -1e-12 || t > 1 + 1e-12) continue;
      return ex * dx + ey * dy > 0 ? 'same' : 'opposite';
    }
  }
  let inside = false;
  for (const ring of poly.rings) if (pointInRing(ring, x, y)) inside = !inside;
  return inside ? 'in' : 'out';
}

/** ∮ x dy over the parts of `a`'s boundary inside `b` (shared same-direction edges only when `countShared`). */
function boundaryInside(a: PreparedPolygon, b: PreparedPolygon, countShared: boolean): number {
  let sum = 0;
  for (const ring of a.rings) {
    for (let i = 0; i < ring.length; i++) {
      const p = ring[i] as Point;
      const q = ring[(i + 1) % ring.length] as Point;
      const dx = q[0] - p[0];
      const dy = q[1] - p[1];
      if (Math.max(p[0], q[0]) < b.minX || Math.min(p[0], q[0]) > b.maxX || Math.max(p[1], q[1]) < b.minY || Math.min(p[1], q[1]) > b.maxY) continue;
      const ts = [0, 1];
      for (const other of b.rings) {
        for (let j = 0; j < other.length; j++) {
          const c = other[j] as Point;
          const d = other[(j + 1) % other.length] as Point;
          const ex = d[0] - c[0];
          const ey = d[1] - c[1];
          const denom = dx * ey - dy * ex;
          if (denom !== 0) {
            const t = ((c[0] - p[0]) * ey - (c[1] - p[1]) * ex) / denom;
            const u = ((c[0] - p[0]) * dy - (c[1] - p[1]) * dx) / denom;
            if (t > 0 && t < 1 && u >= 0 && u <= 1) ts.push(t);
          } else if ((c[0] - p[0]) * dy - (c[1] - p[1]) * dx === 0) {
            // Collinear: split at the other segment's endpoints.
            const len2 = dx * dx + dy * dy;
            for (const e of [c, d]) {
              const t = ((e[0] - p[0]) * dx + (e[1] - p[1]) * dy) / len2;
              if (t > 0 && t < 1) ts.push(t);
            }
          }
        }
      }
      ts.sort((m, n) => m - n);
      for (let k = 0; k + 1 < ts.length; k++) {
        const t0 = ts[k] as number;
        const t1 = ts[k + 1] as number;
        if (t1 - t0 <= 1e-15) continue;
        const tm = (t0 + t1) / 2;
        const where = classify(b, p[0] + tm * dx, p[1] + tm * dy, dx, dy);
        if (where === 'in' || (where === 'same' && countShared)) {
          const x0 = p[0] + t0 * dx;
          const x1 = p[0] + t1 * dx;
          sum += ((x0 + x1) / 2) * (t1 - t0) * dy;
        }
      }
    }
  }
  return sum;
}

function prepareRegion(region: Region, what: string): PreparedPolygon[] {
  const list = Array.isArray(region) ? (region as readonly Polygon[]) : [region as Polygon];
  return list.map((p, i) => preparePolygon(p, list.length > 1 || Array.isArray(region) ? `${what} polygon ${i}` : what));
}

/** Exact area of the intersection of two regions (polygons with holes, or lists of non-overlapping polygons). */
export function polygonIntersectionArea(a: Region, b: Region): number {
  const pa = prepareRegion(a, 'region a');
  const pb = prepareRegion(b, 'region b');
  return intersectPrepared(pa, pb);
}

function intersectPrepared(pa: readonly PreparedPolygon[], pb: readonly PreparedPolygon[]): number {
  let total = 0;
  for (const x of pa) {
    for (const y of pb) {
      if (x.maxX <= y.minX || y.maxX <= x.minX || x.maxY <= y.minY || y.maxY <= x.minY) continue;
      total += boundaryInside(x, y, true) + boundaryInside(y, x, false);
    }
  }
  return Math.max(0, total);
}

/** Intersection and union areas of two regions. */
export function polygonOverlap(a: Region, b: Region): { intersection: number; union: number; areaA: number; areaB: number } {
  const pa = prepareRegion(a, 'region a');
  const pb = prepareRegion(b, 'region b');
  const areaA = pa.reduce((s, p) => s + p.area, 0);
  const areaB = pb.reduce((s, p) => s + p.area, 0);
  const intersection = Math.min(intersectPrepared(pa, pb), areaA, areaB);
  return { intersection, union: areaA + areaB - intersection, areaA, areaB };
}

/** Exact IoU of two polygon regions. */
export function polygonIoU(a: Region, b: Region): number {
  const o = polygonOverlap(a, b);
  return overlapRatio(o.intersection, o.union);
}

/** Exact Dice of two polygon regions. */
export function polygonDice(a: Region, b: Region): number {
  const o = polygonOverlap(a, b);
  return overlapRatio(2 * o.intersection, o.areaA + o.areaB);
}
