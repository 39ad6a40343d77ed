// What one annotation kind plugs into the shared vector stage (VectorWorkspace.svelte): its tools and
// shortcuts, how it reads and writes its payload, how it draws its objects and answers pointer and keys.
// Whether an object is valid is not the tool's business: the workspace asks the kind's server module.
import type Konva from 'konva';
import type { LabelSchema } from '$lib/types';
import type { ImagePoint, StagePointer, StageScene, StageView } from './konva-stage.svelte';
import type { ObjectStore, StageObject } from './objects.svelte';

export interface ToolInfo {
  id: string;
  name: string;
  /** The key that picks the tool (a single letter). */
  key: string;
}

export interface ObjectAction {
  id: string;
  label: string;
  /** Shown pressed (the action in progress). */
  pressed?: boolean;
  title?: string;
}

export interface ToolContext<G> {
  store: ObjectStore<G>;
  schema: LabelSchema;
  /** The current tool's id. */
  tool: string;
  /** Class given to new objects. */
  activeLabel: string | null;
  size: { width: number; height: number };
  disabled: boolean;
  colorOf: (label: string) => string;
}

export interface KindTool<G> {
  /** Singular and plural noun of one object ("polygon", "polygons"). */
  noun: [string, string];
  tools: ToolInfo[];
  /** Shortcuts beyond the tool keys, listed in the UI: [keys, what they do]. */
  shortcuts: Array<[string, string]>;
  /** How to use the current tool, one line. */
  help(tool: string): string;
  fromPayload(value: unknown, schema: LabelSchema): StageObject<G>[];
  /** The model's suggestions (objects marked suggested, with their confidence). */
  suggestions(prelabel: unknown, schema: LabelSchema): StageObject<G>[];
  toPayload(objects: StageObject<G>[], frameIndex: number | null): unknown;
  /**
   * Draws every visible object and the tool's work in progress. Reactive reads rerun it. Objects drawn with
   * `scene.keep` (keyed by object id) are rebuilt only when their inputs change; nodes added to `layer` last
   * one redraw.
   */
  draw(layer: Konva.Layer, view: StageView, ctx: ToolContext<G>, scene: StageScene): void;
  pointer(type: StagePointer, point: ImagePoint, event: PointerEvent | MouseEvent, view: StageView, ctx: ToolContext<G>): void;
  /** A key for the tool; true when it was handled. */
  key(event: KeyboardEvent, ctx: ToolContext<G>): boolean;
  /** Leaves any drawing in progress (tool switch, Escape). True when there was something to cancel. */
  cancel(): boolean;
  /** A short description of one object for the list ("12 points", "3,420 px"). */
  describe(object: StageObject<G>): string;
  cursor?(ctx: ToolContext<G>): string;
  /** Buttons shown under the selected object in the list (e.g. the keypoint names to place). */
  actions?(object: StageObject<G>, ctx: ToolContext<G>): ObjectAction[];
  act?(object: StageObject<G>, action: string, ctx: ToolContext<G>): void;
}
