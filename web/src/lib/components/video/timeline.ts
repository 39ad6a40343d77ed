// Frame ↔ time on the proxy video, and where a frame sits on the timeline. Pure: the player, the phase
// timeline and the track editor share it. Times are the player's currentTime (0 at the first frame).
import { frameTime, seekTime, type FrameIndex } from '../../frames';

/** How the player knows the proxy's frames: its frames.json, else its constant frame rate. */
export interface FrameClock {
  index: FrameIndex | null;
  fps: number;
  frameCount: number;
}

/** The frame a player shows at `time`: the last frame whose presentation time is at or before it. */
export function frameAtTime(clock: FrameClock, time: number): number {
  const last = Math.max(0, clock.frameCount - 1);
  if (!(time > 0)) return 0;
  const { index } = clock;
  const first = index ? frameTime(index, 0) : null;
  if (index && first !== null && index.frameCount > 0) {
    let lo = 0;
    let hi = index.frameCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      // A hair of tolerance: players report times rounded to microseconds.
      if (frameTime(index, mid)! - first <= time + 1e-6) lo = mid;
      else hi = mid - 1;
    }
    return Math.min(lo, last);
  }
  return Math.min(last, Math.floor(time * clock.fps + 1e-6));
}

/** Where to seek to show frame n: the middle of its display interval (frames.json, else the frame rate). */
export function timeOfFrame(clock: FrameClock, n: number): number {
  const frame = clampFrame(clock, n);
  if (clock.index && clock.index.frameCount > 0) {
    const t = seekTime(clock.index, Math.min(frame, clock.index.frameCount - 1));
    if (t !== null) return t;
  }
  return (frame + 0.5) / clock.fps;
}

export function clampFrame(clock: Pick<FrameClock, 'frameCount'>, n: number): number {
  return Math.max(0, Math.min(Math.max(0, clock.frameCount - 1), Math.round(n)));
}

/** The frame under a pointer at `x` of a timeline `width` wide showing `frameCount` frames (each frame a cell). */
export function frameAtX(x: number, width: number, frameCount: number): number {
  if (!(width > 0) || frameCount < 1) return 0;
  return Math.max(0, Math.min(frameCount - 1, Math.floor((x / width) * frameCount)));
}

/** The nearest frame boundary (0..frameCount) to `x`: segment edges snap to these. */
export function boundaryAtX(x: number, width: number, frameCount: number): number {
  if (!(width > 0) || frameCount < 1) return 0;
  return Math.max(0, Math.min(frameCount, Math.round((x / width) * frameCount)));
}

/** Left edge of frame boundary b as a percentage of the timeline. */
export function percentOf(boundary: number, frameCount: number): number {
  return frameCount > 0 ? (boundary / frameCount) * 100 : 0;
}

/** The sprite strip ingest writes (metadata.sprite): `count` thumbnails side by side, one every `interval` s. */
export interface SpriteStrip {
  count: number;
  tileWidth: number;
  interval: number;
}

export function asSpriteStrip(metadata: unknown): SpriteStrip | null {
  const s = (metadata as { sprite?: Partial<SpriteStrip> } | null)?.sprite;
  if (!s || typeof s.count !== 'number' || !(s.count > 0) || typeof s.interval !== 'number' || !(s.interval > 0)) return null;
  return { count: s.count, tileWidth: typeof s.tileWidth === 'number' ? s.tileWidth : 160, interval: s.interval };
}

/** The sprite tile showing time t (the strip samples the proxy evenly, count thumbnails over its length). */
export function spriteTileAt(sprite: SpriteStrip, time: number): number {
  return Math.max(0, Math.min(sprite.count - 1, Math.floor(time / sprite.interval)));
}

/** "0:04.20" for seconds. */
export function clockTime(seconds: number): string {
  const s = Math.max(0, seconds);
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(2).padStart(5, '0')}`;
}
