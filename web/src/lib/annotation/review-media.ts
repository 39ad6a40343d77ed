// Review of video and volume labels: the consensus of several labels (the server's own module, so what the
// expert starts from is what the worker would compute), where phase timelines differ frame by frame, which
// annotators' tracks another annotator matched, and the voxels where volume labels differ. Pure.
import { annotationType, parseLabels } from '@suture/workflows/annotation/registry';
import { visibleRuns, visibleTrackIoU, trackBoxAtFrame, type Track } from '@suture/workflows/annotation/kinds/track';
import type { PhasesLabel } from '@suture/workflows/annotation/kinds/phases';
import type { VolumeLabel } from '@suture/workflows/annotation/kinds/volume';
import type { Asset, LabelSchema } from '$lib/types';
import { annotationContext, isRegisteredKind } from './modules';

export type ConsensusOutcome = { ok: true; data: unknown; method: string } | { ok: false; problem: string };

/**
 * The consensus of the labels by the kind's server module (annotationType(kind).consensus), after parsing
 * each label to its canonical form as the worker does; the reason when a label does not parse.
 */
export function consensusOf(schema: LabelSchema, asset: Pick<Asset, 'kind' | 'metadata'> | null, frameIndex: number | null, labels: ReadonlyArray<{ id: string; data: unknown }>): ConsensusOutcome {
  if (labels.length === 0) return { ok: false, problem: 'There is no label to merge.' };
  if (!isRegisteredKind(schema.geometry)) return { ok: false, problem: `This console cannot merge labels of kind ${schema.geometry}.` };
  try {
    const ctx = annotationContext(schema, asset, frameIndex);
    const parsed = parseLabels(
      ctx,
      labels.map((l) => ({ annotator: l.id, data: l.data })),
    );
    const result = annotationType(schema.geometry).consensus(parsed, ctx);
    return { ok: true, data: result.data, method: result.method };
  } catch (error) {
    return { ok: false, problem: `The consensus cannot be computed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

// ---- phases -----------------------------------------------------------------------------------------

const segmentsOf = (data: unknown): PhasesLabel['segments'] =>
  typeof data === 'object' && data !== null && Array.isArray((data as PhasesLabel).segments)
    ? (data as PhasesLabel).segments.filter((s) => typeof s?.phase === 'string' && Number.isInteger(s.start) && Number.isInteger(s.end))
    : [];

/** The phases a label gives frame f (sorted, joined): '' where it gives none. */
function phasesAt(segments: PhasesLabel['segments'], frame: number): string {
  const here = segments.filter((s) => s.start <= frame && frame < s.end).map((s) => s.phase);
  return here.length <= 1 ? (here[0] ?? '') : [...new Set(here)].sort().join('+');
}

/**
 * Frames where the labels do not all give the same phase(s), as runs [start, end) over the video, and how
 * many frames that is. `frameCount` is the video's length (else the furthest segment end).
 */
export function phaseDisagreement(labels: readonly unknown[], frameCount?: number): { runs: Array<[number, number]>; frames: number; frameCount: number } {
  const all = labels.map(segmentsOf);
  const count = frameCount ?? Math.max(0, ...all.flatMap((s) => s.map((x) => x.end)));
  const runs: Array<[number, number]> = [];
  let frames = 0;
  if (all.length < 2) return { runs, frames, frameCount: count };
  // Only frames where some label's phases change can start or end a run: walk those boundaries.
  const cuts = [...new Set([0, count, ...all.flatMap((s) => s.flatMap((x) => [x.start, x.end]))])].filter((f) => f >= 0 && f <= count).sort((a, b) => a - b);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const from = cuts[i]!;
    const to = cuts[i + 1]!;
    const first = phasesAt(all[0]!, from);
    if (all.every((s) => phasesAt(s, from) === first)) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === from) last[1] = to;
    else runs.push([from, to]);
    frames += to - from;
  }
  return { runs, frames, frameCount: count };
}

// ---- tracks -----------------------------------------------------------------------------------------

/** Track IoU at or above which another annotator's track of the same class counts as the same object. */
export const TRACK_MATCH_IOU = 0.5;

const tracksOf = (data: unknown): Track[] =>
  typeof data === 'object' && data !== null && Array.isArray((data as { tracks?: unknown }).tracks)
    ? (data as { tracks: Track[] }).tracks.filter((t) => typeof t?.label === 'string' && Array.isArray(t.keyframes) && t.keyframes.length > 0)
    : [];

export interface ReviewedTrack {
  id: number;
  label: string;
  track: Track;
  /** Another annotator has a track of the same class with track IoU >= 0.5. */
  agreed: boolean;
  /** The best track IoU with another annotator's track of the same class (0 when none). */
  bestIoU: number;
}

/** Each label's tracks, each marked agreed when some other annotator has a track of its class at track IoU >= 0.5. */
export function trackAgreement(labels: readonly unknown[], frameCount?: number): ReviewedTrack[][] {
  const tracks = labels.map(tracksOf);
  const runs = tracks.map((ts) => ts.map((t) => visibleRuns(t, frameCount)));
  return tracks.map((mine, i) =>
    mine.map((t, k) => {
      let best = 0;
      tracks.forEach((theirs, j) => {
        if (j === i) return;
        theirs.forEach((other, m) => {
          if (other.label === t.label) best = Math.max(best, visibleTrackIoU(runs[i]![k]!, runs[j]![m]!));
        });
      });
      return { id: t.id, label: t.label, track: t, agreed: best >= TRACK_MATCH_IOU, bestIoU: best };
    }),
  );
}

/** The box [x, y, w, h] of a track at a frame (interpolated as the server does), or null where it is not visible. */
export function trackBox(track: Track, frame: number, frameCount?: number): [number, number, number, number] | null {
  const b = trackBoxAtFrame(track, frame, frameCount);
  return b ? [b.x, b.y, b.width, b.height] : null;
}

// ---- volumes ----------------------------------------------------------------------------------------

const volumeOf = (data: unknown): VolumeLabel | null => {
  const v = data as VolumeLabel | null;
  return v && Array.isArray(v.dims) && v.dims.length === 3 && Array.isArray(v.segments) ? v : null;
};

/** A label map of a volume label: value k + 1 for the schema's k-th class, 0 for none (x-fastest). */
export function volumeLabelMap(data: unknown, schema: LabelSchema, dims: readonly [number, number, number]): Uint8Array {
  const out = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const v = volumeOf(data);
  if (!v || v.dims.some((d, i) => d !== dims[i])) return out;
  for (const s of v.segments) {
    const value = schema.classes.findIndex((c) => c.key === s.label) + 1;
    if (value < 1) continue;
    let pos = 0;
    s.rle.counts.forEach((c, k) => {
      if (k % 2 === 1) out.fill(value, pos, Math.min(out.length, pos + c));
      pos += c;
    });
  }
  return out;
}

export interface VolumeDisagreement {
  /**
   * What the viewer draws (x-fastest): the class value where every shown label gives the same class, `differ`
   * where they do not, 0 where none of them marks anything.
   */
  map: Uint8Array;
  /** The value standing for "they differ" (the first after the schema's classes). */
  differ: number;
  /** Voxels where the shown labels differ. */
  voxels: number;
  /** Voxels each class is agreed on by every shown label. */
  agreed: Record<string, number>;
}

/** Where the shown labels of a volume differ: a voxel any of them marks, not with the same class by all. */
export function volumeDisagreement(maps: readonly Uint8Array[], schema: LabelSchema): VolumeDisagreement {
  const differ = schema.classes.length + 1;
  const n = maps[0]?.length ?? 0;
  const map = new Uint8Array(n);
  const agreedCounts = new Array<number>(schema.classes.length + 1).fill(0);
  let voxels = 0;
  for (let i = 0; i < n; i++) {
    const first = maps[0]![i]!;
    let same = true;
    let any = first !== 0;
    for (let k = 1; k < maps.length; k++) {
      const v = maps[k]![i]!;
      if (v !== first) same = false;
      if (v !== 0) any = true;
    }
    if (!any) continue;
    if (same) {
      map[i] = first;
      agreedCounts[first]!++;
    } else {
      map[i] = differ;
      voxels++;
    }
  }
  return { map, differ, voxels, agreed: Object.fromEntries(schema.classes.map((c, k) => [c.key, agreedCounts[k + 1]!])) };
}

/** The grid of a volume label (to lay labels over a volume before it has loaded). */
export function volumeDims(labels: readonly unknown[]): [number, number, number] | null {
  for (const l of labels) {
    const v = volumeOf(l);
    if (v) return [v.dims[0], v.dims[1], v.dims[2]];
  }
  return null;
}
