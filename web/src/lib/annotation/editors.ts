// The registry of annotation editors: kind -> Svelte component. Every editor takes the same props
// (EditorProps) and binds `value` to the payload of its kind (see kinds/*.ts for the shapes); LabelEditor
// looks the editor up here and never switches on the kind. Register a new kind's editor here and its
// module in modules.ts.
import type { Component } from 'svelte';
import type { Asset, GeometryKind, LabelSchema } from '$lib/types';
import BboxEditor from './editors/BboxEditor.svelte';
import ClassificationLabelEditor from './editors/ClassificationLabelEditor.svelte';
import JsonEditor from './editors/JsonEditor.svelte';
import KeypointsEditor from './editors/KeypointsEditor.svelte';
import MaskEditor from './editors/MaskEditor.svelte';
import PhasesEditor from './editors/PhasesEditor.svelte';
import TrackEditor from './editors/TrackEditor.svelte';
import VolumeEditor from './editors/VolumeEditor.svelte';
import PolygonEditor from './editors/PolygonEditor.svelte';
import PolylineEditor from './editors/PolylineEditor.svelte';

export interface EditorProps {
  schema: LabelSchema;
  asset: Asset | null;
  /** The task's frame for per-frame video tasks (payloads carry it as `frame`), else null. */
  frameIndex: number | null;
  /** The label, in its kind's payload shape ($bindable). May start as null or a saved draft. */
  value: unknown;
  /** The task's model pre-label (kind-specific shape, with `confidence`), or null. */
  prelabel: unknown;
  disabled: boolean;
}

export type AnnotationEditor = Component<EditorProps, Record<string, never>, 'value'>;

/**
 * An editor sets its value to this while the label cannot be sent as it is (e.g. JSON that does not parse,
 * a polygon being drawn); LabelEditor reports the message instead of submitting.
 */
export class UnfinishedLabel {
  constructor(
    readonly problem: string,
    /** What the editor would keep as a draft. */
    readonly draft: unknown = null,
  ) {}
}

export const annotationEditors: Record<GeometryKind, AnnotationEditor> = {
  classification: ClassificationLabelEditor,
  bbox: BboxEditor,
  polygon: PolygonEditor,
  mask: MaskEditor,
  keypoints: KeypointsEditor,
  polyline: PolylineEditor,
  track: TrackEditor,
  phases: PhasesEditor,
  volume: VolumeEditor,
};

/** The editor of a kind (the JSON editor for a kind this console does not know). */
export function editorFor(kind: string): AnnotationEditor {
  return (annotationEditors as Record<string, AnnotationEditor>)[kind] ?? JsonEditor;
}
