// Konva drawing helpers shared by the kinds' tools: sizes stay constant on screen whatever the zoom.
import Konva from 'konva';
import type { ImagePoint, StageView } from './konva-stage.svelte';

export const HANDLE_PX = 5;
/** How close (screen pixels) a click must land to grab a vertex. */
export const GRAB_PX = 8;

export function handle(layer: Konva.Layer | Konva.Group, [x, y]: ImagePoint, view: StageView, color: string, fill = '#fff') {
  layer.add(new Konva.Circle({ x, y, radius: HANDLE_PX / view.scale, fill, stroke: color, strokeWidth: 1.5 / view.scale }));
}

export function tag(layer: Konva.Layer | Konva.Group, [x, y]: ImagePoint, view: StageView, text: string, color: string) {
  const size = 12 / view.scale;
  const label = new Konva.Label({ x, y: y - size * 1.6 });
  label.add(new Konva.Tag({ fill: color, opacity: 0.85 }));
  label.add(new Konva.Text({ text, fontSize: size, padding: 2 / view.scale, fill: '#fff', fontFamily: 'system-ui, sans-serif' }));
  layer.add(label);
}

export const flat = (points: readonly ImagePoint[]) => points.flatMap(([x, y]) => [x, y]);

export function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);
}

/** Distance from p to the segment ab. */
export function segmentDistance(p: ImagePoint, a: ImagePoint, b: ImagePoint): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Even-odd point-in-rings test (the first ring the outline, the others holes). */
export function insideRings(rings: readonly (readonly ImagePoint[])[], [x, y]: ImagePoint): boolean {
  let inside = false;
  for (const ring of rings)
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i]!;
      const b = ring[j]!;
      if (a[1] > y !== b[1] > y && x < ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
    }
  return inside;
}

export function clampPoint([x, y]: ImagePoint, size: { width: number; height: number }): ImagePoint {
  return [Math.min(size.width, Math.max(0, x)), Math.min(size.height, Math.max(0, y))];
}
