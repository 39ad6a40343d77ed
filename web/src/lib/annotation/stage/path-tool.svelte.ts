// The vertex tool shared by polygons (closed rings, holes) and polylines (one open path): click to add
// vertices, Enter or double-click to finish, drag a vertex to move it, Alt+click or right-click to delete it,
// Shift+click or double-click on an edge to insert a vertex there (each edit one undoable step).
import Konva from 'konva';
import { className } from '../common';
import { clampPoint, distance, flat, GRAB_PX, handle, insideRings, segmentDistance, tag } from './draw';
import type { ImagePoint, StagePointer, StageScene, StageView } from './konva-stage.svelte';
import { newObjectId, type StageObject } from './objects.svelte';
import type { KindTool, ToolContext } from './tool';

export type Rings = ImagePoint[][];

interface PathToolOptions extends Pick<KindTool<Rings>, 'noun' | 'fromPayload' | 'suggestions' | 'toPayload'> {
  closed: boolean;
  /** The drawing tool's id and key; a closed path also gets a 'hole' tool (H). */
  draw: { id: string; name: string; key: string };
}

type Draft = { points: ImagePoint[]; hover: ImagePoint | null; holeOf: string | null };
type VertexDrag = { id: string; ring: number; index: number; moved: ImagePoint | null };

export function pathTool(options: PathToolOptions): KindTool<Rings> {
  const { closed } = options;
  const minPoints = closed ? 3 : 2;
  let draft = $state<Draft | null>(null);
  let drag = $state<VertexDrag | null>(null);

  const tools = [options.draw, ...(closed ? [{ id: 'hole', name: 'Hole', key: 'h' }] : []), { id: 'select', name: 'Select', key: 's' }];

  /** The selected, editable object's vertex within grabbing distance of p. */
  function vertexAt(p: ImagePoint, view: StageView, ctx: ToolContext<Rings>): { id: string; ring: number; index: number } | null {
    const o = ctx.store.selected;
    if (!o || o.hidden || o.locked || o.suggested) return null;
    let best: { id: string; ring: number; index: number; d: number } | null = null;
    o.geometry.forEach((ring, r) =>
      ring.forEach((v, i) => {
        const d = distance(v, p) * view.scale;
        if (d <= GRAB_PX && (!best || d < best.d)) best = { id: o.id, ring: r, index: i, d };
      }),
    );
    return best;
  }

  /**
   * The edge of an editable object within grabbing distance of p (the selected object first): where a new
   * vertex goes (its ring and index) and the point on the edge nearest p.
   */
  function edgeAt(p: ImagePoint, view: StageView, ctx: ToolContext<Rings>): { id: string; ring: number; index: number; at: ImagePoint } | null {
    const editable = ctx.store.pickable.filter((o) => !o.locked && !o.suggested);
    const ordered = [...editable.filter((o) => o.id === ctx.store.selectedId), ...editable];
    for (const o of ordered) {
      let best: { id: string; ring: number; index: number; at: ImagePoint; d: number } | null = null;
      o.geometry.forEach((ring, r) => {
        const edges = closed ? ring.length : ring.length - 1;
        for (let i = 0; i < edges; i++) {
          const a = ring[i]!;
          const b = ring[(i + 1) % ring.length]!;
          const d = segmentDistance(p, a, b) * view.scale;
          if (d <= GRAB_PX && (!best || d < best.d)) best = { id: o.id, ring: r, index: i + 1, at: nearestOnSegment(p, a, b), d };
        }
      });
      if (best) return best;
    }
    return null;
  }

  /** Inserts a vertex on the edge near p; true when there was an edge. */
  function insertVertex(p: ImagePoint, view: StageView, ctx: ToolContext<Rings>): boolean {
    const edge = edgeAt(p, view, ctx);
    if (!edge) return false;
    ctx.store.update(edge.id, (o) => ({
      ...o,
      geometry: o.geometry.map((r, i) => (i === edge.ring ? [...r.slice(0, edge.index), edge.at, ...r.slice(edge.index)] : r)),
    }));
    ctx.store.selectedId = edge.id;
    return true;
  }

  function objectAt(p: ImagePoint, view: StageView, ctx: ToolContext<Rings>): StageObject<Rings> | null {
    return (
      ctx.store.pickable.find((o) =>
        closed ? insideRings(o.geometry, p) : (o.geometry[0] ?? []).some((a, i, line) => i > 0 && segmentDistance(p, line[i - 1]!, a) * view.scale <= GRAB_PX),
      ) ?? null
    );
  }

  function finish(ctx: ToolContext<Rings>): boolean {
    if (!draft) return false;
    const points = draft.points;
    const holeOf = draft.holeOf;
    draft = null;
    if (points.length < minPoints) return true;
    if (holeOf) ctx.store.update(holeOf, (o) => ({ ...o, geometry: [...o.geometry, points] }));
    else if (ctx.activeLabel) ctx.store.add({ id: newObjectId(), label: ctx.activeLabel, geometry: [points] });
    return true;
  }

  function deleteVertex(v: { id: string; ring: number; index: number }, ctx: ToolContext<Rings>) {
    const o = ctx.store.objects.find((x) => x.id === v.id);
    const ring = o?.geometry[v.ring];
    if (!o || !ring) return;
    if (ring.length - 1 >= minPoints) {
      ctx.store.update(o.id, (x) => ({ ...x, geometry: x.geometry.map((r, i) => (i === v.ring ? r.filter((_, j) => j !== v.index) : r)) }));
    } else if (v.ring > 0) {
      // A hole with too few vertices left goes away as a whole.
      ctx.store.update(o.id, (x) => ({ ...x, geometry: x.geometry.filter((_, i) => i !== v.ring) }));
    }
  }

  function pointer(type: StagePointer, raw: ImagePoint, event: PointerEvent | MouseEvent, view: StageView, ctx: ToolContext<Rings>) {
    const p = clampPoint(raw, ctx.size);
    if (type === 'down') {
      if (draft) {
        const first = draft.points[0];
        const last = draft.points.at(-1);
        if (closed && first && draft.points.length >= minPoints && distance(first, p) * view.scale <= GRAB_PX) finish(ctx);
        else if (!last || distance(last, p) * view.scale > 3) draft.points.push(p);
        return;
      }
      const vertex = vertexAt(p, view, ctx);
      if (vertex) {
        if (event.altKey) deleteVertex(vertex, ctx);
        else drag = { ...vertex, moved: null };
        return;
      }
      if (event.shiftKey && insertVertex(p, view, ctx)) return;
      if (ctx.tool === 'select') {
        ctx.store.selectedId = objectAt(p, view, ctx)?.id ?? null;
        return;
      }
      if (ctx.tool === 'hole') {
        const target = ctx.store.selected;
        if (!target || target.locked || target.suggested || !insideRings([target.geometry[0] ?? []], p)) {
          ctx.store.selectedId = objectAt(p, view, ctx)?.id ?? null;
          return;
        }
        draft = { points: [p], hover: p, holeOf: target.id };
        return;
      }
      if (ctx.activeLabel) draft = { points: [p], hover: p, holeOf: null };
    } else if (type === 'move') {
      if (drag) drag.moved = p;
      else if (draft) draft.hover = p;
    } else if (type === 'up') {
      if (!drag) return;
      const { id, ring, index, moved } = drag;
      drag = null;
      if (moved)
        ctx.store.update(id, (o) => ({ ...o, geometry: o.geometry.map((r, i) => (i === ring ? r.map((v, j) => (j === index ? moved : v)) : r)) }));
    } else if (type === 'double') {
      // A double-click that only began a drawing (one vertex) is a double-click on an edge: insert a vertex.
      if (!draft || draft.points.length <= 1) {
        draft = null;
        insertVertex(p, view, ctx);
      } else finish(ctx);
    } else if (type === 'context') {
      const vertex = vertexAt(p, view, ctx);
      if (vertex) deleteVertex(vertex, ctx);
      else if (draft) draft.points.pop();
    }
  }

  function draw(layer: Konva.Layer, view: StageView, ctx: ToolContext<Rings>, scene: StageScene) {
    const line = 2 / view.scale;
    const selectedId = ctx.store.selectedId;
    for (const [n, o] of ctx.store.objects.entries()) {
      if (o.hidden) continue;
      const selected = o.id === selectedId;
      // Objects are replaced, never mutated: only the object whose vertex is dragged is rebuilt while it moves.
      const geometry = drag && drag.id === o.id && drag.moved ? moveVertex(o.geometry, drag) : o.geometry;
      scene.keep(o.id, [o, n, selected, view.scale, geometry], (group) => {
        const color = ctx.colorOf(o.label);
        const dash = o.suggested ? [6 / view.scale, 4 / view.scale] : undefined;
        if (closed) {
          group.add(
            new Konva.Shape({
              sceneFunc: (c, shape) => {
                c.beginPath();
                for (const ring of geometry) {
                  ring.forEach(([x, y], i) => (i === 0 ? c.moveTo(x, y) : c.lineTo(x, y)));
                  c.closePath();
                }
                c.fillStrokeShape(shape);
              },
              fill: `${color}${selected ? '55' : '30'}`,
              fillRule: 'evenodd',
              stroke: color,
              strokeWidth: selected ? line * 1.6 : line,
              dash,
            }),
          );
        } else {
          group.add(new Konva.Line({ points: flat(geometry[0] ?? []), stroke: color, strokeWidth: selected ? line * 2 : line * 1.3, dash, lineJoin: 'round', lineCap: 'round' }));
        }
        const anchor = geometry[0]?.[0];
        if (anchor)
          tag(
            group,
            anchor,
            view,
            `${n + 1} ${className(ctx.schema, o.label)}${o.suggested && o.confidence !== undefined ? ` ${Math.round(o.confidence * 100)}%` : ''}${o.locked ? ' 🔒' : ''}`,
            color,
          );
        if (selected && !o.locked && !o.suggested) for (const ring of geometry) for (const v of ring) handle(group, v, view, color);
      });
    }
    if (draft) {
      const color = draft.holeOf ? '#fff' : ctx.activeLabel ? ctx.colorOf(ctx.activeLabel) : '#fff';
      const pts = draft.hover ? [...draft.points, draft.hover] : draft.points;
      layer.add(new Konva.Line({ points: flat(pts), stroke: color, strokeWidth: line, dash: [4 / view.scale, 3 / view.scale], closed: false }));
      for (const v of draft.points) handle(layer, v, view, color, color);
    }
  }

  return {
    noun: options.noun,
    tools,
    shortcuts: [
      ['Click', closed ? 'add a vertex (click the first vertex to close)' : 'add a point'],
      ['Enter / double-click', closed ? 'close the ring' : 'finish the line'],
      ['Backspace (drawing)', 'remove the last vertex'],
      ['Drag a vertex', 'move it (selected object)'],
      ['Alt+click / right-click a vertex', 'delete it'],
      ['Shift+click / double-click an edge', 'insert a vertex there'],
    ],
    help: (tool) =>
      tool === 'select'
        ? `Click a ${options.noun[0]} to select it; drag its vertices to move them, Alt+click or right-click one to delete it, Shift+click or double-click an edge to insert one.`
        : tool === 'hole'
          ? 'Select a polygon, then click inside it to draw a hole; Enter or double-click closes the hole.'
          : closed
            ? 'Click to add vertices; Enter, double-click or a click on the first vertex closes the polygon. Drag vertices of the selected polygon to move them.'
            : 'Click to add points; Enter or double-click finishes the line. Drag points of the selected line to move them.',
    fromPayload: options.fromPayload,
    suggestions: options.suggestions,
    toPayload: options.toPayload,
    draw,
    pointer,
    key(event, ctx) {
      if (!draft) return false;
      if (event.key === 'Enter') return finish(ctx);
      if (event.key === 'Backspace') {
        draft.points.pop();
        if (draft.points.length === 0) draft = null;
        return true;
      }
      return false;
    },
    cancel() {
      const had = draft !== null || drag !== null;
      draft = null;
      drag = null;
      return had;
    },
    describe: (o) => `${o.geometry.reduce((n, r) => n + r.length, 0)} points${o.geometry.length > 1 ? `, ${o.geometry.length - 1} hole${o.geometry.length > 2 ? 's' : ''}` : ''}`,
    cursor: (ctx) => (drag ? 'grabbing' : ctx.tool === 'select' ? 'default' : 'crosshair'),
  };
}

function nearestOnSegment(p: ImagePoint, a: ImagePoint, b: ImagePoint): ImagePoint {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len));
  return [a[0] + t * dx, a[1] + t * dy];
}

function moveVertex(geometry: Rings, drag: VertexDrag): Rings {
  return geometry.map((r, i) => (i === drag.ring ? r.map((v, j) => (j === drag.index ? drag.moved! : v)) : r));
}
