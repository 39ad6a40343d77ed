// The track editor's canvas over the video frame, as a Svelte attachment: draws every track visible on the
// current frame (solid on its keyframes, dashed where interpolated, grey when occluded) and the selected
// track's path through its keyframes; drawing on empty space starts a track, dragging a box or a corner
// moves or resizes it (the editor turns that into a keyframe on this frame). Canvas pixels = video pixels.
import type { Attachment } from 'svelte/attachments';
import type { Box } from '$lib/types';

export interface TrackCanvasShape {
  id: number;
  label: string;
  box: Box;
  keyframe: boolean;
  occluded: boolean;
}

export interface TrackCanvasOptions {
  size: () => { width: number; height: number };
  shapes: () => TrackCanvasShape[];
  selected: () => number | null;
  onSelect: (id: number | null) => void;
  /** Omit both to make the canvas read-only. */
  onBox?: (id: number, box: Box) => void;
  onDraw?: (box: Box) => void;
  colorOf: (label: string) => string;
  nameOf: (label: string) => string;
  /** Box centres of the selected track's keyframes, in frame order. */
  path?: () => Array<[number, number]>;
}

type Corner = 'nw' | 'ne' | 'sw' | 'se';
type Drag =
  | { mode: 'draw'; start: [number, number]; current: [number, number] }
  | { mode: 'move'; id: number; start: [number, number]; origin: Box }
  | { mode: 'resize'; id: number; corner: Corner; origin: Box };

const MIN_SIZE = 3;
const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));
const normalise = (x1: number, y1: number, x2: number, y2: number): Box => [Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1)];

export function trackCanvas(options: TrackCanvasOptions): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const editable = () => options.onBox !== undefined;
    let drag: Drag | null = null;

    const scale = () => {
      const rect = canvas.getBoundingClientRect();
      return rect.width > 0 ? canvas.width / rect.width : 1;
    };
    const point = (event: PointerEvent): [number, number] => {
      const rect = canvas.getBoundingClientRect();
      const sx = rect.width > 0 ? canvas.width / rect.width : 1;
      const sy = rect.height > 0 ? canvas.height / rect.height : 1;
      return [clamp((event.clientX - rect.left) * sx, 0, canvas.width), clamp((event.clientY - rect.top) * sy, 0, canvas.height)];
    };
    const cornerAt = (box: Box, [x, y]: [number, number]): Corner | null => {
      const r = 9 * scale();
      const corners: Array<[Corner, number, number]> = [
        ['nw', box[0], box[1]],
        ['ne', box[0] + box[2], box[1]],
        ['sw', box[0], box[1] + box[3]],
        ['se', box[0] + box[2], box[1] + box[3]],
      ];
      return corners.find(([, cx, cy]) => Math.abs(cx - x) <= r && Math.abs(cy - y) <= r)?.[0] ?? null;
    };
    const shapeAt = ([x, y]: [number, number]) => {
      const shapes = options.shapes();
      for (let i = shapes.length - 1; i >= 0; i--) {
        const b = shapes[i]!.box;
        if (x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[3]) return shapes[i]!;
      }
      return null;
    };
    const boxOf = (id: number) => options.shapes().find((s) => s.id === id)?.box ?? null;

    function draw() {
      if (!ctx) return;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      const s = scale();
      const line = Math.max(1.5, 2 * s);
      ctx.font = `${Math.round(13 * s)}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';
      const selected = options.selected();

      const path = options.path?.() ?? [];
      if (path.length > 1) {
        ctx.setLineDash([3 * s, 3 * s]);
        ctx.lineWidth = line * 0.75;
        ctx.strokeStyle = '#ffffffcc';
        ctx.beginPath();
        path.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
        ctx.stroke();
        ctx.setLineDash([]);
        for (const [x, y] of path) {
          ctx.fillStyle = '#fff';
          ctx.beginPath();
          ctx.arc(x, y, 3 * s, 0, Math.PI * 2);
          ctx.fill();
        }
      }

      for (const shape of options.shapes()) {
        const [x, y, w, h] = shape.box;
        const color = shape.occluded ? '#9a9a9a' : options.colorOf(shape.label);
        const isSelected = shape.id === selected;
        ctx.setLineDash(shape.keyframe ? [] : [6 * s, 4 * s]);
        ctx.lineWidth = isSelected ? line * 1.8 : line;
        ctx.strokeStyle = color;
        ctx.fillStyle = `${color}${isSelected ? '33' : '14'}`;
        ctx.fillRect(x, y, w, h);
        ctx.strokeRect(x, y, w, h);
        ctx.setLineDash([]);
        const text = `#${shape.id} ${options.nameOf(shape.label)}${shape.keyframe ? ' ◆' : ''}${shape.occluded ? ' (occluded)' : ''}`;
        const pad = 3 * s;
        const tw = ctx.measureText(text).width + pad * 2;
        const th = 16 * s;
        const ty = y - th >= 0 ? y - th : y;
        ctx.fillStyle = color;
        ctx.fillRect(x, ty, tw, th);
        ctx.fillStyle = '#fff';
        ctx.fillText(text, x + pad, ty + 2 * s);
        if (isSelected && editable()) {
          ctx.fillStyle = '#fff';
          ctx.strokeStyle = color;
          ctx.lineWidth = line;
          for (const [cx, cy] of [
            [x, y],
            [x + w, y],
            [x, y + h],
            [x + w, y + h],
          ] as const) {
            ctx.beginPath();
            ctx.arc(cx, cy, 6 * s, 0, Math.PI * 2);
            ctx.fill();
            ctx.stroke();
          }
        }
      }

      if (drag?.mode === 'draw') {
        ctx.setLineDash([4 * s, 3 * s]);
        ctx.lineWidth = line;
        ctx.strokeStyle = '#fff';
        ctx.strokeRect(...normalise(...drag.start, ...drag.current));
        ctx.setLineDash([]);
      }
    }

    function onPointerDown(event: PointerEvent) {
      if (event.button !== 0) return;
      canvas.focus();
      const p = point(event);
      const selected = options.selected();
      const selectedBox = selected !== null ? boxOf(selected) : null;
      if (editable() && selected !== null && selectedBox) {
        const corner = cornerAt(selectedBox, p);
        if (corner) {
          drag = { mode: 'resize', id: selected, corner, origin: selectedBox };
          canvas.setPointerCapture(event.pointerId);
          return;
        }
      }
      const hit = shapeAt(p);
      options.onSelect(hit?.id ?? null);
      if (!editable()) return;
      drag = hit ? { mode: 'move', id: hit.id, start: p, origin: hit.box } : options.onDraw ? { mode: 'draw', start: p, current: p } : null;
      if (drag) canvas.setPointerCapture(event.pointerId);
      draw();
    }

    function onPointerMove(event: PointerEvent) {
      const p = point(event);
      if (!drag) {
        const selected = options.selected();
        const selectedBox = selected !== null ? boxOf(selected) : null;
        const corner = editable() && selectedBox ? cornerAt(selectedBox, p) : null;
        canvas.style.cursor = corner ? (corner === 'nw' || corner === 'se' ? 'nwse-resize' : 'nesw-resize') : shapeAt(p) ? 'move' : editable() ? 'crosshair' : 'default';
        return;
      }
      if (drag.mode === 'draw') {
        drag.current = p;
        draw();
      } else if (drag.mode === 'move') {
        const [x, y, w, h] = drag.origin;
        options.onBox?.(drag.id, [clamp(x + p[0] - drag.start[0], 0, canvas.width - w), clamp(y + p[1] - drag.start[1], 0, canvas.height - h), w, h]);
      } else {
        const [x, y, w, h] = drag.origin;
        const fixed: [number, number] = [drag.corner.includes('w') ? x + w : x, drag.corner.includes('n') ? y + h : y];
        const box = normalise(fixed[0], fixed[1], p[0], p[1]);
        if (box[2] >= MIN_SIZE && box[3] >= MIN_SIZE) options.onBox?.(drag.id, box);
      }
    }

    function onPointerUp(event: PointerEvent) {
      if (!drag) return;
      if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
      const finished = drag;
      drag = null;
      if (finished.mode === 'draw') {
        const box = normalise(...finished.start, ...finished.current);
        if (box[2] >= MIN_SIZE && box[3] >= MIN_SIZE) options.onDraw?.(box);
      }
      draw();
    }

    $effect(() => {
      const size = options.size();
      if (canvas.width !== size.width || canvas.height !== size.height) {
        canvas.width = size.width;
        canvas.height = size.height;
      }
      options.shapes();
      options.selected();
      options.path?.();
      draw();
    });

    const resize = new ResizeObserver(() => draw());
    resize.observe(canvas);
    canvas.addEventListener('pointerdown', onPointerDown);
    canvas.addEventListener('pointermove', onPointerMove);
    canvas.addEventListener('pointerup', onPointerUp);
    canvas.addEventListener('pointercancel', onPointerUp);
    return () => {
      resize.disconnect();
      canvas.removeEventListener('pointerdown', onPointerDown);
      canvas.removeEventListener('pointermove', onPointerMove);
      canvas.removeEventListener('pointerup', onPointerUp);
      canvas.removeEventListener('pointercancel', onPointerUp);
    };
  };
}
