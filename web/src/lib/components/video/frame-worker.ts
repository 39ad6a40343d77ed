// The frame decoder's worker: decodes GOPs around the player's frame (FrameDecoder) and converts each
// decoded frame to RGBA at the size the player shows it (yuv.ts), the frame the player waits for first, then
// the nearest ahead; the pixels go to the page (FrameCache) as transferred buffers.
import { FrameDecoder } from './frame-decoder';
import { yuvToRgba, type YuvFormat } from './yuv';

export type ToWorker =
  | { type: 'open'; url: string; width: number; height: number }
  | { type: 'focus'; frame: number; direction: 1 | -1; waiting: boolean }
  | { type: 'size'; width: number; height: number };

export type FromWorker =
  | { type: 'ready'; frameCount: number; gopFrames: number[]; times: Float64Array }
  | { type: 'frame'; frame: number; width: number; height: number; pixels: ArrayBuffer }
  | { type: 'busy'; busy: boolean }
  | { type: 'failed'; message: string };

/** The worker's global scope (typed here: the DOM and webworker libraries do not mix in one program). */
const scope = self as unknown as { postMessage(message: FromWorker, transfer: Transferable[]): void; onmessage: ((event: MessageEvent<ToWorker>) => void) | null };
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

let decoder: FrameDecoder | null = null;
let size = { width: 0, height: 0 };
let focus = 0;
let direction: 1 | -1 = 1;
let waiting: number | null = null;
/** Decoded, not yet converted. */
const pending = new Map<number, VideoFrame>();
let converting = false;
let yuv = new Uint8Array(0);
let wasBusy = false;

function reportBusy() {
  const busy = (decoder?.busy ?? false) || converting || pending.size > 0;
  if (busy !== wasBusy) post({ type: 'busy', busy });
  wasBusy = busy;
}

/** The next frame to convert: the one the page waits for (nothing else meanwhile), else the nearest ahead, else the nearest behind. */
function next(): number | null {
  if (waiting !== null) return pending.has(waiting) ? waiting : null;
  let best: number | null = null;
  let bestRank = Infinity;
  for (const n of pending.keys()) {
    const d = (n - focus) * direction;
    const rank = d >= 0 ? d : 1e9 - d;
    if (rank < bestRank) [best, bestRank] = [n, rank];
  }
  return best;
}

async function convert(frame: VideoFrame, width: number, height: number): Promise<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  const format = frame.format;
  if (format === 'I420' || format === 'NV12') {
    const bytes = frame.allocationSize();
    if (yuv.length < bytes) yuv = new Uint8Array(bytes);
    const planes = await frame.copyTo(yuv);
    const { width: w, height: h } = frame.visibleRect ?? { width: frame.codedWidth, height: frame.codedHeight };
    yuvToRgba(yuv, format as YuvFormat, planes, w, h, { matrix: frame.colorSpace.matrix ?? null, fullRange: frame.colorSpace.fullRange ?? null }, rgba, width, height);
  } else {
    // Other layouts (e.g. a hardware decoder's): the browser's own drawing.
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d')!;
    context.drawImage(frame, 0, 0, width, height);
    rgba.set(context.getImageData(0, 0, width, height).data);
  }
  return rgba.buffer;
}

async function pump() {
  if (converting) return;
  converting = true;
  reportBusy();
  try {
    for (let n = next(); n !== null; n = next()) {
      const frame = pending.get(n)!;
      pending.delete(n);
      const { width, height } = size;
      try {
        const pixels = await convert(frame, width, height);
        if (decoder?.wants(n) && size.width === width && size.height === height) post({ type: 'frame', frame: n, width, height, pixels }, [pixels]);
      } finally {
        frame.close();
      }
      if (waiting === n) waiting = null;
      // Let a new focus (a key press) in between frames.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } catch (error) {
    fail(error);
  } finally {
    converting = false;
    reportBusy();
  }
}

function dropUnwanted() {
  for (const [n, frame] of pending)
    if (!decoder?.wants(n)) {
      frame.close();
      pending.delete(n);
    }
}

function fail(error: unknown) {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  decoder?.close();
  decoder = null;
  for (const frame of pending.values()) frame.close();
  pending.clear();
}

scope.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'open') {
    size = { width: message.width, height: message.height };
    try {
      decoder = await FrameDecoder.open(message.url, new AbortController().signal);
    } catch (error) {
      fail(error);
      return;
    }
    decoder.onFrame = (n, frame) => {
      pending.get(n)?.close();
      pending.set(n, frame);
      void pump();
    };
    decoder.onStateChange = () => {
      if (decoder?.failure) fail(decoder.failure);
      else reportBusy();
    };
    const { layout } = decoder;
    post({ type: 'ready', frameCount: layout.frameCount, gopFrames: layout.gopFrames, times: layout.times });
  } else if (message.type === 'focus') {
    focus = message.frame;
    direction = message.direction;
    waiting = message.waiting ? message.frame : null;
    decoder?.focus(focus, direction);
    dropUnwanted();
    void pump();
  } else if (message.type === 'size') {
    size = { width: message.width, height: message.height };
    for (const frame of pending.values()) frame.close();
    pending.clear();
    decoder?.redecode();
  }
};
