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

/**
 * Nodes kept from one redraw to the next, keyed (by object id): a redraw rebuilds only the objects whose
 * inputs changed, so dragging one object among a thousand rebuilds one group, not every node.
 */
export interface StageScene {
  /**
   * Places the group kept under `key` at this point of the drawing order. `build` fills the (emptied) group
   * when `deps` differ (by identity, element by element) from the last redraw's, or on the first; otherwise
   * the group is reused as it is. A key not kept during a redraw has its group destroyed.
   */
  keep(key: string, deps: readonly unknown[], build: (group: Konva.Group) => void): void;
}

export interface KonvaStageOptions {
  surface: () => MediaSurface;
  /**
   * Draws the scene into `layer` in image coordinates. Reactive: reruns when the state it reads changes.
   * Nodes added straight to `layer` last one redraw (drawn above the kept groups); `scene.keep` ones persist.
   */
  draw: (layer: Konva.Layer, view: StageView, scene: StageScene) => void;
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

    // The kept groups by key, with the deps they were last built from.
    const kept = new Map<string, { group: Konva.Group; deps: readonly unknown[] }>();
    const keptGroups = new Set<Konva.Node>();
    $effect(() => {
      // Last redraw's one-off nodes go; kept groups stay in place.
      for (const child of content.children.slice()) if (!keptGroups.has(child)) child.destroy();
      const order: Konva.Group[] = [];
      const used = new Set<string>();
      const scene: StageScene = {
        keep(key, deps, build) {
          if (used.has(key)) throw new Error(`stage key ${key} kept twice in one redraw`);
          used.add(key);
          let entry = kept.get(key);
          if (!entry) {
            entry = { group: new Konva.Group(), deps };
            kept.set(key, entry);
            keptGroups.add(entry.group);
            build(entry.group);
          } else if (entry.deps.length !== deps.length || entry.deps.some((d, i) => d !== deps[i])) {
            entry.group.destroyChildren();
            entry.deps = deps;
            build(entry.group);
          }
          order.push(entry.group);
        },
      };
      options.draw(content, { scale: scale() }, scene);
      for (const [key, entry] of kept)
        if (!used.has(key)) {
          kept.delete(key);
          keptGroups.delete(entry.group);
          entry.group.destroy();
        }
      // Kept groups in drawing order, then this redraw's one-off nodes; re-adding only when the order changed.
      const desired: Konva.Node[] = [...order, ...content.children.filter((c) => !keptGroups.has(c))];
      const current = content.children;
      if (current.length !== desired.length || desired.some((node, i) => current[i] !== node)) {
        content.removeChildren();
        if (desired.length) content.add(...(desired as Konva.Group[]));
      }
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
