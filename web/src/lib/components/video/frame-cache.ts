// The page's side of the frame decoder: a worker (frame-worker.ts) decodes the GOPs around the player's
// frame and sends their pixels at the size shown; this keeps them (the same GOPs as the worker holds) so that
// a frame step is one putImageData. Browser only; `canDecodeFrames` says whether it can work here.
import { gopOfFrame, wantedGops } from './frame-layout';
import type { FromWorker, ToWorker } from './frame-worker';

/** WebCodecs and module workers are there (a secure context of a browser that has them). */
export function canDecodeFrames(): boolean {
  return typeof Worker === 'function' && typeof VideoDecoder === 'function' && globalThis.isSecureContext === true;
}

export class FrameCache {
  frameCount = 0;
  /** Each frame's time from the first frame (s), from the track's sample table. */
  times: Float64Array<ArrayBufferLike> = new Float64Array(0);
  ready = false;
  failed: string | null = null;
  /** The worker is decoding or converting. */
  busy = false;
  /** Called when ready, failed or busy change. */
  onChange: () => void = () => {};
  #worker: Worker;
  #gopFrames: number[] = [];
  #frames = new Map<number, ImageData>();
  #size: { width: number; height: number };
  #focus = 0;
  #direction: 1 | -1 = 1;
  #waiter: { frame: number; resolve: (ok: boolean) => void } | null = null;

  constructor(url: string, size: { width: number; height: number }) {
    this.#size = size;
    this.#worker = new Worker(new URL('./frame-worker.ts', import.meta.url), { type: 'module', name: 'suture-frames' });
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => this.#receive(event.data);
    this.#worker.onerror = (event) => this.#fail(event.message || 'the frame worker failed to start');
    this.#send({ type: 'open', url, ...size });
  }

  get size(): { width: number; height: number } {
    return this.#size;
  }

  has(n: number): boolean {
    return this.#frames.has(n);
  }

  /** Puts frame n on a context of `size`; false when it is not decoded yet. */
  draw(n: number, context: CanvasRenderingContext2D): boolean {
    const pixels = this.#frames.get(n);
    if (!pixels) return false;
    context.putImageData(pixels, 0, 0);
    return true;
  }

  /**
   * The player shows frame n, stepping in `direction`: the worker decodes around it. Resolves true once frame
   * n is here (at once when it is), false when another request came first or decoding failed.
   */
  request(n: number, direction: 1 | -1): Promise<boolean> {
    if (!this.ready || this.failed || n < 0 || n >= this.frameCount) return Promise.resolve(false);
    this.#focus = n;
    this.#direction = direction;
    this.#settleWaiter(false);
    const wanted = wantedGops(this.#gopFrames, n, direction);
    for (const k of this.#frames.keys()) if (!wanted.includes(gopOfFrame(this.#gopFrames, k))) this.#frames.delete(k);
    const here = this.#frames.has(n);
    this.#send({ type: 'focus', frame: n, direction, waiting: !here });
    if (here) return Promise.resolve(true);
    return new Promise((resolve) => (this.#waiter = { frame: n, resolve }));
  }

  /** Frames are kept at the size the player shows them; a new size drops them and decodes again. */
  resize(width: number, height: number) {
    if (width === this.#size.width && height === this.#size.height) return;
    this.#size = { width, height };
    this.#frames.clear();
    this.#send({ type: 'size', width, height });
    if (this.#waiter) this.#send({ type: 'focus', frame: this.#waiter.frame, direction: this.#direction, waiting: true });
  }

  close() {
    this.#settleWaiter(false);
    this.#worker.terminate();
    this.#frames.clear();
    this.failed ??= 'closed';
  }

  #send(message: ToWorker) {
    this.#worker.postMessage(message);
  }

  #settleWaiter(ok: boolean) {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve(ok);
  }

  #receive(message: FromWorker) {
    if (message.type === 'ready') {
      this.frameCount = message.frameCount;
      this.#gopFrames = message.gopFrames;
      this.times = message.times;
      this.ready = true;
      this.onChange();
    } else if (message.type === 'frame') {
      const { frame, width, height, pixels } = message;
      if (width !== this.#size.width || height !== this.#size.height) return;
      if (!wantedGops(this.#gopFrames, this.#focus, this.#direction).includes(gopOfFrame(this.#gopFrames, frame))) return;
      this.#frames.set(frame, new ImageData(new Uint8ClampedArray(pixels), width, height));
      if (this.#waiter?.frame === frame) this.#settleWaiter(true);
    } else if (message.type === 'busy') {
      this.busy = message.busy;
      this.onChange();
    } else if (message.type === 'failed') {
      this.#fail(message.message);
    }
  }

  #fail(message: string) {
    if (this.failed) return;
    this.failed = message;
    console.warn(`[suture] frame decoder unavailable (${message}); frame steps seek the <video> element`);
    this.close();
    this.onChange();
  }
}
