// Instance masks on an image or a video frame: each object is one class and one COCO RLE mask (column-major,
// size [height, width], runs starting with 0s), the size of the image. The canonical form stores the counts
// as the COCO compressed string. Agreement: objects matched by the Hungarian method on mask IoU (>= 0.5), F1
// of the matching times the share of matched pairs with the same class. Consensus (the campaign's method):
// 'staple' (default), per class, pixel-level STAPLE over each annotator's union mask of that class, on the crop
// that holds every rater's foreground (a pixel majority vote beyond STAPLE_MAX_RATERS raters); or
// 'pixel-majority-vote', a pixel in when more than half of the raters have it.
// Pre-labelling: the model's first output is [C, H, W] (or [1, C, H, W]), the probability of each schema
// class (C = the schema's classes, in order) per pixel at the model's resolution. A pixel belongs to a class
// when its probability is >= 0.5; each class's mask is resized to the image (nearest neighbour) and becomes
// one object when it holds a pixel. An object's confidence is the mean probability over its kept pixels (at
// model resolution); the task's is the mean over every kept pixel, or 1 - the highest probability when no
// pixel is kept.
import { z } from 'zod';
import {
  matchObjects,
  pixelMajorityVote,
  QualityInputError,
  rleArea,
  rleDice,
  rleFromString,
  rleEncode,
  rleMerge,
  rleToString,
  staple,
  thresholdProbability,
  type Rle,
} from '../../quality/index.ts';
import { LIMITS, RunLengths, attributes, classKey, confidence, consensusAttributes, countByClass, mapLabelFrame, plural, sortKeys } from '../common.ts';
import { clamp01, firstOutput, imageSize, PrelabelMismatchError, squeezeLeading } from '../model-output.ts';
import type { AnnotationContext, AnnotationType, ConsensusMethods, LabelOf, Prelabeler } from '../module.ts';
import { frameOfTask } from './bbox.ts';

/** COCO RLE in its compressed form: size [height, width] and the maskApi counts string. */
export interface MaskRle {
  size: [number, number];
  counts: string;
}
export interface MaskObject {
  label: string;
  rle: MaskRle;
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}
export interface MaskLabel {
  objects: MaskObject[];
  frame?: number;
}

/** The consensus methods of masks: STAPLE (default) or a pixel majority vote. */
const MASK_CONSENSUS: ConsensusMethods = {
  default: 'staple',
  choices: [
    {
      id: 'staple',
      title: 'STAPLE',
      description: "Each annotator's sensitivity and specificity are estimated together with the true mask, so a careful annotator's pixels count more.",
    },
    { id: 'pixel-majority-vote', title: 'Pixel majority vote', description: 'A pixel belongs to the class when more than half of the annotators painted it.' },
  ],
};

/** STAPLE handles at most this many raters; beyond it the consensus is a pixel majority vote. */
const STAPLE_MAX_RATERS = 16;

/** Run lengths with empty interior runs merged away (the same mask always has the same runs). */
export function normalizeRuns(counts: readonly number[]): number[] {
  const out: number[] = [counts[0] ?? 0];
  for (let k = 1; k < counts.length; k++) {
    const c = counts[k]!;
    if (c === 0) {
      // An empty run joins its neighbours (same value on both sides); a trailing empty run is dropped.
      if (k + 1 < counts.length) out[out.length - 1]! += counts[k + 1]!;
      k++;
    } else out.push(c);
  }
  return out;
}

function rleSchema(ctx: AnnotationContext) {
  const { width, height } = ctx.media;
  return z
    .strictObject({
      size: z.tuple([z.number().int('height must be a whole number').positive('height must be > 0'), z.number().int('width must be a whole number').positive('width must be > 0')]),
      counts: z.custom<string | unknown[]>((v) => typeof v === 'string' || Array.isArray(v), { message: 'expected a COCO compressed RLE string or an array of run lengths' }),
    })
    .transform((r, issue): MaskRle => {
      const fail = (path: PropertyKey[], message: string): never => {
        issue.addIssue({ code: 'custom', path: path as Array<string | number>, message });
        return z.NEVER;
      };
      const [h, w] = r.size;
      if (height !== undefined && width !== undefined && (h !== height || w !== width)) return fail(['size'], `must be [${height}, ${width}], the image's [height, width]`);
      if (h * w > LIMITS.maskPixels) return fail(['size'], `a mask has at most ${LIMITS.maskPixels} pixels, this one has ${h * w}`);
      let counts: number[];
      if (typeof r.counts === 'string') {
        if (r.counts.length > LIMITS.maskCountsChars) return fail(['counts'], `the compressed RLE is longer than ${LIMITS.maskCountsChars} characters`);
        try {
          counts = rleFromString({ size: [h, w], counts: r.counts }).counts;
        } catch (error) {
          if (!(error instanceof QualityInputError)) throw error;
          return fail(['counts'], `not a valid COCO compressed RLE: ${error.message}`);
        }
      } else {
        const raw = r.counts;
        let sum = 0;
        for (let i = 0; i < raw.length; i++) {
          const c = raw[i];
          if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0) return fail(['counts', i], 'a run length must be a non-negative integer');
          sum += c;
        }
        if (sum !== h * w) return fail(['counts'], `the runs sum to ${sum}, expected height x width = ${h * w}`);
        counts = raw as number[];
      }
      if (counts.length > LIMITS.maskRuns) return fail(['counts'], `a mask has at most ${LIMITS.maskRuns} runs`);
      const rle: Rle = { size: [h, w], counts: normalizeRuns(counts) };
      if (rleArea(rle) === 0) return fail([], 'the mask is empty; an object needs at least one pixel');
      return { size: [h, w], counts: rleToString(rle) };
    });
}

const decode = (m: MaskRle): Rle => rleFromString(m);

function pairAgreement(a: MaskLabel, b: MaskLabel) {
  const oa = a.objects.map((o) => ({ label: o.label, mask: decode(o.rle) }));
  const ob = b.objects.map((o) => ({ label: o.label, mask: decode(o.rle) }));
  const m = matchObjects(oa, ob, 0.5);
  const meanMatchedDice = m.pairs.length ? m.pairs.reduce((s, p) => s + (2 * p.iou) / (1 + p.iou), 0) / m.pairs.length : null;
  // Dice of all foreground (every object, any class) of one label against the other's.
  const size = oa[0]?.mask.size ?? ob[0]?.mask.size;
  const union = (list: typeof oa): Rle => (list.length ? rleMerge(list.map((o) => o.mask)) : { size: size!, counts: [size![0] * size![1]] });
  const foregroundDice = size ? rleDice(union(oa), union(ob)) : 1;
  return {
    value: m.f1 * m.classAgreement,
    metric: 'object-f1@0.5-x-class-agreement',
    details: { f1: m.f1, classAgreement: m.classAgreement, meanMatchedIoU: m.meanMatchedIoU, meanMatchedDice, foregroundDice },
  };
}

/** Inclusive bounding box of the foreground of column-major runs: [x0, y0, x1, y1], or null when empty. */
function foregroundBox(rle: Rle): [number, number, number, number] | null {
  const h = rle.size[0];
  let box: [number, number, number, number] | null = null;
  let pos = 0;
  rle.counts.forEach((c, k) => {
    if (k % 2 === 1 && c > 0) {
      const col0 = Math.floor(pos / h);
      const col1 = Math.floor((pos + c - 1) / h);
      const row0 = col0 === col1 ? pos % h : 0;
      const row1 = col0 === col1 ? (pos + c - 1) % h : h - 1;
      box = box ? [Math.min(box[0], col0), Math.min(box[1], row0), Math.max(box[2], col1), Math.max(box[3], row1)] : [col0, row0, col1, row1];
    }
    pos += c;
  });
  return box;
}

/** ORs the runs of `rle` into a column-major crop (index (x − x0)·cropHeight + (y − y0)). */
function paintCrop(rle: Rle, crop: Uint8Array, [x0, y0, x1, y1]: readonly number[]): void {
  const h = rle.size[0];
  const ch = y1! - y0! + 1;
  let pos = 0;
  rle.counts.forEach((c, k) => {
    if (k % 2 === 1 && c > 0) {
      const end = pos + c - 1;
      const col0 = Math.max(Math.floor(pos / h), x0!);
      const col1 = Math.min(Math.floor(end / h), x1!);
      for (let x = col0; x <= col1; x++) {
        const from = Math.max(x * h <= pos ? pos - x * h : 0, y0!);
        const to = Math.min(end - x * h < h ? end - x * h : h - 1, y1!);
        const base = (x - x0!) * ch - y0!;
        for (let y = from; y <= to; y++) crop[base + y] = 1;
      }
    }
    pos += c;
  });
}

/** Full-size column-major runs of a mask that is empty outside a crop given column-major. */
function runsFromCrop(crop: Uint8Array, [h, w]: readonly [number, number], [x0, y0, x1, y1]: readonly number[]): number[] {
  const runs = new RunLengths();
  const push = (v: number, n: number): void => runs.push(v, n);
  const ch = y1! - y0! + 1;
  push(0, x0! * h);
  for (let x = x0!; x <= x1!; x++) {
    push(0, y0!);
    const base = (x - x0!) * ch;
    for (let i = 0; i < ch; i++) push(crop[base + i] ? 1 : 0, 1);
    push(0, h - y1! - 1);
  }
  push(0, (w - x1! - 1) * h);
  return runs.finish();
}

function consensusOf(labels: ReadonlyArray<LabelOf<MaskLabel>>, ctx: AnnotationContext): { data: MaskLabel; method: string } {
  const frame = labels[0]?.data.frame;
  const decoded = labels.map((l) => l.data.objects.map((o) => ({ object: o, rle: decode(o.rle) })));
  const all = decoded.flat();
  const size: [number, number] | undefined =
    ctx.media.height !== undefined && ctx.media.width !== undefined ? [ctx.media.height, ctx.media.width] : all[0] ? [all[0].rle.size[0], all[0].rle.size[1]] : undefined;
  for (const { rle } of all)
    if (size && (rle.size[0] !== size[0] || rle.size[1] !== size[1]))
      throw new QualityInputError('SHAPE_MISMATCH', `masks to fuse must have the same size: ${rle.size.join('x')} vs ${size.join('x')}`);
  const useStaple = (ctx.consensusMethod ?? MASK_CONSENSUS.default) === 'staple' && labels.length <= STAPLE_MAX_RATERS;
  const order = ctx.schema.classes.map((c) => c.key);
  const present = new Set(all.map((o) => o.object.label));
  const objects: MaskObject[] = [];
  for (const key of order.filter((k) => present.has(k))) {
    const perRater = decoded.map((list) => list.filter((o) => o.object.label === key).map((o) => o.rle));
    let crop: [number, number, number, number] | null = null;
    for (const rle of perRater.flat()) {
      const b = foregroundBox(rle);
      if (b) crop = crop ? [Math.min(crop[0], b[0]), Math.min(crop[1], b[1]), Math.max(crop[2], b[2]), Math.max(crop[3], b[3])] : b;
    }
    if (!crop || !size) continue;
    const n = (crop[2] - crop[0] + 1) * (crop[3] - crop[1] + 1);
    const raters = perRater.map((list) => {
      const r = new Uint8Array(n);
      for (const rle of list) paintCrop(rle, r, crop);
      return r;
    });
    const fused = useStaple ? thresholdProbability(staple(raters).probability, 0.5) : pixelMajorityVote(raters);
    const rle: Rle = { size, counts: runsFromCrop(fused, size, crop) };
    if (rleArea(rle) === 0) continue;
    const attrs = consensusAttributes(all.filter((o) => o.object.label === key).map((o) => o.object.attributes ?? {}));
    objects.push({ label: key, rle: { size, counts: rleToString(rle) }, ...(attrs ? { attributes: attrs } : {}) });
  }
  return { data: { objects, ...(frame !== undefined ? { frame } : {}) }, method: useStaple ? 'staple' : 'pixel-majority-vote' };
}

export const mask: AnnotationType<MaskLabel> = {
  classesOf: (d) => d.objects.map((o) => o.label),
  kind: 'mask',
  title: 'Segmentation masks',
  payload(ctx) {
    const object = z.strictObject({ label: classKey(ctx.schema), rle: rleSchema(ctx), attributes: attributes(ctx.schema).optional(), confidence }).transform((o): MaskObject => ({
      label: o.label,
      rle: o.rle,
      ...(o.attributes ? { attributes: sortKeys(o.attributes) } : {}),
      ...(o.confidence !== undefined ? { confidence: o.confidence } : {}),
    }));
    return z
      .strictObject({ objects: z.array(object).max(LIMITS.objects), frame: frameOfTask(ctx) })
      .superRefine((d, issue) => {
        // The image size may be unknown: every object of one label must still be the same size.
        const first = d.objects[0]?.rle.size;
        d.objects.forEach((o, i) => {
          if (first && (o.rle.size[0] !== first[0] || o.rle.size[1] !== first[1]))
            issue.addIssue({ code: 'custom', path: ['objects', i, 'rle', 'size'], message: `must equal the size of the first object's mask [${first.join(', ')}]` });
        });
      })
      .transform((d): MaskLabel => ({ objects: d.objects, ...(d.frame !== undefined ? { frame: d.frame } : {}) }));
  },
  agreement: (a, b) => pairAgreement(a, b),
  consensus: (labels, ctx) => consensusOf(labels, ctx),
  consensusMethods: () => MASK_CONSENSUS,
  summarize(data, schema) {
    return data.objects.length === 0
      ? 'no masks'
      : `${plural(data.objects.length, 'mask')}: ${countByClass(
          schema,
          data.objects.map((o) => o.label),
        )}`;
  },
  objectCount: (data) => data.objects.length,
  mapFrames: mapLabelFrame,
  prelabel: prelabeler(),
};

/** A pixel belongs to a class when the model gives it at least this probability. */
export const PRELABEL_THRESHOLD = 0.5;

function prelabeler(): Prelabeler<MaskLabel> {
  return {
    describe: 'first output [C, H, W]: per-class probabilities at model resolution',
    decode(outputs, ctx) {
      const out = firstOutput(outputs);
      const [c, h, w] = squeezeLeading(out, 3, '[C, H, W] per-class probabilities') as [number, number, number];
      const classes = ctx.schema.classes;
      if (c !== classes.length) throw new PrelabelMismatchError(`the first output has ${c} class planes but the label schema has ${classes.length} classes`);
      if (h === 0 || w === 0) throw new PrelabelMismatchError('the first output has an empty plane');
      const { width, height } = imageSize(ctx);
      if (width * height > LIMITS.maskPixels) throw new PrelabelMismatchError(`the image has ${width * height} pixels, more than a mask may hold (${LIMITS.maskPixels})`);
      // Nearest neighbour: image pixel (x, y) reads model pixel (srcX[x], srcY[y]).
      const srcX = Int32Array.from({ length: width }, (_, x) => Math.min(w - 1, Math.floor(((x + 0.5) * w) / width)));
      const srcY = Int32Array.from({ length: height }, (_, y) => Math.min(h - 1, Math.floor(((y + 0.5) * h) / height)));
      const objects: MaskObject[] = [];
      let keptSum = 0;
      let keptCount = 0;
      let maxProb = 0;
      for (let k = 0; k < c; k++) {
        const plane = out.data.subarray(k * h * w, (k + 1) * h * w);
        const on = new Uint8Array(h * w);
        let sum = 0;
        let count = 0;
        for (let i = 0; i < plane.length; i++) {
          const p = plane[i]!;
          if (!Number.isFinite(p)) continue;
          if (p > maxProb) maxProb = p;
          if (p >= PRELABEL_THRESHOLD) {
            on[i] = 1;
            sum += clamp01(p);
            count += 1;
          }
        }
        if (count === 0) continue;
        const data = new Uint8Array(width * height);
        for (let y = 0; y < height; y++) {
          const row = srcY[y]! * w;
          for (let x = 0; x < width; x++) data[y * width + x] = on[row + srcX[x]!]!;
        }
        const rle = rleEncode({ width, height, data });
        if (rleArea(rle) === 0) continue;
        objects.push({ label: classes[k]!.key, rle: { size: [height, width], counts: rleToString(rle) }, confidence: sum / count });
        keptSum += sum;
        keptCount += count;
      }
      return { data: { objects }, confidence: keptCount ? keptSum / keptCount : 1 - clamp01(maxProb) };
    },
  };
}
