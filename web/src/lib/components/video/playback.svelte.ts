// The state of one frame-exact player of a task's proxy video: the current frame (proxy and source),
// playing or paused, speed, and the frame clock (frames.json or the proxy's frame rate). Editors that
// draw on the video or under it (phases, tracks) read and move the same instance.
import type { Attachment } from 'svelte/attachments';
import { loadFrameIndex, proxyFrameCount, sourceFrame, type FrameIndex } from '$lib/frames';
import type { Asset } from '$lib/types';
import { clampFrame, frameAtTime, timeOfFrame, type FrameClock } from './timeline';

export const PLAYBACK_RATES = [0.1, 0.25, 0.5, 1, 1.5, 2, 4] as const;

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
  /** True once the element shows `frame` after a seek (false while seeking). */
  settled = $state(false);
  index = $state<FrameIndex | null>(null);
  /** 'frames.json', 'fps' (frames.json missing or unreadable) or 'loading'. */
  timing = $state<'loading' | 'frames.json' | 'fps'>('loading');
  size = $state<{ width: number; height: number } | null>(null);
  duration = $state(0);
  failed = $state(false);
  #metadataState = $state<unknown>(null);
  #video: FrameCallbackVideo | null = null;
  #frameCallback: number | null = null;

  readonly fps = $derived(this.index?.fps ?? metadataNumber(this.#metadataState, 'proxyFps', 'proxy.fps', 'fps') ?? 25);
  readonly frameCount = $derived(
    this.index?.frameCount ?? proxyFrameCount(this.#metadataState) ?? (this.duration > 0 ? Math.max(1, Math.round(this.duration * this.fps)) : 1),
  );
  readonly clock: FrameClock = $derived({ index: this.index, fps: this.fps, frameCount: this.frameCount });
  /** The frame of the uploaded video that the current proxy frame shows (what exports refer to). */
  readonly sourceFrame = $derived(this.index ? sourceFrame(this.index, this.frame) : null);
  readonly time = $derived(timeOfFrame(this.clock, this.frame));

  /** Loads the asset's frame index; returns cleanup (aborts the fetch). */
  load(asset: Asset | null): () => void {
    this.#metadataState = asset?.metadata ?? null;
    this.index = null;
    const url = asset?.frameIndexUrl ?? null;
    if (!url) {
      this.timing = 'fps';
      return () => {};
    }
    this.timing = 'loading';
    const controller = new AbortController();
    loadFrameIndex(url, controller.signal).then(
      (index) => {
        this.index = index;
        this.timing = 'frames.json';
        this.seek(this.frame);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        console.error('[suture] frame index unavailable; stepping by frame rate', error);
        this.timing = 'fps';
        this.seek(this.frame);
      },
    );
    return () => controller.abort();
  }

  /** Shows frame n (paused): seeks to the middle of its display interval. */
  seek(n: number) {
    const frame = clampFrame(this.clock, n);
    this.frame = frame;
    const video = this.#video;
    if (!video || video.readyState < 1 || this.timing === 'loading') {
      this.settled = false;
      return;
    }
    if (!video.paused) video.pause();
    this.settled = false;
    const t = timeOfFrame(this.clock, frame);
    video.currentTime = Number.isFinite(video.duration) ? Math.min(t, Math.max(0, video.duration - 0.001)) : t;
  }

  step(delta: number) {
    this.seek(this.frame + delta);
  }

  play() {
    const video = this.#video;
    if (!video) return;
    if (this.frame >= this.frameCount - 1) this.seek(0);
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

  #watchFrames = () => {
    const video = this.#video;
    if (!video?.requestVideoFrameCallback) return;
    this.#frameCallback = video.requestVideoFrameCallback((_now, meta) => {
      if (!this.playing) return;
      this.frame = frameAtTime(this.clock, meta.mediaTime);
      this.#watchFrames();
    });
  };

  /** Binds the state to its <video> element; returns destroy. */
  readonly attach: Attachment<HTMLVideoElement> = (element) => {
    const video = element as FrameCallbackVideo;
    this.#video = video;
    const onMetadata = () => {
      this.size = { width: video.videoWidth, height: video.videoHeight };
      this.duration = Number.isFinite(video.duration) ? video.duration : 0;
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
      this.seek(frameAtTime(this.clock, video.currentTime));
    };
    const onTimeUpdate = () => {
      if (this.playing && !video.requestVideoFrameCallback) this.frame = frameAtTime(this.clock, video.currentTime);
    };
    const onSeeked = () => {
      if (!this.playing) this.settled = true;
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
    if (video.readyState >= 1) onMetadata();
    return () => {
      for (const [name, handler] of events) video.removeEventListener(name, handler);
      if (this.#frameCallback !== null) video.cancelVideoFrameCallback?.(this.#frameCallback);
      if (this.#video === video) this.#video = null;
    };
  };
}
