// Bounding boxes: `{objects: [{label, box: [x, y, width, height], attributes?}], frame?}` in image pixels.
// The rules, summary and agreement are the server module's (workflows/src/annotation/kinds/bbox.ts).
import type { LabelSchema } from '$lib/types';
import { cleanAttributes, isFiniteNumber, objectsOf, round2, withFrame } from '../common';
import type { AnnotationKind } from '../kind';

export type BoxGeometry = [number, number, number, number];
export interface BoxObject {
  label: string;
  box: BoxGeometry;
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}

function isBox(value: unknown): value is BoxGeometry {
  return Array.isArray(value) && value.length === 4 && value.every(isFiniteNumber);
}

/** The boxes of a payload, draft or pre-label (anything else dropped). */
export function asBoxes(data: unknown): BoxObject[] {
  return objectsOf(data)
    .filter((o) => isBox(o.box))
    .map((o) => ({
      label: o.label,
      box: [...(o.box as BoxGeometry)] as BoxGeometry,
      ...(o.attributes !== undefined ? { attributes: o.attributes as BoxObject['attributes'] } : {}),
      ...(isFiniteNumber(o.confidence) ? { confidence: o.confidence } : {}),
    }));
}

export function boxData(objects: BoxObject[], schema: LabelSchema, frame: number | null) {
  return withFrame(
    {
      objects: objects.map((o) => {
        const attributes = cleanAttributes(schema, o.attributes);
        return { label: o.label, box: o.box.map(round2) as BoxGeometry, ...(attributes ? { attributes } : {}) };
      }),
    },
    frame,
  );
}

export const bbox: AnnotationKind = {
  kind: 'bbox',
  title: 'Bounding boxes',
  payload: (value, ctx) => ({ ok: true, data: boxData(asBoxes(value), ctx.schema, ctx.frameIndex) }),
  overlay: (data) => asBoxes(data).map((o) => ({ label: o.label, shape: { type: 'box', box: o.box } })),
};
