// Phases on a whole video: `{segments: [{phase, start, end}]}`, frames [start, end) of the proxy, ordered
// by start, not overlapping unless the campaign allows it (schema.phaseOverlap). The timeline edits below
// keep those rules, so what the editor holds is always a payload the API accepts; the rules themselves, the
// summary and agreement are the server module's.
import type { LabelSchema } from '$lib/types';
import { isRecord } from '../common';
import type { AnnotationKind } from '../kind';

export interface PhaseSegment {
  phase: string;
  start: number;
  end: number;
}
export interface PhasesData {
  segments: PhaseSegment[];
}

const PHASE_PALETTE = ['#4363d8', '#f58231', '#3cb44b', '#911eb4', '#e6194b', '#46a0a0', '#f032e6', '#9a6324', '#808000', '#000075'];

export function phaseColor(schema: LabelSchema, key: string): string {
  const index = (schema.phases ?? []).findIndex((p) => p.key === key);
  return PHASE_PALETTE[(index < 0 ? 0 : index) % PHASE_PALETTE.length]!;
}

export function phaseName(schema: LabelSchema, key: string): string {
  return schema.phases?.find((p) => p.key === key)?.name ?? key;
}

/** The segments of a payload (or draft), well-formed ones only, ordered. */
export function asSegments(value: unknown): PhaseSegment[] {
  if (!isRecord(value) || !Array.isArray(value.segments)) return [];
  return sortSegments(
    value.segments.filter(
      (s): s is PhaseSegment => isRecord(s) && typeof s.phase === 'string' && Number.isInteger(s.start) && Number.isInteger(s.end) && (s.end as number) > (s.start as number),
    ),
  ).map((s) => ({ phase: s.phase, start: s.start, end: s.end }));
}

export function sortSegments(segments: PhaseSegment[]): PhaseSegment[] {
  return [...segments].sort((a, b) => a.start - b.start || a.end - b.end || (a.phase < b.phase ? -1 : a.phase > b.phase ? 1 : 0));
}

/** The segment index covering frame f (the last one starting at or before it), or null. */
export function segmentAt(segments: readonly PhaseSegment[], frame: number): number | null {
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i]!.start <= frame && frame < segments[i]!.end) return i;
  return null;
}

/**
 * Starts a segment of `phase` at frame `at`, lasting one frame (it grows with the playhead until ended).
 * Without overlap, a segment covering `at` is cut there, and the new one may not reach into the next.
 * Returns the segments and the new segment's index.
 */
export function startSegment(segments: readonly PhaseSegment[], phase: string, at: number, frameCount: number, overlap: boolean): { segments: PhaseSegment[]; index: number } {
  const start = Math.max(0, Math.min(frameCount - 1, at));
  let next = segments.map((s) => ({ ...s }));
  if (!overlap) {
    next = next
      .map((s) => (s.start < start && start < s.end ? { ...s, end: start } : s))
      // A segment starting exactly here gives way to the new one.
      .filter((s) => s.start !== start);
  }
  const created = { phase, start, end: start + 1 };
  next = sortSegments([...next, created]);
  return { segments: next, index: next.indexOf(next.find((s) => s.phase === phase && s.start === start && s.end === start + 1)!) };
}

/** Moves the end of segment i to `end` (exclusive), within its neighbours (without overlap) and the video. */
export function setEnd(segments: readonly PhaseSegment[], i: number, end: number, frameCount: number, overlap: boolean): PhaseSegment[] {
  const s = segments[i];
  if (!s) return [...segments];
  const limit = overlap ? frameCount : Math.min(frameCount, segments[i + 1]?.start ?? frameCount);
  const clamped = Math.max(s.start + 1, Math.min(limit, Math.round(end)));
  return segments.map((x, j) => (j === i ? { ...x, end: clamped } : x));
}

/** Moves the start of segment i to `start`, within its neighbours (without overlap) and the video. */
export function setStart(segments: readonly PhaseSegment[], i: number, start: number, overlap: boolean): PhaseSegment[] {
  const s = segments[i];
  if (!s) return [...segments];
  const floor = overlap ? 0 : Math.max(0, segments[i - 1]?.end ?? 0);
  const clamped = Math.min(s.end - 1, Math.max(floor, Math.round(start)));
  return sortSegments(segments.map((x, j) => (j === i ? { ...x, start: clamped } : x)));
}

/** Splits segment i at frame `at` (start < at < end) into [start, at) and [at, end) of the same phase. */
export function splitSegment(segments: readonly PhaseSegment[], i: number, at: number): PhaseSegment[] {
  const s = segments[i];
  if (!s || !(s.start < at && at < s.end)) return [...segments];
  return sortSegments([...segments.slice(0, i), { ...s, end: at }, { ...s, start: at }, ...segments.slice(i + 1)]);
}

/** Merges segment i with the next one: one segment of i's phase from i's start to the later end. */
export function mergeWithNext(segments: readonly PhaseSegment[], i: number): PhaseSegment[] {
  const s = segments[i];
  const n = segments[i + 1];
  if (!s || !n) return [...segments];
  return [...segments.slice(0, i), { phase: s.phase, start: s.start, end: Math.max(s.end, n.end) }, ...segments.slice(i + 2)];
}

export function removeSegment(segments: readonly PhaseSegment[], i: number): PhaseSegment[] {
  return segments.filter((_, j) => j !== i);
}

export function setPhase(segments: readonly PhaseSegment[], i: number, phase: string): PhaseSegment[] {
  return segments.map((s, j) => (j === i ? { ...s, phase } : s));
}

export const phases: AnnotationKind = {
  kind: 'phases',
  title: 'Phases and steps (video timeline)',
  payload: (value) => ({ ok: true, data: { segments: asSegments(value) } }),
};
