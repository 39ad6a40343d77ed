// Object tracks on a whole video: `{tracks: [{id, label, keyframes: [{frame, box, outside?, occluded?}]}]}`.
// Keyframes are strictly increasing by frame; between two visible keyframes the box is interpolated
// linearly; after a visible keyframe followed by an outside one (or by nothing) the box holds. `outside`
// on a keyframe: the object is absent from that frame until the next keyframe (CVAT's semantics). The rules
// (ids, frames inside the video, a visible keyframe), summary and agreement are the server module's.
import type { Box } from '$lib/types';
import { isFiniteNumber, isRecord, round2 } from '../common';
import type { AnnotationKind } from '../kind';

export interface TrackKeyframe {
  frame: number;
  box: Box;
  outside?: true;
  occluded?: true;
}
export interface Track {
  id: number;
  label: string;
  keyframes: TrackKeyframe[];
}
export interface TrackData {
  tracks: Track[];
}

/** A track's state on one frame. */
export interface TrackShape {
  box: Box;
  /** The frame has a keyframe of this track. */
  keyframe: boolean;
  occluded: boolean;
}

const isBox = (v: unknown): v is Box => Array.isArray(v) && v.length === 4 && v.every(isFiniteNumber);

export function asTracks(value: unknown): Track[] {
  if (!isRecord(value) || !Array.isArray(value.tracks)) return [];
  return value.tracks
    .filter((t): t is Track => isRecord(t) && Number.isInteger(t.id) && typeof t.label === 'string' && Array.isArray(t.keyframes))
    .map((t) => ({
      id: t.id,
      label: t.label,
      keyframes: t.keyframes
        .filter((k): k is TrackKeyframe => isRecord(k) && Number.isInteger(k.frame) && isBox(k.box))
        .map((k) => ({ frame: k.frame, box: [...k.box] as Box, ...(k.outside ? { outside: true as const } : {}), ...(k.occluded ? { occluded: true as const } : {}) }))
        .sort((a, b) => a.frame - b.frame),
    }));
}

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

/** The track's box on `frame`, or null where the object is absent (before its first keyframe, or outside). */
export function shapeAt(track: Track, frame: number): TrackShape | null {
  const k = track.keyframes;
  let i = -1;
  for (let j = 0; j < k.length && k[j]!.frame <= frame; j++) i = j;
  if (i < 0) return null;
  const here = k[i]!;
  if (here.outside) return null;
  if (here.frame === frame) return { box: [...here.box] as Box, keyframe: true, occluded: here.occluded === true };
  const next = k[i + 1];
  if (!next || next.outside) return { box: [...here.box] as Box, keyframe: false, occluded: here.occluded === true };
  const t = (frame - here.frame) / (next.frame - here.frame);
  return { box: here.box.map((v, n) => lerp(v, next.box[n]!, t)) as Box, keyframe: false, occluded: here.occluded === true };
}

/** The keyframe of a track at `frame`, if it has one. */
export function keyframeAt(track: Track, frame: number): TrackKeyframe | null {
  return track.keyframes.find((k) => k.frame === frame) ?? null;
}

/**
 * Sets (or creates) the keyframe at `frame`: a new keyframe starts from the box the track shows there
 * (interpolated or held), else from the last box it had before.
 */
export function setKeyframe(track: Track, frame: number, patch: { box?: Box; outside?: boolean; occluded?: boolean }): Track {
  const existing = keyframeAt(track, frame);
  const before = [...track.keyframes].reverse().find((k) => k.frame < frame);
  const base: TrackKeyframe = existing ?? { frame, box: shapeAt(track, frame)?.box ?? before?.box ?? track.keyframes[0]?.box ?? [0, 0, 1, 1] };
  const outside = patch.outside ?? base.outside === true;
  const occluded = patch.occluded ?? base.occluded === true;
  const keyframe: TrackKeyframe = { frame, box: patch.box ?? base.box, ...(outside ? { outside: true as const } : {}), ...(occluded ? { occluded: true as const } : {}) };
  return { ...track, keyframes: [...track.keyframes.filter((k) => k.frame !== frame), keyframe].sort((a, b) => a.frame - b.frame) };
}

export function removeKeyframe(track: Track, frame: number): Track {
  return { ...track, keyframes: track.keyframes.filter((k) => k.frame !== frame) };
}

export function nextTrackId(tracks: readonly Track[]): number {
  return tracks.reduce((m, t) => Math.max(m, t.id), 0) + 1;
}

/** A new track of `label` that starts at `frame` with `box`. */
export function newTrack(tracks: readonly Track[], label: string, frame: number, box: Box): Track {
  return { id: nextTrackId(tracks), label, keyframes: [{ frame, box }] };
}

/** Keyframes on `frame` copying what each chosen track shows on the previous frame (tracks absent there are left alone). */
export function copyFromPrevious(tracks: readonly Track[], frame: number, ids?: ReadonlySet<number>): Track[] {
  if (frame < 1) return [...tracks];
  return tracks.map((t) => {
    if (ids && !ids.has(t.id)) return t;
    const previous = shapeAt(t, frame - 1);
    return previous ? setKeyframe(t, frame, { box: previous.box, outside: false, occluded: previous.occluded }) : t;
  });
}

/** The payload: boxes rounded to 1/100 px, tracks without keyframes dropped. */
export function trackData(tracks: readonly Track[]): TrackData {
  return {
    tracks: tracks
      .filter((t) => t.keyframes.length > 0)
      .map((t) => ({ id: t.id, label: t.label, keyframes: t.keyframes.map((k) => ({ ...k, box: k.box.map(round2) as Box })) })),
  };
}

export const track: AnnotationKind = {
  kind: 'track',
  title: 'Object tracks (video)',
  payload: (value) => ({ ok: true, data: trackData(asTracks(value)) }),
};
