// Video frames in the console: which frames of a video become tasks (createBatch's `frames`), and the
// proxy's frame index (frames.json, written by ingest) for seeking the player to exactly one frame.

/** Frame numbers from "0, 30, 60" (commas, spaces or new lines), sorted and without repeats. */
export function parseFrameList(text: string): { frames: number[]; problems: string[] } {
  const frames = new Set<number>();
  const problems: string[] = [];
  for (const token of text.split(/[\s,;]+/).filter(Boolean)) {
    if (/^\d+$/.test(token) && Number.isSafeInteger(Number(token))) frames.add(Number(token));
    else problems.push(`“${token}” is not a frame number (0, 1, 2, …)`);
  }
  return { frames: [...frames].sort((a, b) => a - b), problems };
}

/** Frames 0, step, 2·step, … below `frameCount`. */
export function everyNthFrame(step: number, frameCount: number): number[] {
  if (!Number.isInteger(step) || step < 1 || !Number.isInteger(frameCount) || frameCount < 1) return [];
  const frames: number[] = [];
  for (let f = 0; f < frameCount; f += step) frames.push(f);
  return frames;
}

/** "0, 10, 20 … 390" for a long list. */
export function framesPreview(frames: readonly number[], head = 8): string {
  if (frames.length <= head + 1) return frames.join(', ');
  return `${frames.slice(0, head).join(', ')} … ${frames[frames.length - 1]}`;
}

/** The frame count of a READY video's proxy (after the trim) from its ingest metadata; null when unknown. */
export function proxyFrameCount(metadata: unknown): number | null {
  const count = (metadata as { proxy?: { frameCount?: unknown } } | null)?.proxy?.frameCount;
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : null;
}

/** [firstFrame, firstValue, step, count]: frames first..first+count-1 have value firstValue + step·k. */
export type FrameRun = [first: number, firstValue: number, step: number, count: number];

/** frames.json: the proxy's presentation times (ticks of timeBase, run-length coded) and the source frame each shows. */
export interface FrameIndex {
  timeBase: { num: number; den: number };
  frameCount: number;
  runs: FrameRun[];
  fps?: number;
  source?: { frameCount: number; runs: FrameRun[] };
}

const isRun = (value: unknown): value is FrameRun => Array.isArray(value) && value.length === 4 && value.every((v) => typeof v === 'number' && Number.isFinite(v));

/** frames.json as fetched, or null when it is not a frame index. */
export function parseFrameIndex(value: unknown): FrameIndex | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const timeBase = v.timeBase as { num?: unknown; den?: unknown } | undefined;
  if (typeof timeBase?.num !== 'number' || typeof timeBase.den !== 'number' || !(timeBase.den > 0)) return null;
  if (typeof v.frameCount !== 'number' || !Number.isInteger(v.frameCount) || v.frameCount < 0) return null;
  if (!Array.isArray(v.runs) || !v.runs.every(isRun)) return null;
  const source = v.source as { frameCount?: unknown; runs?: unknown } | undefined;
  const validSource = typeof source?.frameCount === 'number' && Array.isArray(source.runs) && source.runs.every(isRun);
  return {
    timeBase: { num: timeBase.num, den: timeBase.den },
    frameCount: v.frameCount,
    runs: v.runs,
    ...(typeof v.fps === 'number' && v.fps > 0 ? { fps: v.fps } : {}),
    ...(validSource ? { source: { frameCount: source.frameCount as number, runs: source.runs as FrameRun[] } } : {}),
  };
}

/** The value of frame n in run-length coded runs (the last run starting at or before n). */
function runValue(runs: readonly FrameRun[], n: number): number | null {
  let lo = 0;
  let hi = runs.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]![0] <= n) lo = mid;
    else hi = mid - 1;
  }
  const [first, value, step] = runs[lo]!;
  return first <= n ? value + step * (n - first) : null;
}

/** Presentation time (s) of proxy frame n, from its pts; null when n is not a frame of the proxy. */
export function frameTime(index: FrameIndex, n: number): number | null {
  if (!Number.isInteger(n) || n < 0 || n >= index.frameCount) return null;
  const pts = runValue(index.runs, n);
  return pts === null ? null : (pts * index.timeBase.num) / index.timeBase.den;
}

/**
 * Where to seek a player (its currentTime, counted from the first frame) to show proxy frame n: the
 * middle of the frame's display interval, so rounding in the player never lands on a neighbour.
 */
export function seekTime(index: FrameIndex, n: number): number | null {
  const start = frameTime(index, n);
  const first = frameTime(index, 0);
  if (start === null || first === null) return null;
  const next = frameTime(index, n + 1);
  const previous = n > 0 ? frameTime(index, n - 1) : null;
  const duration = next !== null ? next - start : previous !== null ? start - previous : 1 / (index.fps ?? 25);
  return start - first + duration / 2;
}

/** The frame of the uploaded video that proxy frame n shows (what exports refer to); null when unknown. */
export function sourceFrame(index: FrameIndex, n: number): number | null {
  if (!index.source || !Number.isInteger(n) || n < 0 || n >= index.frameCount) return null;
  return runValue(index.source.runs, n);
}

/** Fetches and checks frames.json (a short-lived storage URL). */
export async function loadFrameIndex(url: string, signal?: AbortSignal): Promise<FrameIndex> {
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`the frame index answered ${response.status}`);
  const index = parseFrameIndex(await response.json());
  if (!index) throw new Error('the frame index is not in the expected format');
  return index;
}
