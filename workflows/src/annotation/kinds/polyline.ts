// Polylines on an image or a video frame (instrument shafts, vessel centrelines, incision lines): each object
// is one class and 2..LIMITS.polylinePoints points [x, y] inside the image, not all at the same place.
// Agreement: lines matched by the Hungarian method on their symmetric mean distance, a pair counting when it
// is within the campaign's tolerance (pixels); F1 of the matching times class agreement. Consensus: the
// annotator's label that agrees most with the others (medoid).
import { z } from 'zod';
import { hungarian, polylineDistances } from '../../quality/index.ts';
import { LIMITS, attributes, classKey, countByClass, mapLabelFrame, medoid, plural, point, sortKeys } from '../common.ts';
import { onlyMethod } from '../consensus.ts';
import type { AnnotationType } from '../module.ts';
import { frameOfTask } from './bbox.ts';

export interface PolylineObject {
  label: string;
  points: Array<[number, number]>;
  attributes?: Record<string, boolean | number | string>;
}
export interface PolylineLabel {
  objects: PolylineObject[];
  frame?: number;
}

/** Samples per line at most when measuring a pair (bounds the work on very long lines). */
const MAX_SAMPLES = 20_000;

type Bounds = [number, number, number, number];

function boundsOf(points: ReadonlyArray<readonly [number, number]>): Bounds {
  let b: Bounds = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
  return b;
}

function lengthOf(points: ReadonlyArray<readonly [number, number]>): number {
  let l = 0;
  for (let i = 1; i < points.length; i++) l += Math.hypot(points[i]![0] - points[i - 1]![0], points[i]![1] - points[i - 1]![1]);
  return l;
}

/** Distances of two lines, or null when their bounding boxes are further apart than the tolerance. */
function lineDistances(a: PolylineObject, b: PolylineObject, tolerance: number): { mean: number; hausdorff: number } | null {
  const ba = boundsOf(a.points);
  const bb = boundsOf(b.points);
  // Every point of one line is at least this gap away from the other line, so its mean distance is too.
  const gap = Math.hypot(Math.max(0, ba[0] - bb[2], bb[0] - ba[2]), Math.max(0, ba[1] - bb[3], bb[1] - ba[3]));
  if (gap > tolerance) return null;
  const step = Math.max(0.5, tolerance / 20, Math.max(lengthOf(a.points), lengthOf(b.points)) / MAX_SAMPLES);
  const d = polylineDistances(a.points, b.points, step);
  return { mean: d.symmetricMean ?? Infinity, hausdorff: d.hausdorff ?? Infinity };
}

function pairAgreement(a: PolylineLabel, b: PolylineLabel, tolerance: number) {
  const pairs: Array<{ a: number; b: number; mean: number; hausdorff: number }> = [];
  if (a.objects.length && b.objects.length) {
    const dist = a.objects.map((x) => b.objects.map((y) => lineDistances(x, y, tolerance)));
    const cost = dist.map((row) => row.map((d) => (d && d.mean <= tolerance ? d.mean / tolerance : 2)));
    hungarian(cost).forEach((j, i) => {
      const d = j >= 0 ? dist[i]![j] : null;
      if (d && d.mean <= tolerance) pairs.push({ a: i, b: j, ...d });
    });
  }
  const total = a.objects.length + b.objects.length;
  const f1 = total === 0 ? 1 : (2 * pairs.length) / total;
  const same = pairs.filter((p) => a.objects[p.a]!.label === b.objects[p.b]!.label).length;
  const classAgreement = pairs.length === 0 ? 1 : same / pairs.length;
  return {
    value: f1 * classAgreement,
    metric: 'line-f1@tolerance-x-class-agreement',
    details: {
      f1,
      classAgreement,
      meanDistance: pairs.length ? pairs.reduce((s, p) => s + p.mean, 0) / pairs.length : null,
      /** The largest Hausdorff distance of a matched pair. */
      hausdorff: pairs.length ? Math.max(...pairs.map((p) => p.hausdorff)) : null,
    },
  };
}

export const polyline: AnnotationType<PolylineLabel> = {
  classesOf: (d) => d.objects.map((o) => o.label),
  kind: 'polyline',
  title: 'Polylines',
  payload(ctx) {
    const object = z
      .strictObject({
        label: classKey(ctx.schema),
        points: z.array(point(ctx)).min(2, 'a line needs at least 2 points').max(LIMITS.polylinePoints, `a line has at most ${LIMITS.polylinePoints} points`),
        attributes: attributes(ctx.schema).optional(),
      })
      .superRefine((o, issue) => {
        const [x, y] = o.points[0]!;
        if (o.points.every((p) => p[0] === x && p[1] === y))
          issue.addIssue({ code: 'custom', path: ['points'], message: 'the line has zero length (all its points are the same)' });
      })
      .transform((o): PolylineObject => ({ label: o.label, points: o.points, ...(o.attributes ? { attributes: sortKeys(o.attributes) } : {}) }));
    return z
      .strictObject({ objects: z.array(object).max(LIMITS.objects), frame: frameOfTask(ctx) })
      .transform((d): PolylineLabel => ({ objects: d.objects, ...(d.frame !== undefined ? { frame: d.frame } : {}) }));
  },
  agreement: (a, b, ctx) => pairAgreement(a, b, ctx.schema.polylineTolerance),
  consensus(labels, ctx) {
    return { data: medoid(labels, (a, b) => pairAgreement(a, b, ctx.schema.polylineTolerance).value).data, method: 'medoid' };
  },
  consensusMethods: () => onlyMethod('medoid', 'Most representative label', "The annotator's label that agrees best with all the others is taken whole."),
  summarize(data, schema) {
    return data.objects.length === 0
      ? 'no lines'
      : `${plural(data.objects.length, 'line')}: ${countByClass(
          schema,
          data.objects.map((o) => o.label),
        )}`;
  },
  objectCount: (data) => data.objects.length,
  mapFrames: mapLabelFrame,
};
