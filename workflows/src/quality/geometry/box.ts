// Axis-aligned boxes: IoU and Dice.
import { overlapRatio } from '../conventions.ts';
import { assertFinite, QualityInputError } from '../errors.ts';

/** Axis-aligned box in pixels: top-left corner and size (COCO `bbox` order). Zero size = empty box. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Validates a box (finite numbers, non-negative size); `what` names it in errors. */
export function assertBox(box: Box, what = 'box'): void {
  if (!box || typeof box !== 'object') throw new QualityInputError('INVALID_GEOMETRY', `${what} must be an object {x, y, width, height}`);
  for (const k of ['x', 'y', 'width', 'height'] as const) assertFinite(box[k], `${what}.${k}`);
  if (box.width < 0 || box.height < 0) throw new QualityInputError('INVALID_GEOMETRY', `${what} has a negative size (${box.width} × ${box.height})`);
}

/** Area of the intersection of two boxes. */
export function boxIntersection(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** IoU of two boxes (two empty boxes: 1 by convention). */
export function boxIoU(a: Box, b: Box): number {
  assertBox(a, 'box a');
  assertBox(b, 'box b');
  const inter = boxIntersection(a, b);
  return overlapRatio(inter, a.width * a.height + b.width * b.height - inter);
}

/** Dice of two boxes: 2|A∩B| / (|A| + |B|) (two empty boxes: 1). */
export function boxDice(a: Box, b: Box): number {
  assertBox(a, 'box a');
  assertBox(b, 'box b');
  return overlapRatio(2 * boxIntersection(a, b), a.width * a.height + b.width * b.height);
}
