// Masks: `{objects: [{label, rle: {size: [height, width], counts}, attributes?}], frame?}`, one bitmap per
// object at image resolution as COCO compressed RLE (column-major runs, pycocotools' string form); the
// encode/decode helpers are the quality engine's, shared with the API and the worker; the rules, summary and
// agreement are the server module's.
import { rleArea, rleFromString, rleToString, type Rle } from '@suture/workflows/quality';
import type { LabelSchema } from '$lib/types';
import { cleanAttributes, isFiniteNumber, isRecord, objectsOf, withFrame } from '../common';
import type { AnnotationKind } from '../kind';

export interface MaskObject {
  label: string;
  /** Uncompressed runs (the editor's working form). */
  rle: Rle;
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}

function readRle(value: unknown): Rle | null {
  if (!isRecord(value) || !Array.isArray(value.size) || value.size.length !== 2) return null;
  const [h, w] = value.size as unknown[];
  if (!Number.isInteger(h) || !Number.isInteger(w)) return null;
  const size: [number, number] = [h as number, w as number];
  try {
    if (typeof value.counts === 'string') return rleFromString({ size, counts: value.counts });
    if (Array.isArray(value.counts) && value.counts.every((c) => Number.isInteger(c) && c >= 0)) return { size, counts: value.counts as number[] };
  } catch {
    return null; // a malformed string is not a mask this editor can show
  }
  return null;
}

export function asMasks(data: unknown): MaskObject[] {
  return objectsOf(data).flatMap((o) => {
    const rle = readRle(o.rle);
    return rle
      ? [
          {
            label: o.label,
            rle,
            ...(o.attributes !== undefined ? { attributes: o.attributes as MaskObject['attributes'] } : {}),
            ...(isFiniteNumber(o.confidence) ? { confidence: o.confidence } : {}),
          },
        ]
      : [];
  });
}

export function maskData(objects: MaskObject[], schema: LabelSchema, frame: number | null) {
  return withFrame(
    {
      objects: objects
        .filter((o) => rleArea(o.rle) > 0)
        .map((o) => {
          const attributes = cleanAttributes(schema, o.attributes);
          return { label: o.label, rle: { size: o.rle.size, counts: rleToString(o.rle) }, ...(attributes ? { attributes } : {}) };
        }),
    },
    frame,
  );
}

export const mask: AnnotationKind = {
  kind: 'mask',
  title: 'Masks',
  payload: (value, ctx) => ({ ok: true, data: maskData(asMasks(value), ctx.schema, ctx.frameIndex) }),
  overlay: (data) => asMasks(data).map((o) => ({ label: o.label, shape: { type: 'mask', size: o.rle.size, counts: o.rle.counts } })),
};
