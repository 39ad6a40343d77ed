// Polygons on an image or a video frame: each object is rings of [x, y] points (the first ring the outline,
// the others holes), simple (no self-intersection), holes inside the outline, every point inside the image.
// Agreement: Hungarian matching on exact polygon IoU (>= 0.5), F1 times class agreement. Consensus: the
// annotator's label that agrees most with the others (medoid); polygons are not averaged point by point.
import { z } from 'zod';
import { matchObjects, preparePolygon, QualityInputError, type Region } from '../../quality/index.ts';
import { LIMITS, attributes, classKey, confidence, countByClass, mapLabelFrame, medoid, plural, point, sortKeys } from '../common.ts';
import { onlyMethod } from '../consensus.ts';
import type { AnnotationType } from '../module.ts';
import { frameOfTask } from './bbox.ts';

export interface PolygonObject {
  label: string;
  rings: Array<Array<[number, number]>>;
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}
export interface PolygonLabel {
  objects: PolygonObject[];
  frame?: number;
}

const regionOf = (rings: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Region => ({ outer: rings[0] ?? [], holes: rings.slice(1) });

function pairAgreement(a: PolygonLabel, b: PolygonLabel) {
  const m = matchObjects(
    a.objects.map((o) => ({ label: o.label, polygon: regionOf(o.rings) })),
    b.objects.map((o) => ({ label: o.label, polygon: regionOf(o.rings) })),
    0.5,
  );
  return { value: m.f1 * m.classAgreement, metric: 'object-f1@0.5-x-class-agreement', details: { f1: m.f1, classAgreement: m.classAgreement, meanMatchedIoU: m.meanMatchedIoU } };
}

export const polygon: AnnotationType<PolygonLabel> = {
  classesOf: (d) => d.objects.map((o) => o.label),
  kind: 'polygon',
  title: 'Polygons',
  payload(ctx) {
    const ring = z.array(point(ctx)).min(3, 'a ring needs at least 3 points').max(LIMITS.pointsPerRing);
    const object = z
      .strictObject({
        label: classKey(ctx.schema),
        rings: z.array(ring).min(1, 'an object needs its outline ring').max(LIMITS.rings),
        attributes: attributes(ctx.schema).optional(),
        confidence,
      })
      .superRefine((o, issue) => {
        try {
          preparePolygon(regionOf(o.rings) as { outer: Array<[number, number]> }, 'polygon');
        } catch (error) {
          if (!(error instanceof QualityInputError)) throw error;
          issue.addIssue({ code: 'custom', path: ['rings'], message: error.message });
        }
      })
      .transform((o) => ({
        label: o.label,
        rings: o.rings,
        ...(o.attributes ? { attributes: sortKeys(o.attributes) } : {}),
        ...(o.confidence !== undefined ? { confidence: o.confidence } : {}),
      }));
    return z
      .strictObject({ objects: z.array(object).max(LIMITS.objects), frame: frameOfTask(ctx) })
      .transform((d) => ({ objects: d.objects, ...(d.frame !== undefined ? { frame: d.frame } : {}) }));
  },
  agreement: (a, b) => pairAgreement(a, b),
  consensus(labels) {
    return { data: medoid(labels, (a, b) => pairAgreement(a, b).value).data, method: 'medoid' };
  },
  consensusMethods: () => onlyMethod('medoid', 'Most representative label', "The annotator's label that agrees best with all the others is taken whole."),
  summarize(data, schema) {
    return data.objects.length === 0
      ? 'no polygons'
      : `${plural(data.objects.length, 'polygon')}: ${countByClass(
          schema,
          data.objects.map((o) => o.label),
        )}`;
  },
  objectCount: (data) => data.objects.length,
  mapFrames: mapLabelFrame,
};
