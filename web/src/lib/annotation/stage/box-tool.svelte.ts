// Bounding boxes on the shared stage: drag on empty space to draw a box of the chosen class, drag a box to
// move it, drag one of the selected box's eight handles to resize it, arrow keys nudge the selected box
// (Shift: 10 px). Every finished gesture is one undoable step; boxes stay inside the image.
import Konva from 'konva';
import { className } from '../common';
import type { BoxGeometry } from '../kinds/bbox';
import { clampPoint, handle, tag } from './draw';
import type { ImagePoint, StagePointer, StageScene, StageView } from './konva-stage.svelte';
import { newObjectId, type StageObject } from './objects.svelte';
import type { KindTool, ToolContext } from './tool';

/** Smallest side (image pixels) of a drawn box; a smaller drag is a click. */
const MIN_SIZE = 3;
/** How close (screen pixels) a press must land to grab a resize handle. */
const HANDLE_GRAB_PX = 9;

/** A handle: which edges it moves (n, s, e, w). */
type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';
const HANDLES: Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

type Drag =
  | { mode: 'draw'; start: ImagePoint; current: ImagePoint }
  | { mode: 'move'; id: string; start: ImagePoint; origin: BoxGeometry; box: BoxGeometry | null }
  | { mode: 'resize'; id: string; handle: Handle; origin: BoxGeometry; box: BoxGeometry | null };

function normalise([x1, y1]: ImagePoint, [x2, y2]: ImagePoint): BoxGeometry {
  return [Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1)];
}

function handlePoint([x, y, w, h]: BoxGeometry, which: Handle): ImagePoint {
  const hx = which.includes('w') ? x : which.includes('e') ? x + w : x + w / 2;
  const hy = which.includes('n') ? y : which.includes('s') ? y + h : y + h / 2;
  return [hx, hy];
}

function contains([x, y, w, h]: BoxGeometry, [px, py]: ImagePoint, margin = 0): boolean {
  return px >= x - margin && px <= x + w + margin && py >= y - margin && py <= y + h + margin;
}

/** The box with the handle's edges moved to p (it may flip over the fixed edges). */
function resized([x, y, w, h]: BoxGeometry, which: Handle, [px, py]: ImagePoint): BoxGeometry {
  let x0 = x;
  let y0 = y;
  let x1 = x + w;
  let y1 = y + h;
  if (which.includes('w')) x0 = px;
  if (which.includes('e')) x1 = px;
  if (which.includes('n')) y0 = py;
  if (which.includes('s')) y1 = py;
  return normalise([x0, y0], [x1, y1]);
}

/** The box moved by (dx, dy), kept inside the image. */
function moved([x, y, w, h]: BoxGeometry, dx: number, dy: number, size: { width: number; height: number }): BoxGeometry {
  return [Math.min(Math.max(0, x + dx), Math.max(0, size.width - w)), Math.min(Math.max(0, y + dy), Math.max(0, size.height - h)), w, h];
}

const cursors: Record<Handle, string> = { nw: 'nwse-resize', se: 'nwse-resize', ne: 'nesw-resize', sw: 'nesw-resize', n: 'ns-resize', s: 'ns-resize', e: 'ew-resize', w: 'ew-resize' };

export function boxTool(options: Pick<KindTool<BoxGeometry>, 'fromPayload' | 'suggestions' | 'toPayload'>): KindTool<BoxGeometry> {
  let drag = $state<Drag | null>(null);
  let hover = $state<string>('');

  const editable = (o: StageObject<BoxGeometry> | null): o is StageObject<BoxGeometry> => !!o && !o.hidden && !o.locked && !o.suggested;

  function handleAt(p: ImagePoint, view: StageView, ctx: ToolContext<BoxGeometry>): Handle | null {
    const o = ctx.store.selected;
    if (!editable(o)) return null;
    let best: { which: Handle; d: number } | null = null;
    for (const which of HANDLES) {
      const [hx, hy] = handlePoint(o.geometry, which);
      const d = Math.hypot(hx - p[0], hy - p[1]) * view.scale;
      if (d <= HANDLE_GRAB_PX && (!best || d < best.d)) best = { which, d };
    }
    return best?.which ?? null;
  }

  /** The topmost box under p (the selected one first, so overlapping boxes stay reachable). */
  function boxAt(p: ImagePoint, ctx: ToolContext<BoxGeometry>): StageObject<BoxGeometry> | null {
    const hits = ctx.store.pickable.filter((o) => contains(o.geometry, p));
    return hits.find((o) => o.id === ctx.store.selectedId) ?? hits[0] ?? null;
  }

  function pointer(type: StagePointer, raw: ImagePoint, _event: PointerEvent | MouseEvent, view: StageView, ctx: ToolContext<BoxGeometry>) {
    const p = clampPoint(raw, ctx.size);
    if (type === 'down') {
      const selected = ctx.store.selected;
      const which = handleAt(p, view, ctx);
      if (which && selected) {
        drag = { mode: 'resize', id: selected.id, handle: which, origin: selected.geometry, box: null };
        return;
      }
      const hit = boxAt(p, ctx);
      if (hit) {
        ctx.store.selectedId = hit.id;
        if (editable(hit)) drag = { mode: 'move', id: hit.id, start: p, origin: hit.geometry, box: null };
        return;
      }
      ctx.store.selectedId = null;
      if (ctx.tool === 'box' && ctx.activeLabel) drag = { mode: 'draw', start: p, current: p };
    } else if (type === 'move') {
      if (!drag) {
        const which = handleAt(p, view, ctx);
        hover = which ? cursors[which] : boxAt(p, ctx) ? 'move' : '';
        return;
      }
      if (drag.mode === 'draw') drag.current = p;
      else if (drag.mode === 'move') drag.box = moved(drag.origin, p[0] - drag.start[0], p[1] - drag.start[1], ctx.size);
      else drag.box = resized(drag.origin, drag.handle, p);
    } else if (type === 'up') {
      const done = drag;
      drag = null;
      if (!done) return;
      if (done.mode === 'draw') {
        const box = normalise(done.start, done.current);
        if (ctx.activeLabel && box[2] >= MIN_SIZE && box[3] >= MIN_SIZE) ctx.store.add({ id: newObjectId(), label: ctx.activeLabel, geometry: box });
      } else if (done.box && done.box.some((v, i) => v !== done.origin[i])) {
        const box = done.box;
        // A resize that leaves a sliver is undone rather than kept.
        if (box[2] >= MIN_SIZE && box[3] >= MIN_SIZE) ctx.store.update(done.id, (o) => ({ ...o, geometry: box }));
      }
    }
  }

  function draw(layer: Konva.Layer, view: StageView, ctx: ToolContext<BoxGeometry>, scene: StageScene) {
    const line = 2 / view.scale;
    const selectedId = ctx.store.selectedId;
    for (const [n, o] of ctx.store.objects.entries()) {
      if (o.hidden) continue;
      const selected = o.id === selectedId;
      // Objects are replaced, never mutated: the object, its place, selection, the zoom and the box in
      // progress are all a box's drawing depends on, so only the dragged box is rebuilt while it moves.
      const box = drag && drag.mode !== 'draw' && drag.id === o.id && drag.box ? drag.box : o.geometry;
      scene.keep(o.id, [o, n, selected, view.scale, box], (group) => {
        const color = ctx.colorOf(o.label);
        const [x, y, w, h] = box;
        group.add(
          new Konva.Rect({
            x,
            y,
            width: w,
            height: h,
            fill: `${color}${selected ? '40' : '18'}`,
            stroke: color,
            strokeWidth: selected ? line * 1.6 : line,
            dash: o.suggested ? [6 / view.scale, 4 / view.scale] : undefined,
          }),
        );
        tag(
          group,
          [x, y],
          view,
          `${n + 1} ${className(ctx.schema, o.label)}${o.suggested && o.confidence !== undefined ? ` ${Math.round(o.confidence * 100)}%` : ''}${o.locked ? ' 🔒' : ''}`,
          color,
        );
        if (selected && editable(o)) for (const which of HANDLES) handle(group, handlePoint(box, which), view, color);
      });
    }
    if (drag?.mode === 'draw') {
      const [x, y, w, h] = normalise(drag.start, drag.current);
      const color = ctx.activeLabel ? ctx.colorOf(ctx.activeLabel) : '#fff';
      layer.add(new Konva.Rect({ x, y, width: w, height: h, stroke: color, strokeWidth: line, dash: [4 / view.scale, 3 / view.scale] }));
    }
  }

  return {
    noun: ['box', 'boxes'],
    tools: [
      { id: 'box', name: 'Box', key: 'b' },
      { id: 'select', name: 'Select', key: 's' },
    ],
    shortcuts: [
      ['Drag on the image', 'draw a box of the chosen class'],
      ['Drag a box', 'move it'],
      ['Drag a handle', 'resize the selected box'],
      ['Arrow keys (Shift: 10 px)', 'nudge the selected box'],
    ],
    help: (tool) =>
      tool === 'select'
        ? 'Click a box to select it; drag it to move it, drag its handles to resize it; arrow keys nudge it.'
        : 'Drag on the image to draw a box with the chosen class. Drag a box to move it, its handles to resize it; arrow keys nudge the selected box.',
    fromPayload: options.fromPayload,
    suggestions: options.suggestions,
    toPayload: options.toPayload,
    draw,
    pointer,
    key(event, ctx) {
      if (!event.key.startsWith('Arrow')) return false;
      const o = ctx.store.selected;
      if (!editable(o)) return false;
      const step = event.shiftKey ? 10 : 1;
      const dx = event.key === 'ArrowLeft' ? -step : event.key === 'ArrowRight' ? step : 0;
      const dy = event.key === 'ArrowUp' ? -step : event.key === 'ArrowDown' ? step : 0;
      const box = moved(o.geometry, dx, dy, ctx.size);
      if (box.some((v, i) => v !== o.geometry[i])) ctx.store.update(o.id, (x) => ({ ...x, geometry: box }));
      return true;
    },
    cancel() {
      const had = drag !== null;
      drag = null;
      return had;
    },
    describe: (o) => `${Math.round(o.geometry[2])}×${Math.round(o.geometry[3])} px`,
    cursor: (ctx) => (drag ? (drag.mode === 'draw' ? 'crosshair' : 'grabbing') : hover || (ctx.tool === 'select' ? 'default' : 'crosshair')),
  };
}
