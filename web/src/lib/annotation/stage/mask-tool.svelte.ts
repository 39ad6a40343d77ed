// Brush and eraser painting one bitmap per object at image resolution. A stroke paints straight into the
// object's offscreen canvas (smooth on a 1080p frame); only when the stroke ends is the canvas read back,
// thresholded and run-length encoded (one undo step per stroke).
import Konva from 'konva';
import { rleDecode, rleEncode, type Rle } from '@suture/workflows/quality';
import { className } from '../common';
import { tag } from './draw';
import type { ImagePoint, StagePointer, StageView } from './konva-stage.svelte';
import { newObjectId, type StageObject } from './objects.svelte';
import type { KindTool, ToolContext } from './tool';

interface Painted {
  rle: Rle | null;
  color: string;
  canvas: HTMLCanvasElement;
}

function hexRgb(color: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(color);
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] : [255, 0, 0];
}

/** Paints a row-major 0/1 bitmap into a canvas in one colour. */
export function paintBitmap(canvas: HTMLCanvasElement, data: Uint8Array, width: number, height: number, color: string) {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  const [r, g, b] = hexRgb(color);
  for (let i = 0; i < data.length; i++) {
    if (!data[i]) continue;
    const j = i * 4;
    image.data[j] = r;
    image.data[j + 1] = g;
    image.data[j + 2] = b;
    image.data[j + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

export function maskTool(options: Pick<KindTool<Rle>, 'fromPayload' | 'suggestions' | 'toPayload'>): KindTool<Rle> {
  let brush = $state(24);
  let hover = $state<ImagePoint | null>(null);
  let stroke: { id: string; isNew: boolean; label: string; last: ImagePoint; erase: boolean } | null = null;
  const painted = new Map<string, Painted>();
  let layerRef: Konva.Layer | null = null;

  /** The object's canvas, repainted from its runs when they changed (undo, redo, a new stroke elsewhere). */
  function canvasOf(o: { id: string; geometry: Rle | null; label: string }, color: string, size: { width: number; height: number }): HTMLCanvasElement {
    let entry = painted.get(o.id);
    if (!entry) {
      entry = { rle: null, color, canvas: document.createElement('canvas') };
      entry.canvas.width = size.width;
      entry.canvas.height = size.height;
      painted.set(o.id, entry);
    }
    if (o.geometry && (entry.rle !== o.geometry || entry.color !== color)) {
      const bitmap = rleDecode(o.geometry);
      paintBitmap(entry.canvas, bitmap.data, bitmap.width, bitmap.height, color);
      entry.rle = o.geometry;
      entry.color = color;
    }
    return entry.canvas;
  }

  function paintTo(p: ImagePoint) {
    if (!stroke) return;
    const entry = painted.get(stroke.id);
    const ctx = entry?.canvas.getContext('2d');
    if (!entry || !ctx) return;
    ctx.save();
    ctx.globalCompositeOperation = stroke.erase ? 'destination-out' : 'source-over';
    ctx.strokeStyle = entry.color;
    ctx.fillStyle = entry.color;
    ctx.lineWidth = brush;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(stroke.last[0], stroke.last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(p[0], p[1], brush / 2, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
    stroke.last = p;
    layerRef?.batchDraw();
  }

  function endStroke(ctx: ToolContext<Rle>) {
    if (!stroke) return;
    const { id, isNew, label } = stroke;
    stroke = null;
    const entry = painted.get(id);
    if (!entry) return;
    const { width, height } = entry.canvas;
    const pixels = entry.canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const data = new Uint8Array(width * height);
    let area = 0;
    for (let i = 0; i < data.length; i++) if (pixels[i * 4 + 3]! >= 128) (data[i] = 1), area++;
    const rle = rleEncode({ width, height, data });
    // Keep the canvas binary (what is stored is what is shown) and mark it current for these runs.
    paintBitmap(entry.canvas, data, width, height, entry.color);
    entry.rle = rle;
    if (isNew) {
      if (area > 0) ctx.store.add({ id, label, geometry: rle });
      else painted.delete(id);
    } else if (area === 0) ctx.store.remove(id);
    else ctx.store.update(id, (o) => ({ ...o, geometry: rle }));
  }

  function pointer(type: StagePointer, p: ImagePoint, _event: PointerEvent | MouseEvent, _view: StageView, ctx: ToolContext<Rle>) {
    if (type === 'move') {
      hover = p;
      if (stroke) paintTo(p);
      return;
    }
    if (type === 'up') {
      endStroke(ctx);
      return;
    }
    if (type !== 'down') return;
    const { width, height } = ctx.size;
    const inside = (o: StageObject<Rle>) => {
      const x = Math.floor(p[0]);
      const y = Math.floor(p[1]);
      if (x < 0 || y < 0 || x >= width || y >= height) return false;
      return maskHas(o.geometry, x, y);
    };
    if (ctx.tool === 'select') {
      ctx.store.selectedId = ctx.store.pickable.find(inside)?.id ?? null;
      return;
    }
    const selected = ctx.store.selected;
    const target = selected && !selected.locked && !selected.suggested && !selected.hidden ? selected : null;
    if (ctx.tool === 'eraser') {
      if (!target) return;
      canvasOf(target, ctx.colorOf(target.label), ctx.size);
      stroke = { id: target.id, isNew: false, label: target.label, last: p, erase: true };
    } else if (target) {
      canvasOf(target, ctx.colorOf(target.label), ctx.size);
      stroke = { id: target.id, isNew: false, label: target.label, last: p, erase: false };
    } else {
      if (!ctx.activeLabel) return;
      const id = newObjectId();
      canvasOf({ id, geometry: null, label: ctx.activeLabel }, ctx.colorOf(ctx.activeLabel), ctx.size);
      stroke = { id, isNew: true, label: ctx.activeLabel, last: p, erase: false };
      ctx.store.selectedId = null;
    }
    paintTo(p);
  }

  function draw(layer: Konva.Layer, view: StageView, ctx: ToolContext<Rle>) {
    layerRef = layer;
    const live = new Set(ctx.store.objects.map((o) => o.id));
    for (const id of painted.keys()) if (!live.has(id) && id !== stroke?.id) painted.delete(id);
    for (const [n, o] of ctx.store.objects.entries()) {
      if (o.hidden) continue;
      const color = ctx.colorOf(o.label);
      const selected = o.id === ctx.store.selectedId;
      layer.add(new Konva.Image({ image: canvasOf(o, color, ctx.size), x: 0, y: 0, opacity: o.suggested ? 0.3 : selected ? 0.6 : 0.45 }));
      const at = firstPixel(o.geometry);
      if (at)
        tag(
          layer,
          at,
          view,
          `${n + 1} ${className(ctx.schema, o.label)}${o.suggested && o.confidence !== undefined ? ` ${Math.round(o.confidence * 100)}%` : ''}${o.locked ? ' 🔒' : ''}`,
          color,
        );
    }
    if (stroke?.isNew) {
      const entry = painted.get(stroke.id);
      if (entry) layer.add(new Konva.Image({ image: entry.canvas, opacity: 0.45 }));
    }
    if (hover && ctx.tool !== 'select')
      layer.add(new Konva.Circle({ x: hover[0], y: hover[1], radius: brush / 2, stroke: ctx.tool === 'eraser' ? '#fff' : '#ff0', strokeWidth: 1 / view.scale, dash: [3 / view.scale, 3 / view.scale] }));
  }

  return {
    noun: ['mask', 'masks'],
    tools: [
      { id: 'brush', name: 'Brush', key: 'b' },
      { id: 'eraser', name: 'Eraser', key: 'e' },
      { id: 'select', name: 'Select', key: 's' },
    ],
    shortcuts: [
      ['[ / ]', 'smaller / larger brush'],
      ['N', 'start a new mask (deselect)'],
      ['Drag', 'paint (brush) or erase (eraser) the selected mask'],
    ],
    help: (tool) =>
      tool === 'select'
        ? 'Click a mask to select it.'
        : tool === 'eraser'
          ? `Drag to erase from the selected mask (brush ${brush} px).`
          : `Drag to paint (brush ${brush} px): into the selected mask, or a new one with the chosen class when none is selected (N).`,
    fromPayload: options.fromPayload,
    suggestions: options.suggestions,
    toPayload: options.toPayload,
    draw,
    pointer,
    key(event, ctx) {
      if (event.key === '[') brush = Math.max(1, Math.round(brush / 1.25));
      else if (event.key === ']') brush = Math.min(400, Math.round(brush * 1.25));
      else if (event.key.toLowerCase() === 'n') ctx.store.selectedId = null;
      else return false;
      return true;
    },
    cancel() {
      return false;
    },
    describe: (o) => `${maskArea(o.geometry).toLocaleString('en')} px`,
    cursor: (ctx) => (ctx.tool === 'select' ? 'default' : 'none'),
  };
}

function maskArea(rle: Rle): number {
  let area = 0;
  for (let i = 1; i < rle.counts.length; i += 2) area += rle.counts[i]!;
  return area;
}

/** Whether pixel (x, y) is set, walking the column-major runs. */
function maskHas(rle: Rle, x: number, y: number): boolean {
  const target = x * rle.size[0] + y;
  let pos = 0;
  for (let i = 0; i < rle.counts.length; i++) {
    pos += rle.counts[i]!;
    if (target < pos) return i % 2 === 1;
  }
  return false;
}

/** The first set pixel (column-major), where the mask's tag goes. */
function firstPixel(rle: Rle): ImagePoint | null {
  const first = rle.counts[0];
  if (first === undefined || rle.counts.length < 2) return null;
  return [Math.floor(first / rle.size[0]), first % rle.size[0]];
}
