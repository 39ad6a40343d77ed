// The label payloads exports read, as the annotation type modules define them (stored labels passed their
// module's check), and the geometry exports compute from them: areas, boxes, rasters, interpolated tracks.
import { rleDecode, rleEncode, rleFromString, rleToString, type Bitmap, type Rle } from '../quality/geometry/rle.ts';
import type { FrameMapping } from './format.ts';

export type Attributes = Record<string, boolean | number | string>;
export type XYWH = [number, number, number, number];

export interface ClassificationLabel {
  label?: string;
  labels?: string[];
  attributes?: Attributes;
}
export interface BoxLabel {
  objects: Array<{ label: string; box: XYWH; attributes?: Attributes; confidence?: number }>;
  frame?: number;
}
export interface PolygonLabel {
  objects: Array<{ label: string; rings: Array<Array<[number, number]>>; attributes?: Attributes }>;
  frame?: number;
}
export interface MaskLabel {
  objects: Array<{ label: string; rle: { size: [number, number]; counts: string }; attributes?: Attributes }>;
  frame?: number;
}
export interface KeypointsLabel {
  objects: Array<{ label: string; points: Array<[number, number, number]>; attributes?: Attributes }>;
  frame?: number;
}
export interface PolylineLabel {
  objects: Array<{ label: string; points: Array<[number, number]>; attributes?: Attributes }>;
  frame?: number;
}
export interface Keyframe {
  frame: number;
  box: XYWH;
  outside?: boolean;
  occluded?: boolean;
}
export interface TrackLabel {
  tracks: Array<{ id: string | number; label: string; keyframes: Keyframe[]; attributes?: Attributes }>;
}
export interface PhasesLabel {
  segments: Array<{ phase: string; start: number; end: number }>;
}
export interface VolumeLabel {
  dims: [number, number, number];
  segments: Array<{ label: string; rle: { counts: number[] } }>;
}

/** The frame a per-frame label sits on: the task's frame, else the payload's own, else none (an image). */
export function frameOf(taskFrame: number | null, data: unknown): number | null {
  if (taskFrame !== null) return taskFrame;
  const f = (data as { frame?: unknown } | null)?.frame;
  return typeof f === 'number' ? f : null;
}

/** Shoelace area of one ring (absolute). */
export function ringArea(ring: ReadonlyArray<readonly [number, number]>): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += ring[j]![0] * ring[i]![1] - ring[i]![0] * ring[j]![1];
  return Math.abs(s) / 2;
}

/** Area of a polygon with holes: the outline's area minus each hole's. */
export function polygonArea(rings: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): number {
  if (rings.length === 0) return 0;
  return Math.max(0, ringArea(rings[0]!) - rings.slice(1).reduce((s, r) => s + ringArea(r), 0));
}

export function boundsOf(points: ReadonlyArray<readonly [number, number, ...unknown[]]>): XYWH {
  if (points.length === 0) return [0, 0, 0, 0];
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * Rasterizes a polygon with holes (even-odd) onto a width×height grid: a pixel is inside when its centre is.
 * Used where a format cannot hold holes in a polygon (COCO, CVAT) and the object becomes a mask instead.
 */
export function rasterizePolygon(rings: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, width: number, height: number): Bitmap {
  const data = new Uint8Array(width * height);
  const xs: number[] = [];
  for (let y = 0; y < height; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [ax, ay] = ring[j]!;
        const [bx, by] = ring[i]!;
        if (ay <= cy === by <= cy) continue;
        xs.push(ax + ((cy - ay) / (by - ay)) * (bx - ax));
      }
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const to = Math.min(width - 1, Math.ceil(xs[k + 1]! - 0.5) - 1);
      for (let x = from; x <= to; x++) data[y * width + x] = 1;
    }
  }
  return { width, height, data };
}

/** COCO compressed RLE of a bitmap. */
export function bitmapToCocoRle(bitmap: Bitmap): { size: [number, number]; counts: string } {
  const rle = rleEncode(bitmap);
  return { size: rle.size, counts: rleToString(rle) };
}

/** The uncompressed form of a stored (COCO compressed) mask. */
export function decodeMask(rle: { size: [number, number]; counts: string }): Rle {
  return rleFromString(rle);
}

export { rleDecode, type Bitmap, type Rle };

/** Tight pixel box [x, y, w, h] of a COCO RLE's foreground (column-major runs); zeros when empty. */
export function rleBounds(rle: Rle): XYWH {
  const [h] = rle.size;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  let pos = 0;
  for (let k = 0; k < rle.counts.length; k++) {
    const c = rle.counts[k]!;
    if (k % 2 === 1 && c > 0) {
      const first = pos;
      const last = pos + c - 1;
      const colFirst = Math.floor(first / h);
      const colLast = Math.floor(last / h);
      x0 = Math.min(x0, colFirst);
      x1 = Math.max(x1, colLast);
      if (colFirst !== colLast) {
        // A run over a column boundary reaches the last row of one column and the first of the next.
        y0 = 0;
        y1 = h - 1;
      } else {
        y0 = Math.min(y0, first % h);
        y1 = Math.max(y1, last % h);
      }
    }
    pos += c;
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** CVAT's mask: row-major runs (starting with 0s) inside the foreground's box, and that box. */
export function cvatMask(bitmap: Bitmap): { rle: number[]; left: number; top: number; width: number; height: number } | null {
  const { width: w, height: h, data } = bitmap;
  let left = w;
  let top = h;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (data[y * w + x]) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
  if (right < 0) return null;
  const runs: number[] = [];
  let current = 0;
  let run = 0;
  for (let y = top; y <= bottom; y++)
    for (let x = left; x <= right; x++) {
      const v = data[y * w + x] ? 1 : 0;
      if (v !== current) {
        runs.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  runs.push(run);
  return { rle: runs, left, top, width: right - left + 1, height: bottom - top + 1 };
}

/** One frame of a track: where the object is, in source frames. */
export interface TrackFrame {
  frame: number;
  box: XYWH;
  occluded: boolean;
  keyframe: boolean;
}

/**
 * Every frame of a track in SOURCE frames, with the track module's (CVAT's) semantics: keyframes mapped to
 * source frames; between two visible keyframes the box is interpolated linearly on each source frame; a
 * visible keyframe followed by an outside one holds its box until that keyframe; a keyframe marked `outside`
 * hides the object until the next keyframe; a track that ends visible holds its last box to the last frame of
 * the video when its length is known, else ends at its last keyframe. Two keyframes on one source frame: the
 * later wins.
 */
export function trackFrames(keyframes: readonly Keyframe[], frames: FrameMapping): TrackFrame[] {
  const byFrame = new Map<number, Keyframe & { source: number }>();
  for (const k of [...keyframes].sort((a, b) => a.frame - b.frame)) byFrame.set(frames.source(k.frame), { ...k, source: frames.source(k.frame) });
  const keys = [...byFrame.values()].sort((a, b) => a.source - b.source);
  const lastFrame = frames.frameCount ? frames.source(frames.frameCount - 1) : null;
  const out: TrackFrame[] = [];
  for (let i = 0; i < keys.length; i++) {
    const a = keys[i]!;
    if (a.outside) continue;
    out.push({ frame: a.source, box: a.box, occluded: a.occluded === true, keyframe: true });
    const b = keys[i + 1];
    const end = b ? b.source : lastFrame === null ? a.source : lastFrame + 1;
    const span = end - a.source;
    for (let f = a.source + 1; f < end; f++) {
      const t = (f - a.source) / span;
      // Towards a visible keyframe the box moves; before an outside keyframe (or the end) it holds.
      const box = b && !b.outside ? (a.box.map((v, j) => v + (b.box[j]! - v) * t) as XYWH) : a.box;
      out.push({ frame: f, box, occluded: a.occluded === true, keyframe: false });
    }
  }
  return out;
}
