// What an annotation type is: the one module that knows a kind of label (its payload, its bounds, its
// agreement, its consensus, how it reads in review and how it maps to export formats). Every other part
// of Suture (API, worker, metrics, console, exports) asks the registry for the module and never switches
// on the kind. Pure: zod and the quality engine only, so it runs in the API, the worker and the browser.
import type { z } from 'zod';
import type { LabelSchema } from '../domain/label-schema.ts';

/**
 * What the media behind a task allows: the bounds every coordinate, frame and voxel of a label is checked
 * against. Absent fields are unknown (an asset not ingested yet); a module then checks what it can.
 */
export interface MediaBounds {
  /** Image or frame size in pixels. */
  width?: number;
  height?: number;
  /** Frames of the video (the proxy the workspace plays), for whole-video tasks. */
  frameCount?: number;
  /** Volume grid [x, y, z] in voxels and its spacing in mm. */
  volume?: { dims: [number, number, number]; spacing?: [number, number, number] };
}

/** Everything a module needs besides the payload: the campaign's schema and the task's media. */
export interface AnnotationContext {
  schema: LabelSchema;
  media: MediaBounds;
  /** The task's frame (video frame or slice) when the task is one part of an asset; null for whole-asset tasks. */
  frame: number | null;
  /** What the campaign's labels so far say about each annotator, once there are enough of them (consensus uses it). */
  crowd?: CrowdModel;
}

/**
 * A Dawid-Skene model of the campaign's annotators, fitted on its categorical labels so far: class priors
 * and, per annotator, confusion[true][given] = P(gives `given` | the truth is `true`), in `categories` order.
 */
export interface CrowdModel {
  method: 'dawid-skene';
  categories: string[];
  priors: number[];
  annotators: ReadonlyMap<string, { confusion: number[][]; answers: number }>;
  /** Answers the model was fitted on. */
  answers: number;
}

export type ParseResult<D> = { ok: true; value: D } | { ok: false; problems: string[] };

/** Agreement of two labels of one task: a value in [0, 1] (1 = identical) and the named metric behind it. */
export interface PairAgreement {
  value: number;
  /** Stable metric id, e.g. 'object-f1@0.5-x-class-agreement'. */
  metric: string;
  /** Further figures worth showing (segment F1 at several thresholds, HD95, mean distance ...); null = undefined. */
  details?: Record<string, number | null>;
}

export interface ConsensusResult<D> {
  data: D;
  /** Stable method id, e.g. 'weighted-box-fusion', 'staple', 'per-frame-vote'. */
  method: string;
}

/** One annotator's parsed label of a task. */
export interface LabelOf<D> {
  annotator: string;
  data: D;
}

export interface AnnotationType<D = unknown> {
  kind: string;
  /** What a person calls it, for the console. */
  title: string;
  /** Kind-specific label-schema rules (e.g. a keypoints campaign needs its keypoint names). */
  checkSchema?(schema: LabelSchema): string[];
  /**
   * The strict payload check: the zod schema of the payload for this campaign and task. It refuses anything
   * a later stage (agreement, consensus, export) could not handle, bounded by the media; its output is the
   * canonical form (keys in one order), so equal labels compare equal whatever order they were sent in.
   */
  payload(ctx: AnnotationContext): z.ZodType<D>;
  /** Agreement of two labels, symmetric, in [0, 1]. */
  agreement(a: D, b: D, ctx: AnnotationContext): PairAgreement;
  /** The consensus label of two or more labels. */
  consensus(labels: ReadonlyArray<LabelOf<D>>, ctx: AnnotationContext): ConsensusResult<D>;
  /** One line a person reads in lists and review ("3 boxes: grasper x2, clip"). */
  summarize(data: D, schema: LabelSchema): string;
  /** Number of objects (boxes, polygons, tracks, segments ...) in a label; 1 for a classification. */
  objectCount(data: D): number;
  /**
   * The label with every video frame it names rewritten through `map` (exports: proxy frame -> source frame),
   * everything else kept. Frame ranges stay half-open: an end is one past the mapped frame before it. Absent
   * for kinds that name no video frames (classification, volume).
   */
  mapFrames?(data: D, map: (frame: number) => number): D;
  /**
   * Pre-labelling: turns a model's raw outputs on one image into a payload of this kind (it must pass
   * `payload(ctx)`) and the task's confidence in [0, 1]. `describe` states the model convention; the module's
   * header documents it. Throws PrelabelMismatchError when the outputs do not fit the convention. Absent for
   * kinds with no pre-label decoder.
   */
  prelabel?: Prelabeler<D>;
}

/** One output tensor of a pre-labelling model: its values (row-major) and its shape. */
export interface ModelOutput {
  data: Float32Array;
  dims: readonly number[];
}

export interface Prelabeler<D> {
  /** The model convention in one line, for notes ("first output: one logit per class ..."). */
  describe: string;
  /**
   * `outputs` in the model's output order; `ctx.media` holds the image size; `input` is the size of the
   * image the model was given (its input tensor's H and W).
   */
  decode(outputs: Readonly<Record<string, ModelOutput>>, ctx: AnnotationContext, input: { width: number; height: number }): { data: D; confidence: number };
}
