// Polygons: `{objects: [{label, rings: [[[x, y], ...], ...], attributes?}], frame?}`: the first ring the
// outline, the others holes, in image pixels. The rules (no self-intersection, holes inside, points inside
// the image), summary and agreement are the server module's; the editor shows its problems per polygon.
import type { LabelSchema } from '$lib/types';
import { cleanAttributes, isFiniteNumber, isPoint, objectsOf, round2, withFrame } from '../common';
import type { AnnotationKind } from '../kind';

export interface PolygonObject {
  label: string;
  rings: Array<Array<[number, number]>>;
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}

function isRing(value: unknown): value is Array<[number, number]> {
  return Array.isArray(value) && value.every(isPoint);
}

export function asPolygons(data: unknown): PolygonObject[] {
  return objectsOf(data)
    .filter((o) => Array.isArray(o.rings) && o.rings.length > 0 && o.rings.every(isRing))
    .map((o) => ({
      label: o.label,
      rings: (o.rings as Array<Array<[number, number]>>).map((r) => r.map(([x, y]) => [x, y] as [number, number])),
      ...(o.attributes !== undefined ? { attributes: o.attributes as PolygonObject['attributes'] } : {}),
      ...(isFiniteNumber(o.confidence) ? { confidence: o.confidence } : {}),
    }));
}

export function polygonData(objects: PolygonObject[], schema: LabelSchema, frame: number | null) {
  return withFrame(
    {
      objects: objects.map((o) => {
        const attributes = cleanAttributes(schema, o.attributes);
        return { label: o.label, rings: o.rings.map((r) => r.map(([x, y]) => [round2(x), round2(y)] as [number, number])), ...(attributes ? { attributes } : {}) };
      }),
    },
    frame,
  );
}

export const polygon: AnnotationKind = {
  kind: 'polygon',
  title: 'Polygons',
  payload: (value, ctx) => ({ ok: true, data: polygonData(asPolygons(value), ctx.schema, ctx.frameIndex) }),
  overlay: (data) => asPolygons(data).map((o) => ({ label: o.label, shape: { type: 'rings', rings: o.rings } })),
};
