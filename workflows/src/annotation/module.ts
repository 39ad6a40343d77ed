// What an annotation type is: the one module that knows a kind of label (its payload, its bounds, its
// agreement, its consensus, how it reads in review and how it maps to export formats). Every other part
// of Suture (API, worker, metrics, console, exports) asks the registry for the module and never switches
// on the kind. Pure: zod and the quality engine only, so it runs in the API, the worker and the browser.
import type { z } from 'zod';
import type { LabelSchema } from '../domain/label-schema.ts';
import type { Convergence, CrowdMethodName, MethodOptionDoc } from '../quality/index.ts';

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
  /** The task being scored, when there is one: a crowd model that saw its labels gives its fitted consensus. */
  task?: string;
  /** The campaign's consensus method (an id of this type's `consensusMethods`); absent = the type's default. */
  consensusMethod?: string;
  /** What the campaign's labels so far say about each annotator, once there are enough of them (consensus uses it). */
  crowd?: CrowdModel;
}

/** One annotator as a crowd model estimates them. */
export interface CrowdAnnotator {
  /** Answers the annotator gave in the labels the model was fitted on. */
  answers: number;
  /** Estimated probability that the annotator's answer is right, in [0, 1], comparable across methods. */
  reliability: number;
  /** Dawid-Skene only: confusion[true][given] = P(gives `given` | the truth is `true`), in `categories` order. */
  confusion?: number[][];
  /** The method's own figure: MACE competence, GLAD ability (alpha), a skill for Wawa, ZBS, one-coin, KOS, M-MSR. */
  skill?: number;
}

/**
 * A categorical truth-inference model of the campaign's annotators (Dawid-Skene, MACE, GLAD ...), fitted on its
 * labels so far with the campaign's consensus method: each annotator's estimated reliability and the model's
 * consensus of every task it saw.
 */
export interface CrowdModel {
  method: CrowdMethodName;
  categories: string[];
  /** Class priors in `categories` order (the mean posterior over the tasks fitted). */
  priors: number[];
  annotators: ReadonlyMap<string, CrowdAnnotator>;
  /** Per task fitted: the labels the model saw there (see `seenLabels`) and its consensus label. */
  tasks: ReadonlyMap<string, { seen: string; label: string }>;
  /** Answers and tasks with two or more labels the model was fitted on. */
  answers: number;
  tasksWithLabels: number;
  convergence: Convergence;
  fittedAt: Date;
}

/** One consensus method a campaign of a type may choose. */
export interface ConsensusChoice {
  /** Stable id stored in the campaign's settings ('auto', 'dawid-skene', 'staple' ...). */
  id: string;
  /** The method in an operations manager's words. */
  title: string;
  /** What it does, in a sentence. */
  description: string;
  /**
   * The categorical method fitted on the campaign's labels when the choice uses one ('auto' fits Dawid-Skene
   * once the campaign has enough labels; 'majority' fits majority vote, for the annotators' reliability only).
   */
  crowd?: CrowdMethodName;
  /** The method's own options (`minTasks` and `seed` are common to every fitted method). */
  options?: readonly MethodOptionDoc[];
}

/** The consensus methods a type offers a campaign, and the one it uses when the campaign chose none. */
export interface ConsensusMethods {
  default: string;
  choices: readonly ConsensusChoice[];
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
  /** Stable id of the method actually used, e.g. 'weighted-box-fusion', 'staple', 'dawid-skene', 'majority-vote' (a fallback). */
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
  /** The consensus label of two or more labels, by the campaign's consensus method (`ctx.consensusMethod`). */
  consensus(labels: ReadonlyArray<LabelOf<D>>, ctx: AnnotationContext): ConsensusResult<D>;
  /** The consensus methods a campaign of this type (and schema) may choose, and its default. */
  consensusMethods(schema: LabelSchema): ConsensusMethods;
  /** One line a person reads in lists and review ("3 boxes: grasper x2, clip"). */
  summarize(data: D, schema: LabelSchema): string;
  /** Number of objects (boxes, polygons, tracks, segments ...) in a label; 1 for a classification. */
  objectCount(data: D): number;
  /**
   * The class of each object of a label (one entry per box, polygon, track, segment ...; the chosen class or
   * classes of a classification). Pilot reports read it for per-class agreement; absent: the kind names no classes.
   */
  classesOf?(data: D): string[];
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
