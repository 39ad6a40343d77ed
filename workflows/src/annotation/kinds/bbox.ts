// Bounding boxes on an image or a video frame: [x, y, width, height] in pixels, inside the image.
// Agreement: objects matched by the Hungarian method on IoU (>= 0.5), F1 of the matching times the share
// of matched pairs with the same class. Consensus: weighted box fusion.
// Pre-labelling: the model's first output is [N, 6] (or [1, N, 6]), one row per detection: x1, y1, x2, y2,
// score, classIndex, corners in the pixel coordinates of the model's input image and classIndex into the
// schema's classes. Rows with score >= 0.25 are kept, scaled to the image, clipped to its bounds; boxes left
// empty are dropped; the best LIMITS.objects boxes stay, by descending score. Each box carries its score as
// its confidence; the task's confidence is the mean score of the kept boxes, or 1 - the highest score when
// none is kept (the model is that sure the image holds nothing). A kept row whose class index is not one of
// the schema's classes refuses the model.
import { z } from 'zod';
import { fuseBoxes, matchObjects, type Box } from '../../quality/index.ts';
import { LIMITS, attributes, box, classKey, confidence, countByClass, frameNumber, mapLabelFrame, plural, sortKeys } from '../common.ts';
import { onlyMethod } from '../consensus.ts';
import { clamp01, firstOutput, imageSize, PrelabelMismatchError, squeezeLeading } from '../model-output.ts';
import type { AnnotationContext, AnnotationType, Prelabeler } from '../module.ts';

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
  classesOf: (d) => d.objects.map((o) => o.label),
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
  consensusMethods: () =>
    onlyMethod('weighted-box-fusion', 'Weighted box fusion', 'Overlapping boxes of one class are merged, each weighted by its confidence; boxes most annotators drew are kept.'),
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
  prelabel: prelabeler(),
};

/** Detections with a lower score are not suggested. */
export const PRELABEL_MIN_SCORE = 0.25;

const round2 = (v: number): number => Math.round(v * 100) / 100;

function prelabeler(): Prelabeler<BoxLabel> {
  return {
    describe: 'first output [N, 6]: x1, y1, x2, y2, score, classIndex in model-input pixels',
    decode(outputs, ctx, input) {
      const out = firstOutput(outputs);
      const [n, cols] = squeezeLeading(out, 2, '[N, 6] rows of x1, y1, x2, y2, score, classIndex') as [number, number];
      if (cols !== 6) throw new PrelabelMismatchError(`the first output has rows of ${cols} values, expected 6 (x1, y1, x2, y2, score, classIndex)`);
      const { width, height } = imageSize(ctx);
      const sx = width / input.width;
      const sy = height / input.height;
      const classes = ctx.schema.classes;
      let maxScore = 0;
      const kept: Array<BoxObject & { confidence: number }> = [];
      for (let r = 0; r < n; r++) {
        const [x1, y1, x2, y2, score, cls] = Array.from(out.data.subarray(r * 6, r * 6 + 6)) as [number, number, number, number, number, number];
        if (!Number.isFinite(score)) continue;
        maxScore = Math.max(maxScore, score);
        if (score < PRELABEL_MIN_SCORE) continue;
        const k = Math.round(cls);
        if (!(k >= 0 && k < classes.length))
          throw new PrelabelMismatchError(`a detection has class index ${cls}; the label schema has ${classes.length} classes (0..${classes.length - 1})`);
        if (![x1, y1, x2, y2].every(Number.isFinite)) continue;
        const left = round2(Math.min(Math.max(x1 * sx, 0), width));
        const top = round2(Math.min(Math.max(y1 * sy, 0), height));
        const right = round2(Math.min(Math.max(x2 * sx, 0), width));
        const bottom = round2(Math.min(Math.max(y2 * sy, 0), height));
        const w = round2(right - left);
        const h = round2(bottom - top);
        if (w <= 0 || h <= 0) continue;
        kept.push({ label: classes[k]!.key, box: [left, top, w, h], confidence: clamp01(score) });
      }
      const objects = kept.sort((a, b) => b.confidence - a.confidence).slice(0, LIMITS.objects);
      const confidence = objects.length ? objects.reduce((s, o) => s + o.confidence, 0) / objects.length : 1 - clamp01(maxScore);
      return { data: { objects }, confidence };
    },
  };
}

/** The optional `frame` of a frame task's label: it must be the task's own frame. */
export function frameOfTask(ctx: AnnotationContext): z.ZodType<number | undefined> {
  const frame = frameNumber(ctx).optional();
  return ctx.frame === null ? frame : frame.refine((f) => f === undefined || f === ctx.frame, { message: `this task is frame ${ctx.frame}` });
}
