// Surgical phases or steps on a whole video: segments [start, end) in frames of the video, each one phase of
// the campaign's list, ordered by start, inside the video, and (unless the campaign allows overlap) not
// overlapping. Agreement: segmental F1 at IoU 0.5 (MS-TCN), with edit score and frame accuracy beside it.
// Consensus: per-frame majority vote.
import { z } from 'zod';
import { segmentConsensus, temporalAgreement, type Segment } from '../../quality/index.ts';
import { LIMITS, frameNumber, plural } from '../common.ts';
import { onlyMethod } from '../consensus.ts';
import type { AnnotationContext, AnnotationType, PairAgreement } from '../module.ts';

export interface PhaseSegment {
  phase: string;
  start: number;
  end: number;
}
export interface PhasesLabel {
  segments: PhaseSegment[];
}

/** Frames a phase label may span when the video's length is unknown (10 h at 60 fps): bounds memory. */
const MAX_FRAMES = 2_160_000;

const frameCountOf = (ctx: AnnotationContext, labels: readonly PhasesLabel[]): number =>
  ctx.media.frameCount ?? Math.max(1, ...labels.flatMap((l) => l.segments.map((s) => s.end)));

const segmentsOf = (l: PhasesLabel, phase?: string): Segment[] =>
  l.segments.filter((s) => phase === undefined || s.phase === phase).map((s) => ({ label: s.phase, start: s.start, end: s.end }));

const phasesUsed = (labels: readonly PhasesLabel[]): string[] => [...new Set(labels.flatMap((l) => l.segments.map((s) => s.phase)))].sort();

export const phases: AnnotationType<PhasesLabel> = {
  classesOf: (d) => d.segments.map((s) => s.phase),
  kind: 'phases',
  title: 'Phases and steps (video timeline)',
  checkSchema: (schema) => (schema.phases.length === 0 ? ['phases: a phases campaign needs its phase list'] : []),
  payload(ctx) {
    const keys = new Set(ctx.schema.phases.map((p) => p.key));
    const count = ctx.media.frameCount ?? MAX_FRAMES;
    const segment = z.strictObject({
      phase: z.string().refine((v) => keys.has(v), { message: `unknown phase; expected one of ${[...keys].slice(0, 20).join(', ')}` }),
      start: frameNumber(ctx, 'start'),
      end: z
        .number()
        .int('end must be a whole frame number')
        .positive('end must be > 0')
        .refine((v) => v <= count, { message: `end is past the end of the video (${count} frames)` }),
    });
    return z.strictObject({ segments: z.array(segment).max(LIMITS.segments) }).superRefine((d, issue) => {
      d.segments.forEach((s, i) => {
        if (s.end <= s.start) issue.addIssue({ code: 'custom', path: ['segments', i, 'end'], message: `the segment ends (${s.end}) before or where it starts (${s.start})` });
        const prev = d.segments[i - 1];
        if (!prev) return;
        if (s.start < prev.start) issue.addIssue({ code: 'custom', path: ['segments', i, 'start'], message: 'segments must be ordered by start' });
        else if (!ctx.schema.phaseOverlap && s.start < prev.end)
          issue.addIssue({
            code: 'custom',
            path: ['segments', i, 'start'],
            message: `the segment overlaps the previous one (ends at ${prev.end}); this campaign does not allow overlapping phases`,
          });
      });
    });
  },
  agreement(a, b, ctx): PairAgreement {
    const frameCount = frameCountOf(ctx, [a, b]);
    if (ctx.schema.phaseOverlap) {
      // Overlapping phases: each phase is its own timeline; the mean of per-phase agreement.
      const per = phasesUsed([a, b]).map((p) => symmetric(segmentsOf(a, p), segmentsOf(b, p), frameCount));
      if (per.length === 0) return { value: 1, metric: 'segmental-f1@0.5' };
      const mean = (f: (t: ReturnType<typeof symmetric>) => number) => per.reduce((s, t) => s + f(t), 0) / per.length;
      return { value: mean((t) => t.f1), metric: 'segmental-f1@0.5', details: { edit: mean((t) => t.edit), frameAccuracy: mean((t) => t.frameAccuracy) } };
    }
    const t = symmetric(segmentsOf(a), segmentsOf(b), frameCount);
    return {
      value: t.f1,
      metric: 'segmental-f1@0.5',
      details: { edit: t.edit, frameAccuracy: t.frameAccuracy, 'f1@0.1': t.f1At10, 'f1@0.25': t.f1At25, boundaryError: t.boundaryError },
    };
  },
  consensus(labels, ctx) {
    const frameCount = frameCountOf(
      ctx,
      labels.map((l) => l.data),
    );
    const perPhase = ctx.schema.phaseOverlap ? phasesUsed(labels.map((l) => l.data)) : [undefined];
    const segments = perPhase.flatMap((p) =>
      segmentConsensus(
        labels.map((l) => segmentsOf(l.data, p)),
        frameCount,
      ).map((s) => ({ phase: String(s.label), start: s.start, end: s.end })),
    );
    segments.sort((x, y) => x.start - y.start || x.end - y.end || (x.phase < y.phase ? -1 : 1));
    return { data: { segments }, method: 'per-frame-vote' };
  },
  consensusMethods: () => onlyMethod('per-frame-vote', 'Per-frame vote', 'Every frame takes the phase most annotators gave it; runs of frames become the segments.'),
  summarize(data, schema) {
    const names = [...new Set(data.segments.map((s) => schema.phases.find((p) => p.key === s.phase)?.name ?? s.phase))];
    return data.segments.length === 0 ? 'no segments' : `${plural(data.segments.length, 'segment')}: ${names.join(' → ')}`;
  },
  objectCount: (data) => data.segments.length,
  // [start, end) stays half-open: end is one past the mapped frame of the segment's last frame.
  mapFrames: (data, map) => ({ ...data, segments: data.segments.map((s) => ({ ...s, start: map(s.start), end: map(s.end - 1) + 1 })) }),
};

/** Temporal agreement both ways round (segmental F1 matches greedily from one side), averaged. */
function symmetric(a: Segment[], b: Segment[], frameCount: number) {
  const ab = temporalAgreement(a, b, frameCount);
  const ba = temporalAgreement(b, a, frameCount);
  return {
    f1: (ab.f1['0.5'] + ba.f1['0.5']) / 2,
    f1At10: (ab.f1['0.1'] + ba.f1['0.1']) / 2,
    f1At25: (ab.f1['0.25'] + ba.f1['0.25']) / 2,
    edit: ab.edit,
    frameAccuracy: ab.frameAccuracy,
    boundaryError: ab.boundaryError,
  };
}
