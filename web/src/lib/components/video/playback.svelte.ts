// The state of one frame-exact player of a task's proxy video: the current frame (proxy and source),
// playing or paused, speed, and the frame clock (frames.json or the proxy's frame rate). Editors that
// draw on the video or under it (phases, tracks) read and move the same instance.
// Playing is the <video> element's. Paused, frames come from a frame decoder (WebCodecs in a worker,
// frame-cache.ts) drawn on a canvas over the element: it holds the GOPs around the frame shown, so a frame
// step is a draw rather than a seek. Until the decoder is ready (or where it cannot work) the element seeks.
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import { loadFrameIndex, proxyFrameCount, sourceFrame, type FrameIndex } from '$lib/frames';
import type { Asset } from '$lib/types';
import { canDecodeFrames, FrameCache } from './frame-cache';
import { layoutMismatch } from './frame-layout';
import { clampFrame, frameAtTime, timeOfFrame, type FrameClock } from './timeline';

export const PLAYBACK_RATES = [0.1, 0.25, 0.5, 1, 1.5, 2, 4] as const;

/** A frame the decoder has not delivered after this long is sought on the <video> element instead. */
const DECODER_PATIENCE_MS = 3000;

function metadataNumber(metadata: unknown, ...paths: string[]): number | null {
  for (const path of paths) {
    let value: unknown = metadata;
    for (const key of path.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  return null;
}

type VideoFrameCallback = (now: number, metadata: { mediaTime: number }) => void;
type FrameCallbackVideo = HTMLVideoElement & { requestVideoFrameCallback?: (cb: VideoFrameCallback) => number; cancelVideoFrameCallback?: (id: number) => void };

export class VideoPlayback {
  /** The proxy frame shown (or being sought to). */
  frame = $state(0);
  playing = $state(false);
  rate = $state(1);
  /** True once the player shows `frame` after a seek (false while seeking). */
  settled = $state(false);
  index = $state<FrameIndex | null>(null);
  /** 'frames.json', 'fps' (frames.json missing or unreadable) or 'loading'. */
  timing = $state<'loading' | 'frames.json' | 'fps'>('loading');
  size = $state<{ width: number; height: number } | null>(null);
  duration = $state(0);
  failed = $state(false);
  /** The paused picture is the decoder's canvas (true) or the <video> element (false). */
  onCanvas = $state(false);
  /** The frame decoder: 'off' (not started or not possible here), 'loading', 'ready', 'busy' (decoding ahead) or 'failed'. */
  decoder = $state<'off' | 'loading' | 'ready' | 'busy' | 'failed'>('off');
  #metadataState = $state<unknown>(null);
  #url: string | null = null;
  #video: FrameCallbackVideo | null = null;
  #frameCallback: number | null = null;
  #canvas: HTMLCanvasElement | null = null;
  #context: CanvasRenderingContext2D | null = null;
  /** The canvas's size in device pixels, at most the video's. */
  #canvasSize: { width: number; height: number } | null = null;
  #cache: FrameCache | null = null;
  /** Why the decoder's frames are not the player's (null: they are, or not known yet). */
  #mismatch: string | null = null;
  /** The frame the <video> element shows or is seeking to; null when it was left behind by the decoder. */
  #videoFrame: number | null = null;
  #direction: 1 | -1 = 1;
  /** Bumped by every seek and play: a decoded frame arriving later for an older one is not drawn. */
  #generation = 0;

  readonly fps = $derived(this.index?.fps ?? metadataNumber(this.#metadataState, 'proxyFps', 'proxy.fps', 'fps') ?? 25);
  readonly frameCount = $derived(
    this.index?.frameCount ?? proxyFrameCount(this.#metadataState) ?? (this.duration > 0 ? Math.max(1, Math.round(this.duration * this.fps)) : 1),
  );
  readonly clock: FrameClock = $derived({ index: this.index, fps: this.fps, frameCount: this.frameCount });
  /** The frame of the uploaded video that the current proxy frame shows (what exports refer to). */
  readonly sourceFrame = $derived(this.index ? sourceFrame(this.index, this.frame) : null);
  readonly time = $derived(timeOfFrame(this.clock, this.frame));

  /**
   * Loads the asset's frame index; returns cleanup (aborts the fetch, stops the decoder). The player does not
   * wait for it: until it arrives frames are timed by the proxy's frame rate, then re-sought if that differs.
   */
  load(asset: Asset | null): () => void {
    // Called from an effect: what it reads of this state must not make the effect load again.
    return untrack(() => this.#load(asset));
  }

  #load(asset: Asset | null): () => void {
    this.#metadataState = asset?.metadata ?? null;
    this.index = null;
    this.#url = asset?.url ?? null;
    this.#closeDecoder();
    const url = asset?.frameIndexUrl ?? null;
    if (!url) {
      this.timing = 'fps';
      return () => this.#closeDecoder();
    }
    this.timing = 'loading';
    const controller = new AbortController();
    loadFrameIndex(url, controller.signal).then(
      (index) => {
        const before = this.clock;
        this.index = index;
        this.timing = 'frames.json';
        this.#clockChanged(before);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        console.error('[suture] frame index unavailable; stepping by frame rate', error);
        const before = this.clock;
        this.timing = 'fps';
        this.#clockChanged(before);
      },
    );
    return () => {
      controller.abort();
      this.#closeDecoder();
    };
  }

  /** Shows frame n (paused). `direction`: where steps are heading (the decoder decodes ahead that way). */
  seek(n: number, direction?: 1 | -1) {
    const frame = clampFrame(this.clock, n);
    this.#direction = direction ?? (frame < this.frame ? -1 : frame > this.frame ? 1 : this.#direction);
    this.frame = frame;
    const generation = ++this.#generation;
    const video = this.#video;
    if (video && !video.paused) video.pause();
    if (this.#decoderUsable()) this.#showDecoded(frame, generation);
    else this.#seekVideo(frame);
  }

  step(delta: number) {
    this.seek(this.frame + delta, delta < 0 ? -1 : 1);
  }

  play() {
    const video = this.#video;
    if (!video) return;
    if (this.frame >= this.frameCount - 1) this.seek(0);
    this.#generation++;
    // Paused on the decoder's canvas, the element may still be elsewhere: start from the frame shown.
    if (this.#videoFrame !== this.frame) this.#setVideoTime(this.frame);
    video.playbackRate = this.rate;
    void video.play().catch((error: unknown) => console.error('[suture] play refused', error));
  }

  pause() {
    this.#video?.pause();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  setRate(rate: number) {
    this.rate = rate;
    if (this.#video) this.#video.playbackRate = rate;
  }

  #setVideoTime(frame: number) {
    const video = this.#video;
    if (!video) return;
    this.#videoFrame = frame;
    const t = timeOfFrame(this.clock, frame);
    video.currentTime = Number.isFinite(video.duration) ? Math.min(t, Math.max(0, video.duration - 0.001)) : t;
  }

  /** The element seeks to frame n; the decoder's canvas (if shown) stays until it has. */
  #seekVideo(frame: number) {
    const video = this.#video;
    this.settled = false;
    if (!video || video.readyState < 1) return;
    this.#setVideoTime(frame);
  }

  #showDecoded(frame: number, generation: number) {
    const decoded = this.#cache!.request(frame, this.#direction);
    if (this.#draw(frame)) return;
    this.settled = false;
    const patience = setTimeout(() => {
      if (generation === this.#generation && !this.settled) this.#seekVideo(frame);
    }, DECODER_PATIENCE_MS);
    void decoded.then((ok) => {
      clearTimeout(patience);
      if (generation !== this.#generation || this.playing) return;
      if (!(ok && this.#draw(frame))) this.#seekVideo(frame);
    });
  }

  /** Puts decoded frame n on the canvas; false when it is not decoded yet. */
  #draw(frame: number): boolean {
    const canvas = this.#canvas;
    const cache = this.#cache;
    if (!canvas || !this.#context || !cache?.has(frame)) return false;
    const { width, height } = cache.size;
    if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
    if (!cache.draw(frame, this.#context)) return false;
    canvas.dataset.frame = String(frame);
    this.onCanvas = true;
    this.settled = true;
    return true;
  }

  #decoderUsable(): boolean {
    return this.decoder !== 'off' && this.decoder !== 'loading' && this.decoder !== 'failed' && this.timing !== 'loading' && this.#mismatch === null && !this.playing && this.#context !== null;
  }

  /** The frame index arrived (or will not): the frame's time may differ from the frame-rate estimate. */
  #clockChanged(before: FrameClock) {
    this.#checkDecoder();
    const video = this.#video;
    if (this.playing || !video || video.readyState < 1) return;
    // Already showing the frame (the estimate was right): nothing to seek; the decoder starts around it.
    const shown = this.#videoFrame === this.frame && frameAtTime(this.clock, timeOfFrame(before, this.frame)) === this.frame;
    if (shown && !this.onCanvas) this.#decodeAround();
    else this.seek(this.frame);
  }

  /** Starts decoding around the frame shown by the element, so that the next step is a draw. */
  #decodeAround() {
    if (this.#decoderUsable()) void this.#cache!.request(this.frame, this.#direction);
  }

  /** The decoder's frames must be the player's frames, else it is not used. */
  #checkDecoder() {
    const cache = this.#cache;
    if (!cache?.ready || this.timing === 'loading') return;
    this.#mismatch = layoutMismatch(cache, this.index, this.frameCount);
    if (this.#mismatch) {
      console.warn(`[suture] frame decoder not used: ${this.#mismatch}`);
      this.#closeDecoder('failed');
    }
  }

  /** Starts the decoder once the first frame is up and the canvas has a size. */
  #openDecoder() {
    if (this.#cache || this.decoder !== 'off' || !this.#url || !this.#canvasSize || !canDecodeFrames()) return;
    const cache = new FrameCache(this.#url, this.#canvasSize);
    this.#cache = cache;
    this.decoder = 'loading';
    cache.onChange = () => {
      if (this.#cache !== cache) return;
      if (cache.failed) {
        this.#closeDecoder('failed');
        if (!this.playing && !this.settled) this.#seekVideo(this.frame);
        return;
      }
      const was = this.decoder;
      this.decoder = !cache.ready ? 'loading' : cache.busy ? 'busy' : 'ready';
      if (was === 'loading' && cache.ready) {
        this.#checkDecoder();
        // From now on the paused frame comes from the decoder: start decoding around it.
        this.#decodeAround();
      }
    };
  }

  #closeDecoder(state: 'off' | 'failed' = 'off') {
    this.#cache?.close();
    this.#cache = null;
    this.#mismatch = null;
    this.decoder = state;
    if (this.onCanvas && this.#videoFrame !== this.frame && !this.playing) this.#seekVideo(this.frame);
    this.onCanvas = false;
  }

  #watchFrames = () => {
    const video = this.#video;
    if (!video?.requestVideoFrameCallback) return;
    this.#frameCallback = video.requestVideoFrameCallback((_now, meta) => {
      if (!this.playing) return;
      // The element presents frames again: the canvas gives way.
      this.onCanvas = false;
      this.frame = frameAtTime(this.clock, meta.mediaTime);
      this.#watchFrames();
    });
  };

  /** Binds the state to the decoder's canvas (laid over the <video>); returns destroy. */
  readonly attachCanvas: Attachment<HTMLCanvasElement> = (canvas) => {
    this.#canvas = canvas;
    this.#context = canvas.getContext('2d', { alpha: false, desynchronized: false });
    const observer = new ResizeObserver(() => this.#measureCanvas());
    observer.observe(canvas);
    return () => {
      observer.disconnect();
      if (this.#canvas === canvas) [this.#canvas, this.#context, this.#canvasSize] = [null, null, null];
    };
  };

  #measureCanvas() {
    const canvas = this.#canvas;
    const video = this.size;
    if (!canvas || !video) return;
    const rect = canvas.getBoundingClientRect();
    if (!(rect.width > 0)) return;
    const width = Math.max(2, Math.min(video.width, Math.round(rect.width * (globalThis.devicePixelRatio || 1))));
    const height = Math.max(2, Math.round((width * video.height) / video.width));
    this.#canvasSize = { width, height };
    this.#cache?.resize(width, height);
    if (this.onCanvas && !this.playing) this.seek(this.frame);
  }

  /** Binds the state to its <video> element; returns destroy. */
  readonly attach: Attachment<HTMLVideoElement> = (element) => {
    const video = element as FrameCallbackVideo;
    this.#video = video;
    const onMetadata = () => {
      this.size = { width: video.videoWidth, height: video.videoHeight };
      this.duration = Number.isFinite(video.duration) ? video.duration : 0;
      this.#measureCanvas();
      this.seek(this.frame);
    };
    const onPlay = () => {
      this.playing = true;
      this.settled = false;
      this.#watchFrames();
    };
    const onPause = () => {
      this.playing = false;
      if (this.#frameCallback !== null) video.cancelVideoFrameCallback?.(this.#frameCallback);
      // Land exactly on the frame on screen, so editing applies to the frame the person sees.
      const frame = frameAtTime(this.clock, video.currentTime);
      this.#videoFrame = frame;
      this.seek(frame);
    };
    const onTimeUpdate = () => {
      if (this.playing && !video.requestVideoFrameCallback) this.frame = frameAtTime(this.clock, video.currentTime);
    };
    const onSeeked = () => {
      if (this.playing || this.#videoFrame !== this.frame) return;
      this.settled = true;
      this.onCanvas = false;
      if (this.decoder === 'off' && !this.#cache) openDecoderSoon();
    };
    // The decoder reads the proxy's sample table (a few MB for an hour): once the first frame is on screen,
    // so that it does not compete with it.
    let opening: ReturnType<typeof setTimeout> | null = null;
    const openDecoderSoon = () => {
      if (opening !== null) return;
      const open = () => {
        if (opening !== null) clearTimeout(opening);
        opening = null;
        if (this.#video === video) this.#openDecoder();
      };
      opening = setTimeout(open, 1000);
      video.requestVideoFrameCallback?.(() => setTimeout(open, 0));
    };
    const onError = () => (this.failed = true);
    const events: Array<[string, () => void]> = [
      ['loadedmetadata', onMetadata],
      ['play', onPlay],
      ['pause', onPause],
      ['ended', onPause],
      ['timeupdate', onTimeUpdate],
      ['seeked', onSeeked],
      ['error', onError],
    ];
    for (const [name, handler] of events) video.addEventListener(name, handler);
    if (video.readyState >= 1) untrack(onMetadata);
    return () => {
      if (opening !== null) clearTimeout(opening);
      for (const [name, handler] of events) video.removeEventListener(name, handler);
      if (this.#frameCallback !== null) video.cancelVideoFrameCallback?.(this.#frameCallback);
      if (this.#video === video) this.#video = null;
    };
  };
}
