// Bounding-box tool as a Svelte attachment on a <canvas> laid over an image or video frame.
// The canvas has the media's pixel size (CSS scales it), so boxes are stored in media pixels.
// Draw on empty space, drag a box to move it, drag a corner to resize, Delete removes the selection.
import type { Attachment } from 'svelte/attachments';
import type { Box, BoxObject } from '$lib/types';

export interface BoxCanvasOptions {
  /** The media's pixel size; null until it is known. */
  size: () => { width: number; height: number } | null;
  objects: () => BoxObject[];
  /** Omit to make the canvas read-only. */
  onChange?: (objects: BoxObject[]) => void;
  selected?: () => number | null;
  onSelect?: (index: number | null) => void;
  /** Class key given to newly drawn boxes. */
  activeLabel?: () => string | null;
  colorOf: (label: string) => string;
  nameOf: (label: string) => string;
  /** Dashed hint boxes (e.g. a model's pre-label), drawn under the real ones. */
  hints?: () => BoxObject[];
}

type Corner = 'nw' | 'ne' | 'sw' | 'se';
type Drag =
  | { mode: 'draw'; start: [number, number]; current: [number, number] }
  | { mode: 'move'; index: number; start: [number, number]; origin: Box }
  | { mode: 'resize'; index: number; corner: Corner; origin: Box };

const MIN_SIZE = 3;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function normalise(x1: number, y1: number, x2: number, y2: number): Box {
  return [Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1)];
}

export function boxCanvas(options: BoxCanvasOptions): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const editable = () => options.onChange !== undefined;
    let drag: Drag | null = null;
    let hover: number | null = null;

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
    const handleRadius = () => 6 * scale();

    const cornerAt = (box: Box, [x, y]: [number, number]): Corner | null => {
      const r = handleRadius() * 1.5;
      const corners: Array<[Corner, number, number]> = [
        ['nw', box[0], box[1]],
        ['ne', box[0] + box[2], box[1]],
        ['sw', box[0], box[1] + box[3]],
        ['se', box[0] + box[2], box[1] + box[3]],
      ];
      return corners.find(([, cx, cy]) => Math.abs(cx - x) <= r && Math.abs(cy - y) <= r)?.[0] ?? null;
    };
    const boxAt = ([x, y]: [number, number]): number | null => {
      const objects = options.objects();
      for (let i = objects.length - 1; i >= 0; i--) {
        const b = objects[i]!.box;
        if (x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[3]) return i;
      }
      return null;
    };

    function draw() {
      if (!ctx) return;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      const s = scale();
      const line = Math.max(1.5, 2 * s);
      ctx.font = `${Math.round(13 * s)}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';

      for (const hint of options.hints?.() ?? []) {
        ctx.setLineDash([6 * s, 4 * s]);
        ctx.lineWidth = line;
        ctx.strokeStyle = options.colorOf(hint.label);
        ctx.strokeRect(...hint.box);
      }
      ctx.setLineDash([]);

      const selected = options.selected?.() ?? null;
      options.objects().forEach((object, i) => {
        const [x, y, w, h] = object.box;
        const color = options.colorOf(object.label);
        ctx.lineWidth = i === selected ? line * 1.8 : line;
        ctx.strokeStyle = color;
        ctx.fillStyle = `${color}${i === hover || i === selected ? '33' : '14'}`;
        ctx.fillRect(x, y, w, h);
        ctx.strokeRect(x, y, w, h);
        const text = `${i + 1} ${options.nameOf(object.label)}`;
        const padding = 3 * s;
        const width = ctx.measureText(text).width + padding * 2;
        const height = 16 * s;
        const ty = y - height >= 0 ? y - height : y;
        ctx.fillStyle = color;
        ctx.fillRect(x, ty, width, height);
        ctx.fillStyle = '#fff';
        ctx.fillText(text, x + padding, ty + 2 * s);
        if (i === selected && editable()) {
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
            ctx.arc(cx, cy, handleRadius(), 0, Math.PI * 2);
            ctx.fill();
            ctx.stroke();
          }
        }
      });

      if (drag?.mode === 'draw') {
        const label = options.activeLabel?.() ?? '';
        ctx.setLineDash([4 * s, 3 * s]);
        ctx.lineWidth = line;
        ctx.strokeStyle = label ? options.colorOf(label) : '#fff';
        ctx.strokeRect(...normalise(...drag.start, ...drag.current));
        ctx.setLineDash([]);
      }
    }

    function replace(index: number, box: Box) {
      const objects = options.objects().map((o, i) => (i === index ? { ...o, box } : o));
      options.onChange?.(objects);
    }

    function onPointerDown(event: PointerEvent) {
      if (event.button !== 0) return;
      canvas.focus();
      const p = point(event);
      const selected = options.selected?.() ?? null;
      const objects = options.objects();
      if (editable() && selected !== null && objects[selected]) {
        const corner = cornerAt(objects[selected].box, p);
        if (corner) {
          drag = { mode: 'resize', index: selected, corner, origin: objects[selected].box };
          canvas.setPointerCapture(event.pointerId);
          return;
        }
      }
      const hit = boxAt(p);
      options.onSelect?.(hit);
      if (!editable()) return;
      if (hit !== null) {
        drag = { mode: 'move', index: hit, start: p, origin: objects[hit]!.box };
      } else if (options.activeLabel?.()) {
        drag = { mode: 'draw', start: p, current: p };
      }
      if (drag) canvas.setPointerCapture(event.pointerId);
      draw();
    }

    function onPointerMove(event: PointerEvent) {
      const p = point(event);
      if (!drag) {
        const before = hover;
        hover = boxAt(p);
        const selected = options.selected?.() ?? null;
        const selectedBox = selected !== null ? options.objects()[selected]?.box : undefined;
        const corner = editable() && selectedBox ? cornerAt(selectedBox, p) : null;
        canvas.style.cursor = corner ? (corner === 'nw' || corner === 'se' ? 'nwse-resize' : 'nesw-resize') : hover !== null ? (editable() ? 'move' : 'pointer') : editable() ? 'crosshair' : 'default';
        if (before !== hover) draw();
        return;
      }
      if (drag.mode === 'draw') {
        drag.current = p;
        draw();
      } else if (drag.mode === 'move') {
        const [x, y, w, h] = drag.origin;
        const nx = clamp(x + p[0] - drag.start[0], 0, canvas.width - w);
        const ny = clamp(y + p[1] - drag.start[1], 0, canvas.height - h);
        replace(drag.index, [nx, ny, w, h]);
      } else {
        const [x, y, w, h] = drag.origin;
        const fixed: [number, number] = [drag.corner.includes('w') ? x + w : x, drag.corner.includes('n') ? y + h : y];
        replace(drag.index, normalise(fixed[0], fixed[1], p[0], p[1]));
      }
    }

    function onPointerUp(event: PointerEvent) {
      if (!drag) return;
      if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
      const finished = drag;
      drag = null;
      if (finished.mode === 'draw') {
        const box = normalise(...finished.start, ...finished.current);
        const label = options.activeLabel?.();
        if (label && box[2] >= MIN_SIZE && box[3] >= MIN_SIZE) {
          const objects = [...options.objects(), { label, box }];
          options.onChange?.(objects);
          options.onSelect?.(objects.length - 1);
        }
      } else if (finished.mode === 'resize') {
        const box = options.objects()[finished.index]?.box;
        if (box && (box[2] < MIN_SIZE || box[3] < MIN_SIZE)) replace(finished.index, finished.origin);
      }
      draw();
    }

    function onKeyDown(event: KeyboardEvent) {
      if (!editable()) return;
      const selected = options.selected?.() ?? null;
      const objects = options.objects();
      if (selected === null || !objects[selected]) return;
      if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        options.onChange?.(objects.filter((_, i) => i !== selected));
        options.onSelect?.(null);
      } else if (event.key === 'Escape') {
        options.onSelect?.(null);
      } else if (event.key.startsWith('Arrow')) {
        event.preventDefault();
        const step = event.shiftKey ? 10 : 1;
        const [x, y, w, h] = objects[selected].box;
        const dx = event.key === 'ArrowLeft' ? -step : event.key === 'ArrowRight' ? step : 0;
        const dy = event.key === 'ArrowUp' ? -step : event.key === 'ArrowDown' ? step : 0;
        replace(selected, [clamp(x + dx, 0, canvas.width - w), clamp(y + dy, 0, canvas.height - h), w, h]);
      }
    }

    // Size the drawing surface to the media and redraw whenever boxes, selection or size change.
    $effect(() => {
      const size = options.size();
      if (size && (canvas.width !== size.width || canvas.height !== size.height)) {
        canvas.width = size.width;
        canvas.height = size.height;
      }
      options.objects();
      options.selected?.();
      options.hints?.();
      draw();
    });

    const resize = new ResizeObserver(() => draw());
    resize.observe(canvas);
    canvas.addEventListener('pointerdown', onPointerDown);
    canvas.addEventListener('pointermove', onPointerMove);
    canvas.addEventListener('pointerup', onPointerUp);
    canvas.addEventListener('pointercancel', onPointerUp);
    canvas.addEventListener('keydown', onKeyDown);
    return () => {
      resize.disconnect();
      canvas.removeEventListener('pointerdown', onPointerDown);
      canvas.removeEventListener('pointermove', onPointerMove);
      canvas.removeEventListener('pointerup', onPointerUp);
      canvas.removeEventListener('pointercancel', onPointerUp);
      canvas.removeEventListener('keydown', onKeyDown);
    };
  };
}
