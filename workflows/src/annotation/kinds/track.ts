// Box tracks over a whole video: each track is one object (an id unique within its class) given by keyframes
// [x, y, w, h] at frames of the video, strictly increasing. CVAT semantics: `outside: true` on a keyframe means
// the object left the view from that frame until the next keyframe; between two consecutive keyframes that
// are not outside the box is interpolated linearly; after a visible keyframe followed by an outside one (or by
// nothing) the box holds, until the outside keyframe (or the end of the video, when its length is known).
// Agreement: tracks matched by the Hungarian method on track IoU (mean per-frame IoU over the frames where
// either is visible), >= 0.5; F1 of the matching times class agreement. Consensus: medoid label.
import { z } from 'zod';
import { boxIoU, hungarian, overlapRatio, trackBoxAt, type Box } from '../../quality/index.ts';
import { LIMITS, attributes, box, classKey, countByClass, frameNumber, medoid, plural, sortKeys } from '../common.ts';
import { onlyMethod } from '../consensus.ts';
import type { AnnotationContext, AnnotationType } from '../module.ts';

export interface TrackKeyframe {
  frame: number;
  box: [number, number, number, number];
  /** Present only when true: the object is out of view from this frame until the next keyframe. */
  outside?: true;
  /** Present only when true: the object is hidden behind something at this keyframe. */
  occluded?: true;
}
export interface Track {
  id: number;
  label: string;
  keyframes: TrackKeyframe[];
  attributes?: Record<string, boolean | number | string>;
}
export interface TrackLabel {
  tracks: Track[];
}

/** A stretch of frames [start, end] (inclusive) where a track is visible, with the keyframes to interpolate. */
export interface VisibleRun {
  start: number;
  end: number;
  keyframes: Array<{ frame: number; box: Box }>;
}

const MATCH_IOU = 0.5;
const toBox = ([x, y, width, height]: readonly number[]): Box => ({ x: x!, y: y!, width: width!, height: height! });

/**
 * The visible runs of a track, in frame order. A run starts at a keyframe that is not outside, interpolates
 * through the following keyframes that are not outside, and holds its last box until the frame before the
 * next (outside) keyframe, or the last frame of the video when the track ends visible and `frameCount` is known.
 */
export function visibleRuns(track: Pick<Track, 'keyframes'>, frameCount?: number): VisibleRun[] {
  const k = track.keyframes;
  const runs: VisibleRun[] = [];
  for (let i = 0; i < k.length; i++) {
    if (k[i]!.outside) continue;
    let j = i;
    while (j + 1 < k.length && !k[j + 1]!.outside) j++;
    const keyframes = k.slice(i, j + 1).map((f) => ({ frame: f.frame, box: toBox(f.box) }));
    const lastVisible = k[j]!.frame;
    const end = j + 1 < k.length ? k[j + 1]!.frame - 1 : frameCount !== undefined ? Math.max(lastVisible, frameCount - 1) : lastVisible;
    if (end > lastVisible) keyframes.push({ frame: end, box: keyframes[keyframes.length - 1]!.box });
    runs.push({ start: k[i]!.frame, end, keyframes });
    i = j;
  }
  return runs;
}

/** The box of a track at a frame (interpolated as above), or null where it is not visible. For exports. */
export function trackBoxAtFrame(track: Pick<Track, 'keyframes'>, frame: number, frameCount?: number): Box | null {
  const run = visibleRuns(track, frameCount).find((r) => r.start <= frame && frame <= r.end);
  return run ? trackBoxAt(run, frame) : null;
}

/**
 * Track IoU: mean per-frame box IoU over the union of the frames where either track is visible (a frame where
 * only one is visible scores 0). Only frames where both are visible are visited: at most frameCount per pair.
 */
export function visibleTrackIoU(a: readonly VisibleRun[], b: readonly VisibleRun[]): number {
  const length = (runs: readonly VisibleRun[]) => runs.reduce((s, r) => s + r.end - r.start + 1, 0);
  let sum = 0;
  let both = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const ra = a[i]!;
    const rb = b[j]!;
    const from = Math.max(ra.start, rb.start);
    const to = Math.min(ra.end, rb.end);
    for (let f = from; f <= to; f++) sum += boxIoU(trackBoxAt(ra, f)!, trackBoxAt(rb, f)!);
    if (to >= from) both += to - from + 1;
    if (ra.end < rb.end) i++;
    else j++;
  }
  return overlapRatio(sum, length(a) + length(b) - both);
}

function pairAgreement(a: TrackLabel, b: TrackLabel, ctx: AnnotationContext) {
  const pairs: Array<{ a: number; b: number; iou: number }> = [];
  if (a.tracks.length && b.tracks.length) {
    const runsA = a.tracks.map((t) => visibleRuns(t, ctx.media.frameCount));
    const runsB = b.tracks.map((t) => visibleRuns(t, ctx.media.frameCount));
    const iou = runsA.map((x) => runsB.map((y) => visibleTrackIoU(x, y)));
    hungarian(iou.map((row) => row.map((v) => (v >= MATCH_IOU ? 1 - v : 2)))).forEach((j, i) => {
      if (j >= 0 && iou[i]![j]! >= MATCH_IOU) pairs.push({ a: i, b: j, iou: iou[i]![j]! });
    });
  }
  const total = a.tracks.length + b.tracks.length;
  const f1 = total === 0 ? 1 : (2 * pairs.length) / total;
  const same = pairs.filter((p) => a.tracks[p.a]!.label === b.tracks[p.b]!.label).length;
  const classAgreement = pairs.length === 0 ? 1 : same / pairs.length;
  return {
    value: f1 * classAgreement,
    metric: 'track-f1@0.5-x-class-agreement',
    details: { f1, classAgreement, meanMatchedIoU: pairs.length ? pairs.reduce((s, p) => s + p.iou, 0) / pairs.length : null },
  };
}

/** A frame of the video: inside it when its length is known, else below LIMITS.videoFrames. */
function videoFrame(ctx: AnnotationContext): z.ZodType<number> {
  const n = frameNumber(ctx);
  return ctx.media.frameCount !== undefined ? n : n.refine((v) => v < LIMITS.videoFrames, { message: `frame must be < ${LIMITS.videoFrames} (the video's length is not known)` });
}

export const track: AnnotationType<TrackLabel> = {
  classesOf: (d) => d.tracks.map((t) => t.label),
  kind: 'track',
  title: 'Box tracks (video)',
  payload(ctx) {
    const keyframe = z
      .strictObject({ frame: videoFrame(ctx), box: box(ctx), outside: z.boolean().optional(), occluded: z.boolean().optional() })
      .transform((k): TrackKeyframe => ({ frame: k.frame, box: k.box, ...(k.outside ? { outside: true as const } : {}), ...(k.occluded ? { occluded: true as const } : {}) }));
    const oneTrack = z
      .strictObject({
        id: z
          .number()
          .int('id must be a whole number')
          .min(1, 'id must be >= 1')
          .max(2 ** 31 - 1),
        label: classKey(ctx.schema),
        keyframes: z.array(keyframe).min(1, 'a track needs at least one keyframe').max(LIMITS.keyframes),
        attributes: attributes(ctx.schema).optional(),
      })
      .superRefine((t, issue) => {
        t.keyframes.forEach((k, i) => {
          const prev = t.keyframes[i - 1];
          if (prev && k.frame <= prev.frame)
            issue.addIssue({ code: 'custom', path: ['keyframes', i, 'frame'], message: `keyframes must have strictly increasing frames (${k.frame} after ${prev.frame})` });
        });
        if (t.keyframes.every((k) => k.outside)) issue.addIssue({ code: 'custom', path: ['keyframes'], message: 'the track is never visible (every keyframe is outside)' });
      })
      .transform((t): Track => ({ id: t.id, label: t.label, keyframes: t.keyframes, ...(t.attributes ? { attributes: sortKeys(t.attributes) } : {}) }));
    return z
      .strictObject({ tracks: z.array(oneTrack).max(LIMITS.objects) })
      .superRefine((d, issue) => {
        const seen = new Map<string, number>();
        let keyframes = 0;
        d.tracks.forEach((t, i) => {
          const id = `${t.label}\u0000${t.id}`;
          const first = seen.get(id);
          if (first !== undefined) issue.addIssue({ code: 'custom', path: ['tracks', i, 'id'], message: `id ${t.id} is already used by tracks.${first} of class ${t.label}` });
          else seen.set(id, i);
          keyframes += t.keyframes.length;
        });
        if (keyframes > LIMITS.keyframes)
          issue.addIssue({ code: 'custom', path: ['tracks'], message: `a label has at most ${LIMITS.keyframes} keyframes in all, got ${keyframes}` });
      })
      .transform((d): TrackLabel => ({ tracks: d.tracks }));
  },
  agreement: (a, b, ctx) => pairAgreement(a, b, ctx),
  consensus(labels, ctx) {
    return { data: medoid(labels, (a, b) => pairAgreement(a, b, ctx).value).data, method: 'medoid' };
  },
  consensusMethods: () => onlyMethod('medoid', 'Most representative label', "The annotator's tracks that agree best with all the others are taken whole."),
  summarize(data, schema) {
    return data.tracks.length === 0
      ? 'no tracks'
      : `${plural(data.tracks.length, 'track')}: ${countByClass(
          schema,
          data.tracks.map((t) => t.label),
        )}`;
  },
  objectCount: (data) => data.tracks.length,
  mapFrames: (data, map) => ({ ...data, tracks: data.tracks.map((t) => ({ ...t, keyframes: t.keyframes.map((k) => ({ ...k, frame: map(k.frame) })) })) }),
};
