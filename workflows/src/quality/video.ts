// Video agreement: box tracks with keyframe interpolation, and temporal segments / surgical phases.
import { overlapRatio } from './conventions.ts';
import { assertInteger, QualityInputError } from './errors.ts';
import { boxIoU, type Box } from './geometry/box.ts';
import { labelKey, type Label } from './labels.ts';

/** A box track given by keyframes; between keyframes the box is interpolated linearly, outside it is absent. */
export interface Track {
  keyframes: ReadonlyArray<{ frame: number; box: Box }>;
}

/** Box of a track at a frame (linear interpolation between keyframes), or null outside the track. */
export function trackBoxAt(track: Track, frame: number): Box | null {
  const k = track.keyframes;
  const first = k[0];
  const last = k[k.length - 1];
  if (!first || !last || frame < first.frame || frame > last.frame) return null;
  let lo = 0;
  let hi = k.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((k[mid] as (typeof k)[number]).frame <= frame) lo = mid;
    else hi = mid;
  }
  const a = k[lo] as (typeof k)[number];
  const b = k[hi] as (typeof k)[number];
  if (a.frame === frame || a.frame === b.frame) return a.box;
  if (b.frame === frame) return b.box;
  const t = (frame - a.frame) / (b.frame - a.frame);
  const mix = (p: number, q: number): number => p + (q - p) * t;
  return { x: mix(a.box.x, b.box.x), y: mix(a.box.y, b.box.y), width: mix(a.box.width, b.box.width), height: mix(a.box.height, b.box.height) };
}

function checkTrack(track: Track, what: string): void {
  if (!track || !Array.isArray(track.keyframes)) throw new QualityInputError('INVALID_GEOMETRY', `${what} needs a keyframes array`);
  track.keyframes.forEach((k, i) => {
    assertInteger(k.frame, `${what} keyframe ${i} frame`, 0);
    if (i > 0 && k.frame <= (track.keyframes[i - 1] as (typeof track.keyframes)[number]).frame)
      throw new QualityInputError('INVALID_GEOMETRY', `${what} keyframes must have strictly increasing frames (keyframe ${i})`);
  });
}

/**
 * Mean per-frame IoU of two tracks over the union of the frames where either exists (a frame where only
 * one track exists scores 0). Two empty tracks: 1.
 */
export function trackIoU(a: Track, b: Track): number {
  checkTrack(a, 'track a');
  checkTrack(b, 'track b');
  const frames = new Set<number>();
  for (const t of [a, b]) {
    const first = t.keyframes[0];
    const last = t.keyframes[t.keyframes.length - 1];
    if (first && last) for (let f = first.frame; f <= last.frame; f++) frames.add(f);
  }
  let sum = 0;
  for (const f of frames) {
    const x = trackBoxAt(a, f);
    const y = trackBoxAt(b, f);
    if (x && y) sum += boxIoU(x, y);
  }
  return overlapRatio(sum, frames.size);
}

/** A temporal segment [start, end) in frames with a label (e.g. a surgical phase). */
export interface Segment {
  start: number;
  end: number;
  label: Label;
}

/** Expands segments to one label key per frame over [0, frameCount); uncovered frames are null. */
export function segmentsToFrames(segments: readonly Segment[], frameCount: number): Array<string | null> {
  assertInteger(frameCount, 'frameCount', 0);
  const frames = new Array<string | null>(frameCount).fill(null);
  segments.forEach((s, i) => {
    assertInteger(s.start, `segment ${i} start`, 0);
    assertInteger(s.end, `segment ${i} end`, 0);
    if (s.end <= s.start) throw new QualityInputError('INVALID_GEOMETRY', `segment ${i} is empty or reversed (${s.start}..${s.end})`);
    if (s.end > frameCount) throw new QualityInputError('INVALID_GEOMETRY', `segment ${i} ends at ${s.end}, after the last frame (${frameCount})`);
    for (let f = s.start; f < s.end; f++) {
      if (frames[f] !== null) throw new QualityInputError('INVALID_GEOMETRY', `segment ${i} overlaps another segment at frame ${f}`);
      frames[f] = labelKey(s.label);
    }
  });
  return frames;
}

/** Collapses per-frame labels into maximal runs (null frames are gaps, not segments). */
export function framesToSegments(frames: readonly (string | null)[]): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  for (let f = 1; f <= frames.length; f++) {
    if (f === frames.length || frames[f] !== frames[start]) {
      const label = frames[start];
      if (label !== null && label !== undefined) out.push({ start, end: f, label });
      start = f;
    }
  }
  return out;
}

function levenshtein(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length] as number;
}

/** MS-TCN segmental F1 at an IoU threshold (predicted segments greedily matched to same-label references). */
function segmentalF1(pred: readonly Segment[], ref: readonly Segment[], threshold: number): number {
  const used = new Array<boolean>(ref.length).fill(false);
  let tp = 0;
  for (const p of pred) {
    let best = -1;
    let bestIoU = 0;
    ref.forEach((r, j) => {
      if (labelKey(r.label) !== labelKey(p.label)) return;
      const inter = Math.min(p.end, r.end) - Math.max(p.start, r.start);
      const union = Math.max(p.end, r.end) - Math.min(p.start, r.start);
      const iou = inter > 0 ? inter / union : 0;
      if (iou > bestIoU) {
        bestIoU = iou;
        best = j;
      }
    });
    if (best >= 0 && bestIoU >= threshold && !used[best]) {
      tp++;
      used[best] = true;
    }
  }
  return overlapRatio(2 * tp, pred.length + ref.length);
}

/** Agreement between two temporal segmentations (e.g. phase annotations) of the same video. */
export interface TemporalAgreement {
  /** Share of frames with the same label (null = no label counts as a label). */
  frameAccuracy: number;
  /** Segmental F1 at IoU 0.1, 0.25 and 0.5 (MS-TCN evaluation; `a` as prediction, `b` as reference). */
  f1: { '0.1': number; '0.25': number; '0.5': number };
  /** 1 − Levenshtein(segment label sequences) / max(lengths), in [0, 1] (MS-TCN reports it ×100). */
  edit: number;
  /** Mean distance in frames from each boundary to the nearest boundary of the other, averaged both ways. */
  boundaryError: number | null;
}

/** Temporal agreement between segmentations `a` and `b` of a video of `frameCount` frames. */
export function temporalAgreement(a: readonly Segment[], b: readonly Segment[], frameCount: number): TemporalAgreement {
  const fa = segmentsToFrames(a, frameCount);
  const fb = segmentsToFrames(b, frameCount);
  let same = 0;
  for (let f = 0; f < frameCount; f++) if (fa[f] === fb[f]) same++;
  const sa = framesToSegments(fa);
  const sb = framesToSegments(fb);
  const boundaries = (s: readonly Segment[]): number[] => s.slice(1).map((x) => x.start);
  const ba = boundaries(sa);
  const bb = boundaries(sb);
  const directed = (from: number[], to: number[]): number => from.reduce((acc, x) => acc + Math.min(...to.map((y) => Math.abs(x - y))), 0) / from.length;
  let boundaryError: number | null;
  if (ba.length === 0 && bb.length === 0) boundaryError = 0;
  else if (ba.length === 0 || bb.length === 0) boundaryError = null;
  else boundaryError = (directed(ba, bb) + directed(bb, ba)) / 2;
  const la = sa.map((s) => labelKey(s.label));
  const lb = sb.map((s) => labelKey(s.label));
  const maxLen = Math.max(la.length, lb.length);
  return {
    frameAccuracy: overlapRatio(same, frameCount),
    f1: { '0.1': segmentalF1(sa, sb, 0.1), '0.25': segmentalF1(sa, sb, 0.25), '0.5': segmentalF1(sa, sb, 0.5) },
    edit: maxLen === 0 ? 1 : 1 - levenshtein(la, lb) / maxLen,
    boundaryError,
  };
}

/** Consensus segmentation: per-frame majority label (ties → lowest label in category order, or gap), then segments. */
export function segmentConsensus(segmentations: readonly (readonly Segment[])[], frameCount: number): Segment[] {
  if (segmentations.length === 0) throw new QualityInputError('EMPTY_INPUT', 'segment consensus needs at least one segmentation');
  const frames = segmentations.map((s, i) => {
    try {
      return segmentsToFrames(s, frameCount);
    } catch (error) {
      if (error instanceof QualityInputError) throw new QualityInputError(error.code, `segmentation ${i}: ${error.message}`);
      throw error;
    }
  });
  const out = new Array<string | null>(frameCount).fill(null);
  for (let f = 0; f < frameCount; f++) {
    const votes = new Map<string, number>();
    for (const fr of frames) {
      const l = fr[f];
      if (l !== null && l !== undefined) votes.set(l, (votes.get(l) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = 0;
    const keys = [...votes.keys()].sort(compareKeys);
    for (const k of keys) {
      const v = votes.get(k) as number;
      if (v > bestVotes) {
        best = k;
        bestVotes = v;
      }
    }
    // A frame is labelled only when at least half of the annotators labelled it.
    out[f] = bestVotes * 2 >= segmentations.length ? best : null;
  }
  return framesToSegments(out);
}

function compareKeys(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y) && a.trim() !== '' && b.trim() !== '') return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}
