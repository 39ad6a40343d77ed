// Keypoint instances: click places the schema's keypoints in order (Shift+click: labelled but not visible),
// N skips one, Enter ends the instance; drag a point to move it, V toggles its visibility, Alt+click or
// right-click unlabels it. A skipped (or any) keypoint is placed later by picking its name under the selected
// instance in the list, then clicking. The skeleton's bones are drawn between labelled points.
import Konva from 'konva';
import { className } from '../common';
import { skeletonBones, type Keypoint } from '../kinds/keypoints';
import { clampPoint, distance, GRAB_PX, tag } from './draw';
import type { ImagePoint, StagePointer, StageView } from './konva-stage.svelte';
import { newObjectId, type StageObject } from './objects.svelte';
import type { KindTool, ToolContext } from './tool';

type Points = Keypoint[];

export function keypointsTool(options: Pick<KindTool<Points>, 'fromPayload' | 'suggestions' | 'toPayload'> & { names: string[] }): KindTool<Points> {
  const { names } = options;
  /** The keypoint the next click places; `single` when picked by name (placing stops after it). */
  let placing = $state<{ id: string; next: number; single?: boolean } | null>(null);
  let point = $state<{ id: string; index: number } | null>(null);
  let drag = $state<{ id: string; index: number; moved: ImagePoint | null } | null>(null);

  const set = (ctx: ToolContext<Points>, id: string, index: number, kp: Keypoint) =>
    ctx.store.update(id, (o) => ({ ...o, geometry: o.geometry.map((p, i) => (i === index ? kp : p)) }));

  function pointAt(p: ImagePoint, view: StageView, ctx: ToolContext<Points>): { id: string; index: number } | null {
    const editable = ctx.store.pickable.filter((o) => !o.locked && !o.suggested);
    const ordered = [...editable.filter((o) => o.id === ctx.store.selectedId), ...editable];
    for (const o of ordered) {
      const index = o.geometry.findIndex((k) => k[2] > 0 && distance(k, p) * view.scale <= GRAB_PX);
      if (index >= 0) return { id: o.id, index };
    }
    return null;
  }

  function advance(ctx: ToolContext<Points>) {
    if (!placing) return;
    const o = ctx.store.objects.find((x) => x.id === placing!.id);
    let next = placing.next + 1;
    while (o && next < names.length && o.geometry[next]![2] > 0) next++;
    placing = next < names.length && o ? { id: o.id, next } : null;
  }

  function pointer(type: StagePointer, raw: ImagePoint, event: PointerEvent | MouseEvent, view: StageView, ctx: ToolContext<Points>) {
    const p = clampPoint(raw, ctx.size);
    if (type === 'down') {
      const hit = placing ? null : pointAt(p, view, ctx);
      if (hit) {
        ctx.store.selectedId = hit.id;
        point = hit;
        if (event.altKey) set(ctx, hit.id, hit.index, [0, 0, 0]);
        else drag = { ...hit, moved: null };
        return;
      }
      const v: 1 | 2 = event.shiftKey ? 1 : 2;
      if (placing) {
        const target = ctx.store.objects.find((x) => x.id === placing!.id);
        if (!target || target.locked || target.suggested) {
          placing = null;
          return;
        }
        set(ctx, placing.id, placing.next, [p[0], p[1], v]);
        point = { id: placing.id, index: placing.next };
        if (placing.single) placing = null;
        else advance(ctx);
        return;
      }
      if (ctx.tool === 'select') {
        const o = ctx.store.pickable.find((x) => boundsContain(x.geometry, p, 10 / view.scale));
        ctx.store.selectedId = o?.id ?? null;
        return;
      }
      if (ctx.activeLabel && names.length) {
        const geometry: Points = names.map(() => [0, 0, 0]);
        geometry[0] = [p[0], p[1], v];
        const id = newObjectId();
        ctx.store.add({ id, label: ctx.activeLabel, geometry });
        point = { id, index: 0 };
        placing = names.length > 1 ? { id, next: 1 } : null;
      }
    } else if (type === 'move') {
      if (drag) drag.moved = p;
    } else if (type === 'up') {
      if (!drag) return;
      const { id, index, moved } = drag;
      drag = null;
      const o = ctx.store.objects.find((x) => x.id === id);
      if (moved && o) set(ctx, id, index, [moved[0], moved[1], o.geometry[index]![2]]);
    } else if (type === 'context') {
      const hit = pointAt(p, view, ctx);
      if (hit) set(ctx, hit.id, hit.index, [0, 0, 0]);
    }
  }

  function draw(layer: Konva.Layer, view: StageView, ctx: ToolContext<Points>) {
    const bones = skeletonBones(ctx.schema);
    const r = 4.5 / view.scale;
    for (const [n, o] of ctx.store.objects.entries()) {
      if (o.hidden) continue;
      const color = ctx.colorOf(o.label);
      const selected = o.id === ctx.store.selectedId;
      const pts = o.geometry.map((k, i): Keypoint => (drag && drag.id === o.id && drag.index === i && drag.moved ? [drag.moved[0], drag.moved[1], k[2]] : k));
      const dash = o.suggested ? [5 / view.scale, 4 / view.scale] : undefined;
      for (const [a, b] of bones) {
        const pa = pts[a];
        const pb = pts[b];
        if (pa && pb && pa[2] > 0 && pb[2] > 0) layer.add(new Konva.Line({ points: [pa[0], pa[1], pb[0], pb[1]], stroke: color, strokeWidth: (selected ? 2.5 : 1.6) / view.scale, dash }));
      }
      pts.forEach(([x, y, v], i) => {
        if (v === 0) return;
        const isPoint = point?.id === o.id && point.index === i;
        layer.add(
          new Konva.Circle({ x, y, radius: isPoint ? r * 1.5 : r, fill: v === 2 ? color : '#fff', stroke: v === 2 ? '#fff' : color, strokeWidth: (v === 2 ? 1 : 2) / view.scale, dash }),
        );
        if (selected) layer.add(new Konva.Text({ x: x + r * 1.6, y: y - r, text: names[i] ?? '', fontSize: 11 / view.scale, fill: '#fff', shadowColor: '#000', shadowBlur: 2 }));
      });
      const first = pts.find((k) => k[2] > 0);
      if (first)
        tag(
          layer,
          [first[0], first[1] - 10 / view.scale],
          view,
          `${n + 1} ${className(ctx.schema, o.label)}${o.suggested && o.confidence !== undefined ? ` ${Math.round(o.confidence * 100)}%` : ''}${o.locked ? ' 🔒' : ''}`,
          color,
        );
    }
  }

  return {
    noun: ['instance', 'instances'],
    tools: [
      { id: 'keypoints', name: 'Keypoints', key: 'k' },
      { id: 'select', name: 'Select', key: 's' },
    ],
    shortcuts: [
      ['Click', 'place the next keypoint (visible)'],
      ['Shift+click', 'place it as labelled but not visible'],
      ['N', 'skip the next keypoint (not labelled)'],
      ['Name under the selected instance, then click', 'place that keypoint (a skipped one later)'],
      ['Enter', 'end the instance'],
      ['V', 'toggle the selected point visible / not visible'],
      ['Drag a point', 'move it'],
      ['Alt+click / right-click a point', 'unlabel it'],
    ],
    help: (tool) =>
      tool === 'select'
        ? 'Click an instance to select it; drag its points to move them.'
        : placing
          ? `Click to place "${names[placing.next]}" (${placing.next + 1} of ${names.length}); Shift+click if it is hidden, N to skip it, Enter to end.`
          : `Click to start a new instance with "${names[0] ?? '—'}"; the keypoints follow in schema order.`,
    fromPayload: options.fromPayload,
    suggestions: options.suggestions,
    toPayload: options.toPayload,
    draw,
    pointer,
    key(event, ctx) {
      const key = event.key.toLowerCase();
      if (key === 'n' && placing) {
        advance(ctx);
        return true;
      }
      if (event.key === 'Enter' && placing) {
        placing = null;
        return true;
      }
      if (key === 'v' && point) {
        const o = ctx.store.objects.find((x) => x.id === point!.id);
        const k = o?.geometry[point.index];
        if (o && k && k[2] > 0 && !o.locked) set(ctx, o.id, point.index, [k[0], k[1], k[2] === 2 ? 1 : 2]);
        return true;
      }
      return false;
    },
    cancel() {
      const had = placing !== null || drag !== null;
      placing = null;
      drag = null;
      return had;
    },
    describe: (o: StageObject<Points>) => `${o.geometry.filter((k) => k[2] > 0).length}/${names.length} points`,
    cursor: () => (drag ? 'grabbing' : 'crosshair'),
    actions(object) {
      if (object.locked || object.suggested) return [];
      return names.map((name, i) => {
        const placed = (object.geometry[i]?.[2] ?? 0) > 0;
        return {
          id: `keypoint-${name}`,
          label: placed ? name : `${name} (place)`,
          pressed: placing?.id === object.id && placing.next === i,
          title: placed ? `Click on the image to move "${name}"` : `"${name}" is not labelled: click on the image to place it`,
        };
      });
    },
    act(object, action, ctx) {
      const index = names.findIndex((name) => action === `keypoint-${name}`);
      if (index < 0 || object.locked || object.suggested) return;
      ctx.store.selectedId = object.id;
      placing = { id: object.id, next: index, single: true };
    },
  };
}

function boundsContain(points: Points, [x, y]: ImagePoint, margin: number): boolean {
  const labelled = points.filter((k) => k[2] > 0);
  if (!labelled.length) return false;
  const xs = labelled.map((k) => k[0]);
  const ys = labelled.map((k) => k[1]);
  return x >= Math.min(...xs) - margin && x <= Math.max(...xs) + margin && y >= Math.min(...ys) - margin && y <= Math.max(...ys) + margin;
}
