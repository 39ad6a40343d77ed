// The annotation stage as a Svelte attachment: a Konva stage over the task's image or video frame, with
// zoom (wheel, 0 to fit), pan (space+drag or the middle button) and pointer events mapped to image pixels.
// What is drawn and what a click does belong to the caller (a kind's tool); this file knows no kind.
import Konva from 'konva';
import type { Attachment } from 'svelte/attachments';
import type { MediaSurface } from './surface';

export type ImagePoint = [number, number];
export type StagePointer = 'down' | 'move' | 'up' | 'double' | 'context';

/** How the image maps to the screen: `scale` screen pixels per image pixel (for constant-size handles). */
export interface StageView {
  scale: number;
}

export interface KonvaStageOptions {
  surface: () => MediaSurface;
  /** Draws the scene into `layer` in image coordinates. Reactive: reruns when the state it reads changes. */
  draw: (layer: Konva.Layer, view: StageView) => void;
  /** Pointer events (left button or pen) in image pixels; absent for a read-only stage. */
  pointer?: (type: StagePointer, point: ImagePoint, event: PointerEvent | MouseEvent, view: StageView) => void;
  cursor?: () => string;
}

const MAX_ZOOM = 40;

export function konvaStage(options: KonvaStageOptions): Attachment<HTMLDivElement> {
  return (host) => {
    const stage = new Konva.Stage({ container: host, width: Math.max(1, host.clientWidth), height: Math.max(1, host.clientHeight) });
    const background = new Konva.Layer({ listening: false });
    const picture = new Konva.Image({ image: undefined, listening: false });
    background.add(picture);
    const content = new Konva.Layer({ listening: false });
    stage.add(background, content);

    // zoom 1 = the image fits the host; pan in screen pixels.
    const view = $state({ zoom: 1, x: 0, y: 0, width: host.clientWidth, height: host.clientHeight });
    const fit = () => {
      const size = options.surface().size;
      return size && size.width > 0 ? view.width / size.width : 1;
    };
    const scale = () => fit() * view.zoom;

    const clampPan = () => {
      const size = options.surface().size;
      if (!size) return;
      const s = scale();
      view.x = Math.min(0, Math.max(view.width - size.width * s, view.x));
      view.y = Math.min(0, Math.max(view.height - size.height * s, view.y));
    };

    const toImage = (event: MouseEvent): ImagePoint => {
      const rect = host.getBoundingClientRect();
      const s = scale();
      return [(event.clientX - rect.left - view.x) / s, (event.clientY - rect.top - view.y) / s];
    };

    let spaceHeld = $state(false);
    let pan: { startX: number; startY: number; x: number; y: number } | null = $state(null);
    const panning = $derived(spaceHeld || pan !== null);

    $effect(() => {
      const { element, version } = options.surface();
      void version;
      picture.image(element ?? undefined);
      const size = options.surface().size;
      if (size) picture.size(size);
      stage.size({ width: Math.max(1, view.width), height: Math.max(1, view.height) });
      stage.scale({ x: scale(), y: scale() });
      stage.position({ x: view.x, y: view.y });
      background.batchDraw();
    });

    $effect(() => {
      content.destroyChildren();
      options.draw(content, { scale: scale() });
      content.batchDraw();
    });

    $effect(() => {
      host.style.cursor = panning ? 'grab' : (options.cursor?.() ?? 'crosshair');
    });

    function onWheel(event: WheelEvent) {
      event.preventDefault();
      const rect = host.getBoundingClientRect();
      const sx = event.clientX - rect.left;
      const sy = event.clientY - rect.top;
      const before = scale();
      const ix = (sx - view.x) / before;
      const iy = (sy - view.y) / before;
      view.zoom = Math.min(MAX_ZOOM, Math.max(1, view.zoom * Math.exp(-event.deltaY * 0.0015)));
      const after = scale();
      view.x = sx - ix * after;
      view.y = sy - iy * after;
      clampPan();
    }

    function onPointerDown(event: PointerEvent) {
      host.focus({ preventScroll: true });
      if (event.button === 1 || (event.button === 0 && spaceHeld)) {
        event.preventDefault();
        pan = { startX: event.clientX, startY: event.clientY, x: view.x, y: view.y };
        host.setPointerCapture(event.pointerId);
        return;
      }
      if (event.button === 2) return; // the contextmenu event reports it
      if (event.button !== 0 || !options.pointer) return;
      host.setPointerCapture(event.pointerId);
      options.pointer('down', toImage(event), event, { scale: scale() });
    }
    function onPointerMove(event: PointerEvent) {
      if (pan) {
        view.x = pan.x + event.clientX - pan.startX;
        view.y = pan.y + event.clientY - pan.startY;
        clampPan();
        return;
      }
      options.pointer?.('move', toImage(event), event, { scale: scale() });
    }
    function onPointerUp(event: PointerEvent) {
      if (host.hasPointerCapture(event.pointerId)) host.releasePointerCapture(event.pointerId);
      if (pan) {
        pan = null;
        return;
      }
      if (event.button === 0) options.pointer?.('up', toImage(event), event, { scale: scale() });
    }
    function onDoubleClick(event: MouseEvent) {
      options.pointer?.('double', toImage(event), event, { scale: scale() });
    }
    function onContextMenu(event: MouseEvent) {
      if (!options.pointer) return;
      event.preventDefault();
      options.pointer('context', toImage(event), event, { scale: scale() });
    }
    function onKeyDown(event: KeyboardEvent) {
      if (event.key === ' ' && event.target === host) {
        event.preventDefault();
        spaceHeld = true;
      } else if (event.key === '0' && !event.ctrlKey && !event.metaKey) {
        view.zoom = 1;
        view.x = 0;
        view.y = 0;
      }
    }
    function onKeyUp(event: KeyboardEvent) {
      if (event.key === ' ') spaceHeld = false;
    }
    const resize = new ResizeObserver(() => {
      view.width = host.clientWidth;
      view.height = host.clientHeight;
      clampPan();
    });
    resize.observe(host);

    host.addEventListener('wheel', onWheel, { passive: false });
    host.addEventListener('pointerdown', onPointerDown);
    host.addEventListener('pointermove', onPointerMove);
    host.addEventListener('pointerup', onPointerUp);
    host.addEventListener('pointercancel', onPointerUp);
    host.addEventListener('dblclick', onDoubleClick);
    host.addEventListener('contextmenu', onContextMenu);
    host.addEventListener('keydown', onKeyDown);
    host.addEventListener('keyup', onKeyUp);
    host.addEventListener('blur', () => (spaceHeld = false));
    return () => {
      resize.disconnect();
      host.removeEventListener('wheel', onWheel);
      host.removeEventListener('pointerdown', onPointerDown);
      host.removeEventListener('pointermove', onPointerMove);
      host.removeEventListener('pointerup', onPointerUp);
      host.removeEventListener('pointercancel', onPointerUp);
      host.removeEventListener('dblclick', onDoubleClick);
      host.removeEventListener('contextmenu', onContextMenu);
      host.removeEventListener('keydown', onKeyDown);
      host.removeEventListener('keyup', onKeyUp);
      stage.destroy();
    };
  };
}
