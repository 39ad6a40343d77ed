import { describe, expect, it } from 'vitest';
import type { LabelSchema } from '$lib/types';
import { checkLabel, summarizeLabel } from '../modules';
import { asSegments, mergeWithNext, segmentAt, setEnd, setStart, splitSegment, startSegment, type PhaseSegment } from './phases';

const schema: LabelSchema = { geometry: 'phases', classes: [], phases: [{ key: 'prep', name: 'Preparation' }, { key: 'dissect', name: 'Dissection' }, { key: 'clip', name: 'Clipping' }] };

describe('phase timeline edits', () => {
  it('starting a phase inside another cuts it there (no overlap)', () => {
    let s: PhaseSegment[] = [];
    ({ segments: s } = startSegment(s, 'prep', 0, 40, false));
    s = setEnd(s, 0, 15, 40, false);
    const { segments, index } = startSegment(s, 'dissect', 10, 40, false);
    expect(segments).toEqual([
      { phase: 'prep', start: 0, end: 10 },
      { phase: 'dissect', start: 10, end: 11 },
    ]);
    expect(index).toBe(1);
  });

  it('with overlap allowed keeps both segments', () => {
    const { segments } = startSegment([{ phase: 'prep', start: 0, end: 20 }], 'clip', 5, 40, true);
    expect(segments).toEqual([
      { phase: 'prep', start: 0, end: 20 },
      { phase: 'clip', start: 5, end: 6 },
    ]);
  });

  it('edges snap to frames and stop at the neighbours and the video', () => {
    const s: PhaseSegment[] = [
      { phase: 'prep', start: 0, end: 10 },
      { phase: 'dissect', start: 20, end: 30 },
    ];
    expect(setEnd(s, 0, 25.4, 40, false)[0]).toEqual({ phase: 'prep', start: 0, end: 20 });
    expect(setEnd(s, 1, 99, 40, false)[1]!.end).toBe(40);
    expect(setEnd(s, 1, 3, 40, false)[1]!.end).toBe(21);
    expect(setStart(s, 1, 4, false)[1]!.start).toBe(10);
    expect(setStart(s, 1, 12.6, false)[1]!.start).toBe(13);
  });

  it('splits at the playhead and merges with the next', () => {
    const s: PhaseSegment[] = [
      { phase: 'prep', start: 0, end: 10 },
      { phase: 'dissect', start: 10, end: 30 },
    ];
    const split = splitSegment(s, 1, 18);
    expect(split).toEqual([
      { phase: 'prep', start: 0, end: 10 },
      { phase: 'dissect', start: 10, end: 18 },
      { phase: 'dissect', start: 18, end: 30 },
    ]);
    expect(splitSegment(s, 1, 10)).toEqual(s);
    expect(mergeWithNext(split, 0)).toEqual([
      { phase: 'prep', start: 0, end: 18 },
      { phase: 'dissect', start: 18, end: 30 },
    ]);
    expect(segmentAt(split, 18)).toBe(2);
    expect(segmentAt(split, 30)).toBeNull();
  });

  it("payload orders segments; the server module refuses overlaps the campaign does not allow and summarizes", () => {
    expect(asSegments({ segments: [{ phase: 'clip', start: 20, end: 25 }, { phase: 'prep', start: 0, end: 5 }, { phase: 'x', start: 3, end: 3 }] })).toEqual([
      { phase: 'prep', start: 0, end: 5 },
      { phase: 'clip', start: 20, end: 25 },
    ]);
    const overlapping = { segments: [{ phase: 'prep', start: 0, end: 10 }, { phase: 'clip', start: 5, end: 12 }] };
    const task = { asset: null, frameIndex: null };
    expect(checkLabel(overlapping, { ...task, schema })).toMatchObject({ ok: false });
    expect(checkLabel(overlapping, { ...task, schema: { ...schema, phaseOverlap: true } })).toEqual({ ok: true, data: overlapping });
    expect(summarizeLabel({ ...schema, phaseOverlap: true }, overlapping)).toBe('2 segments: Preparation → Clipping');
    expect(summarizeLabel(schema, overlapping)).toMatch(/^label not readable \(segment #2 start: the segment overlaps/);
  });
});
