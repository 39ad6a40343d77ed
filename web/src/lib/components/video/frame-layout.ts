// The proxy's frames as a decoder sees them: samples in decode order, each frame's place in presentation
// order (proxy frame n is the n-th frame shown) and the groups of pictures (GOPs) that decode on their own.
// Pure: the frame decoder builds it from the MP4 sample table and checks it against frames.json.
import { frameTime, type FrameIndex } from '../../frames';

/** One coded frame of the MP4 track, in decode order (times in the track's timescale). */
export interface CodedSample {
  cts: number;
  isSync: boolean;
  offset: number;
  size: number;
}

export interface FrameLayout {
  frameCount: number;
  timescale: number;
  /** decode index of proxy frame n */
  decodeOf: Int32Array;
  /** proxy frame (presentation rank) of decode index i */
  frameOf: Int32Array;
  /** first decode index of each GOP (a sync sample), and the end of the last */
  gopStarts: number[];
  /** first proxy frame of each GOP (closed GOPs: GOP g shows frames gopFrames[g] .. gopFrames[g + 1] - 1) */
  gopFrames: number[];
  /** presentation time of frame n from the first frame, in seconds */
  times: Float64Array;
}

/**
 * Orders the samples for presentation and cuts them into GOPs. Throws, naming what is wrong, when the
 * track cannot be decoded one GOP at a time: no frames, no sync frame first, or an open GOP (a frame shown
 * before a sync frame but decoded after it may need the GOP before).
 */
export function frameLayout(samples: readonly CodedSample[], timescale: number): FrameLayout {
  const count = samples.length;
  if (count === 0) throw new Error('the video track has no frames');
  if (!(timescale > 0)) throw new Error(`the video track's timescale ${timescale} is not positive`);
  if (!samples[0]!.isSync) throw new Error('the video track does not start on a sync frame');
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => samples[a]!.cts - samples[b]!.cts || a - b);
  const decodeOf = Int32Array.from(order);
  const frameOf = new Int32Array(count);
  order.forEach((decodeIndex, frame) => (frameOf[decodeIndex] = frame));
  const firstCts = samples[order[0]!]!.cts;
  const times = Float64Array.from(order, (i) => (samples[i]!.cts - firstCts) / timescale);
  for (let n = 1; n < count; n++) if (times[n] === times[n - 1]) throw new Error(`frames ${n - 1} and ${n} of the video track have the same time`);

  const gopStarts: number[] = [];
  const gopFrames: number[] = [];
  for (let i = 0; i < count; i++) if (samples[i]!.isSync) gopStarts.push(i);
  let expected = 0;
  for (let g = 0; g < gopStarts.length; g++) {
    const from = gopStarts[g]!;
    const to = gopStarts[g + 1] ?? count;
    let min = Infinity;
    let max = -Infinity;
    for (let i = from; i < to; i++) {
      min = Math.min(min, frameOf[i]!);
      max = Math.max(max, frameOf[i]!);
    }
    // Closed: the GOP shows a run of frames of its own, its sync frame first (frames shown before it would
    // be open-GOP leading frames that need the GOP before).
    if (min !== expected || max - min + 1 !== to - from || frameOf[from] !== min) throw new Error(`the GOP at frame ${min} is open (it shows frames before its sync frame)`);
    gopFrames.push(min);
    expected = max + 1;
  }
  gopStarts.push(count);
  gopFrames.push(count);
  return { frameCount: count, timescale, decodeOf, frameOf, gopStarts, gopFrames, times };
}

/** The GOP showing frame n (0 ≤ n < frameCount), from each GOP's first frame and the frame count at the end. */
export function gopOfFrame(gopFrames: readonly number[], n: number): number {
  const starts = gopFrames;
  let lo = 0;
  let hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= n) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Near this many frames from the edge of its GOP behind the stepping direction, the GOP there is held too. */
const NEAR_EDGE = 4;

/**
 * The GOPs to hold decoded around frame `focus` when stepping in `direction`, most wanted first: the GOP
 * shown, the next one ahead, and the one behind when the frame is near that edge.
 */
export function wantedGops(gopFrames: readonly number[], focus: number, direction: 1 | -1): number[] {
  const last = gopFrames.length - 2;
  const g = gopOfFrame(gopFrames, focus);
  const ahead = g + direction;
  const behind = g - direction;
  const fromBehindEdge = direction > 0 ? focus - gopFrames[g]! : gopFrames[g + 1]! - 1 - focus;
  return [g, ...(ahead >= 0 && ahead <= last ? [ahead] : []), ...(behind >= 0 && behind <= last && fromBehindEdge < NEAR_EDGE ? [behind] : [])];
}

/**
 * Whether the decoded frames are the player's frames: the same count, and frame n of the track at frame n's
 * time in frames.json (within a quarter of a frame). Null when they agree, else what differs.
 */
export function layoutMismatch(track: { frameCount: number; times: ArrayLike<number> }, index: FrameIndex | null, frameCount: number): string | null {
  if (track.frameCount !== frameCount) return `the video track has ${track.frameCount} frames, the player counts ${frameCount}`;
  if (!index) return null;
  const first = frameTime(index, 0);
  if (first === null) return 'the frame index has no frame 0';
  const { times } = track;
  for (let n = 1; n < track.frameCount; n++) {
    const t = frameTime(index, n);
    const interval = n + 1 < track.frameCount ? times[n + 1]! - times[n]! : times[n]! - times[n - 1]!;
    if (t === null || Math.abs(t - first - times[n]!) > interval / 4)
      return `frame ${n} is at ${times[n]!.toFixed(4)} s in the video track, ${t === null ? 'missing' : `${(t - first).toFixed(4)} s`} in the frame index`;
  }
  return null;
}
