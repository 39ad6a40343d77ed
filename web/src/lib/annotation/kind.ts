// What the console knows about one annotation kind, beside its editor component: how the editor's value
// becomes the payload the API expects (rounding, dropping editor-only state) and how a label is drawn in
// read-only overlays. Everything else a kind means (payload rules and bounds, summaries, agreement) is the
// server's annotation type module (@suture/workflows/annotation/registry), which modules.ts and review.ts
// call. One module per kind (kinds/*.ts), registered in modules.ts; pages never switch on the kind.
import type { LabelSchema } from '$lib/types';

export interface KindContext {
  schema: LabelSchema;
  /** The task's frame for per-frame tasks (sent as `frame`), else null. */
  frameIndex: number | null;
}

export type PayloadResult = { ok: true; data: unknown } | { ok: false; problem: string };

/** A drawable piece of a label, for read-only overlays (review, QA); coordinates in image pixels. */
export type OverlayShape =
  | { type: 'box'; box: [number, number, number, number] }
  | { type: 'rings'; rings: Array<Array<[number, number]>> }
  | { type: 'line'; points: Array<[number, number]> }
  | { type: 'keypoints'; points: Array<[number, number, number]>; bones: Array<[number, number]> }
  | { type: 'mask'; size: [number, number]; counts: number[] };

/** One object of a label as an overlay draws it. */
export interface ReviewObject {
  label: string;
  shape: OverlayShape;
}

export interface AnnotationKind {
  kind: string;
  /** What a person calls it. */
  title: string;
  /**
   * The editor's value in the payload shape the API expects, or why the editor has nothing to send yet.
   * Conversion only: whether the payload passes the campaign's rules is the server module's check (checkLabel).
   */
  payload(value: unknown, ctx: KindContext): PayloadResult;
  /** Spatial kinds with an `objects` array: one drawable shape per object of a label, in the label's order. */
  overlay?(data: unknown, schema: LabelSchema): ReviewObject[];
}
