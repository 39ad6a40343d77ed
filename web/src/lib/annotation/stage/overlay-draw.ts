// Draws review objects (any kind's OverlayShape) read-only: the annotator's colour, solid when the object
// agrees with every other annotator, dashed with a red tint when it does not.
import Konva from 'konva';
import { rleDecode } from '@suture/workflows/quality';
import type { OverlayShape } from '../kind';
import { flat } from './draw';
import type { StageView } from './konva-stage.svelte';
import { paintBitmap } from './mask-tool.svelte';

const AGREE = '#2ca02c';
const DISAGREE = '#d62728';
const maskCanvases = new WeakMap<number[], Map<string, HTMLCanvasElement>>();

function maskCanvas(shape: Extract<OverlayShape, { type: 'mask' }>, color: string): HTMLCanvasElement {
  let byColor = maskCanvases.get(shape.counts);
  if (!byColor) maskCanvases.set(shape.counts, (byColor = new Map()));
  let canvas = byColor.get(color);
  if (!canvas) {
    const bitmap = rleDecode({ size: shape.size, counts: shape.counts });
    canvas = document.createElement('canvas');
    paintBitmap(canvas, bitmap.data, bitmap.width, bitmap.height, color);
    byColor.set(color, canvas);
  }
  return canvas;
}

export function drawReviewShape(layer: Konva.Layer, shape: OverlayShape, view: StageView, color: string, agreed: boolean) {
  const line = 2 / view.scale;
  const dash = agreed ? undefined : [6 / view.scale, 4 / view.scale];
  const tint = `${agreed ? AGREE : DISAGREE}40`;
  switch (shape.type) {
    case 'box':
      layer.add(new Konva.Rect({ x: shape.box[0], y: shape.box[1], width: shape.box[2], height: shape.box[3], stroke: color, strokeWidth: line, dash, fill: tint }));
      break;
    case 'rings':
      layer.add(
        new Konva.Shape({
          sceneFunc: (c, s) => {
            c.beginPath();
            for (const ring of shape.rings) {
              ring.forEach(([x, y], i) => (i === 0 ? c.moveTo(x, y) : c.lineTo(x, y)));
              c.closePath();
            }
            c.fillStrokeShape(s);
          },
          fill: tint,
          fillRule: 'evenodd',
          stroke: color,
          strokeWidth: line,
          dash,
        }),
      );
      break;
    case 'line':
      layer.add(new Konva.Line({ points: flat(shape.points), stroke: agreed ? AGREE : DISAGREE, strokeWidth: line * 3.5, opacity: 0.35, lineCap: 'round', lineJoin: 'round' }));
      layer.add(new Konva.Line({ points: flat(shape.points), stroke: color, strokeWidth: line, dash, lineCap: 'round', lineJoin: 'round' }));
      break;
    case 'keypoints':
      for (const [a, b] of shape.bones) {
        const pa = shape.points[a];
        const pb = shape.points[b];
        if (pa && pb && pa[2] > 0 && pb[2] > 0) layer.add(new Konva.Line({ points: [pa[0], pa[1], pb[0], pb[1]], stroke: color, strokeWidth: line * 0.8, dash }));
      }
      for (const [x, y, v] of shape.points)
        if (v > 0) layer.add(new Konva.Circle({ x, y, radius: 4.5 / view.scale, fill: v === 2 ? color : '#fff', stroke: agreed ? AGREE : DISAGREE, strokeWidth: 1.5 / view.scale }));
      break;
    case 'mask':
      layer.add(new Konva.Image({ image: maskCanvas(shape, color), opacity: agreed ? 0.4 : 0.55 }));
      break;
  }
}

/** A 0/1 bitmap in one colour (the mask disagreement map). */
export function drawBitmap(layer: Konva.Layer, bitmap: { width: number; height: number; data: Uint8Array }, color: string, opacity: number) {
  const canvas = document.createElement('canvas');
  paintBitmap(canvas, bitmap.data, bitmap.width, bitmap.height, color);
  layer.add(new Konva.Image({ image: canvas, opacity }));
}
