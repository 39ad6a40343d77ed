// Polylines: `{objects: [{label, points: [[x, y], ...], attributes?}], frame?}` in image pixels (open lines).
// The rules, summary and agreement (distance within the campaign's tolerance) are the server module's.
import type { LabelSchema } from '$lib/types';
import { cleanAttributes, isFiniteNumber, isPoint, objectsOf, round2, withFrame } from '../common';
import type { AnnotationKind } from '../kind';

export interface PolylineObject {
  label: string;
  points: Array<[number, number]>;
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}

export function asPolylines(data: unknown): PolylineObject[] {
  return objectsOf(data)
    .filter((o) => Array.isArray(o.points) && o.points.every(isPoint))
    .map((o) => ({
      label: o.label,
      points: (o.points as Array<[number, number]>).map(([x, y]) => [x, y] as [number, number]),
      ...(o.attributes !== undefined ? { attributes: o.attributes as PolylineObject['attributes'] } : {}),
      ...(isFiniteNumber(o.confidence) ? { confidence: o.confidence } : {}),
    }));
}

export function polylineData(objects: PolylineObject[], schema: LabelSchema, frame: number | null) {
  return withFrame(
    {
      objects: objects.map((o) => {
        const attributes = cleanAttributes(schema, o.attributes);
        return { label: o.label, points: o.points.map(([x, y]) => [round2(x), round2(y)] as [number, number]), ...(attributes ? { attributes } : {}) };
      }),
    },
    frame,
  );
}

export const polyline: AnnotationKind = {
  kind: 'polyline',
  title: 'Polylines',
  payload: (value, ctx) => ({ ok: true, data: polylineData(asPolylines(value), ctx.schema, ctx.frameIndex) }),
  overlay: (data) => asPolylines(data).map((o) => ({ label: o.label, shape: { type: 'line', points: o.points } })),
};
