// Bounding boxes on an image or a video frame: [x, y, width, height] in pixels, inside the image.
// Agreement: objects matched by the Hungarian method on IoU (>= 0.5), F1 of the matching times the share
// of matched pairs with the same class. Consensus: weighted box fusion.
import { z } from 'zod';
import { fuseBoxes, matchObjects, type Box } from '../../quality/index.ts';
import { LIMITS, attributes, box, classKey, confidence, countByClass, frameNumber, mapLabelFrame, plural, sortKeys } from '../common.ts';
import type { AnnotationContext, AnnotationType } from '../module.ts';

export interface BoxObject {
  label: string;
  box: [number, number, number, number];
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}
export interface BoxLabel {
  objects: BoxObject[];
  frame?: number;
}

const toBox = ([x, y, width, height]: readonly number[]): Box => ({ x: x!, y: y!, width: width!, height: height! });

export const bbox: AnnotationType<BoxLabel> = {
  kind: 'bbox',
  title: 'Bounding boxes',
  payload(ctx) {
    const object = z.strictObject({ label: classKey(ctx.schema), box: box(ctx), attributes: attributes(ctx.schema).optional(), confidence }).transform((o) => ({
      label: o.label,
      box: o.box,
      ...(o.attributes ? { attributes: sortKeys(o.attributes) } : {}),
      ...(o.confidence !== undefined ? { confidence: o.confidence } : {}),
    }));
    return z
      .strictObject({ objects: z.array(object).max(LIMITS.objects), frame: frameOfTask(ctx) })
      .transform((d) => ({ objects: d.objects, ...(d.frame !== undefined ? { frame: d.frame } : {}) }));
  },
  agreement(a, b) {
    const m = matchObjects(
      a.objects.map((o) => ({ label: o.label, box: toBox(o.box) })),
      b.objects.map((o) => ({ label: o.label, box: toBox(o.box) })),
      0.5,
    );
    return { value: m.f1 * m.classAgreement, metric: 'object-f1@0.5-x-class-agreement', details: { f1: m.f1, classAgreement: m.classAgreement, meanMatchedIoU: m.meanMatchedIoU } };
  },
  consensus(labels) {
    const fused = fuseBoxes(labels.flatMap((l) => l.data.objects.map((o) => ({ annotator: l.annotator, label: o.label, box: toBox(o.box), confidence: o.confidence ?? 1 }))));
    const frame = labels[0]?.data.frame;
    return {
      data: {
        objects: fused.map((f) => ({ label: f.label, box: [f.box.x, f.box.y, f.box.width, f.box.height], confidence: f.confidence })),
        ...(frame !== undefined ? { frame } : {}),
      },
      method: 'weighted-box-fusion',
    };
  },
  summarize(data, schema) {
    return data.objects.length === 0
      ? 'no boxes'
      : `${plural(data.objects.length, 'box', 'boxes')}: ${countByClass(
          schema,
          data.objects.map((o) => o.label),
        )}`;
  },
  objectCount: (data) => data.objects.length,
  mapFrames: mapLabelFrame,
};

/** The optional `frame` of a frame task's label: it must be the task's own frame. */
export function frameOfTask(ctx: AnnotationContext): z.ZodType<number | undefined> {
  const frame = frameNumber(ctx).optional();
  return ctx.frame === null ? frame : frame.refine((f) => f === undefined || f === ctx.frame, { message: `this task is frame ${ctx.frame}` });
}
