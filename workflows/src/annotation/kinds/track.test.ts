import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../../domain/label-schema.ts';
import type { AnnotationContext, MediaBounds } from '../module.ts';
import { annotationType, parseLabels, taskConsensus } from '../registry.ts';
import { trackBoxAtFrame, visibleRuns, visibleTrackIoU, type TrackLabel } from './track.ts';
import { expectProblem, parseOk } from '../test-helpers.ts';

const schema = labelSchemaSchema.parse({
  geometry: 'track',
  classes: [
    { key: 'grasper', name: 'Grasper' },
    { key: 'clip', name: 'Clip' },
  ],
  attributes: [{ key: 'moving', name: 'Moving', type: 'boolean' }],
});
const ctxOf = (media: MediaBounds = { width: 320, height: 240, frameCount: 100 }): AnnotationContext => ({ schema, media, frame: null });
const ctx = ctxOf();

const parse = (c: AnnotationContext, data: unknown): TrackLabel => parseOk<TrackLabel>(c, data);
/** A track moving right 1 px per frame from frame `from` to `to`, with an outside keyframe at `to`. */
const moving = (id: number, from: number, to: number, y = 50, label = 'grasper') => ({
  id,
  label,
  keyframes: [
    { frame: from, box: [10, y, 40, 30] },
    { frame: to - 1, box: [10 + (to - 1 - from), y, 40, 30] },
    { frame: to, box: [10 + (to - 1 - from), y, 40, 30], outside: true },
  ],
});

describe('track payload', () => {
  it('parses to one canonical form whatever the key order; outside and occluded only when true', () => {
    const a = parse(ctx, {
      tracks: [
        {
          id: 1,
          label: 'grasper',
          keyframes: [
            { frame: 0, box: [1, 2, 30, 40], outside: false, occluded: true },
            { frame: 9, box: [5, 2, 30, 40] },
          ],
          attributes: { moving: true },
        },
      ],
    });
    const b = parse(ctx, {
      tracks: [
        {
          attributes: { moving: true },
          keyframes: [
            { occluded: true, box: [1, 2, 30, 40], frame: 0 },
            { box: [5, 2, 30, 40], frame: 9, occluded: false },
          ],
          label: 'grasper',
          id: 1,
        },
      ],
    });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.tracks[0]!.keyframes[0]).toEqual({ frame: 0, box: [1, 2, 30, 40], occluded: true });
    expect(Object.keys(a.tracks[0]!.keyframes[1]!)).toEqual(['frame', 'box']);
    expect(annotationType('track').agreement(a, b, ctx)).toMatchObject({ value: 1, metric: 'track-f1@0.5-x-class-agreement', details: { meanMatchedIoU: 1 } });
    expect(annotationType('track').objectCount(a)).toBe(1);
  });

  it('refuses malformed tracks, naming the field', () => {
    const kf = [{ frame: 0, box: [1, 2, 30, 40] }];
    expectProblem(ctx, { tracks: [{ id: 0, label: 'grasper', keyframes: kf }] }, 'tracks.0.id', />= 1/);
    expectProblem(ctx, { tracks: [{ id: 1.5, label: 'grasper', keyframes: kf }] }, 'tracks.0.id', /whole number/);
    expectProblem(
      ctx,
      {
        tracks: [
          { id: 1, label: 'grasper', keyframes: kf },
          { id: 1, label: 'grasper', keyframes: kf },
        ],
      },
      'tracks.1.id',
      /id 1 is already used by tracks\.0/,
    );
    // The same id in another class is another object.
    parse(ctx, {
      tracks: [
        { id: 1, label: 'grasper', keyframes: kf },
        { id: 1, label: 'clip', keyframes: kf },
      ],
    });
    expectProblem(ctx, { tracks: [{ id: 1, label: 'grasper', keyframes: [] }] }, 'tracks.0.keyframes', /at least one keyframe/);
    expectProblem(
      ctx,
      {
        tracks: [
          {
            id: 1,
            label: 'grasper',
            keyframes: [
              { frame: 5, box: [1, 2, 30, 40] },
              { frame: 5, box: [1, 2, 30, 40] },
            ],
          },
        ],
      },
      'tracks.0.keyframes.1.frame',
      /strictly increasing/,
    );
    expectProblem(
      ctx,
      {
        tracks: [
          {
            id: 1,
            label: 'grasper',
            keyframes: [
              { frame: 5, box: [1, 2, 30, 40] },
              { frame: 3, box: [1, 2, 30, 40] },
            ],
          },
        ],
      },
      'tracks.0.keyframes.1.frame',
      /strictly increasing/,
    );
    expectProblem(ctx, { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: 100, box: [1, 2, 30, 40] }] }] }, 'tracks.0.keyframes.0.frame', /past the last frame \(99\)/);
    expectProblem(ctx, { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: -1, box: [1, 2, 30, 40] }] }] }, 'tracks.0.keyframes.0.frame', />= 0/);
    expectProblem(
      ctxOf({ width: 320, height: 240 }),
      { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: 2 ** 31, box: [1, 2, 30, 40] }] }] },
      'tracks.0.keyframes.0.frame',
      /./,
    );
    expectProblem(
      ctxOf({ width: 320, height: 240 }),
      { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: 5_000_000, box: [1, 2, 30, 40] }] }] },
      'tracks.0.keyframes.0.frame',
      /must be < 2160000/,
    );
    expectProblem(ctx, { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: 0, box: [300, 2, 30, 40] }] }] }, 'tracks.0.keyframes.0.box.2', /past the image width 320/);
    expectProblem(ctx, { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: 0, box: [3, 2, 0, 40] }] }] }, 'tracks.0.keyframes.0.box.2', /width must be > 0/);
    expectProblem(ctx, { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: 0, box: [1, 2, 30, 40], outside: true }] }] }, 'tracks.0.keyframes', /never visible/);
    expectProblem(ctx, { tracks: [{ id: 1, label: 'grasper', keyframes: [{ frame: 0, box: [1, 2, 30, 40], visible: true }] }] }, 'tracks.0.keyframes.0', /unrecognized key/i);
    expectProblem(ctx, { tracks: [{ id: 1, label: 'scissors', keyframes: kf }] }, 'tracks.0.label', /unknown class/);
  });
});

describe('track interpolation (CVAT semantics)', () => {
  it('interpolates between visible keyframes, hides from an outside keyframe, holds the last box to the end of the video', () => {
    const t = parse(ctx, {
      tracks: [
        {
          id: 1,
          label: 'grasper',
          keyframes: [
            { frame: 10, box: [0, 0, 10, 10] },
            { frame: 20, box: [10, 0, 10, 10] },
            { frame: 30, box: [10, 0, 10, 10], outside: true },
            { frame: 40, box: [50, 50, 20, 20] },
          ],
        },
      ],
    }).tracks[0]!;
    expect(visibleRuns(t, 100).map((r) => [r.start, r.end])).toEqual([
      [10, 29],
      [40, 99],
    ]);
    expect(visibleRuns(t).map((r) => [r.start, r.end])).toEqual([
      [10, 29],
      [40, 40],
    ]);
    expect(trackBoxAtFrame(t, 9, 100)).toBeNull();
    expect(trackBoxAtFrame(t, 15, 100)).toEqual({ x: 5, y: 0, width: 10, height: 10 });
    expect(trackBoxAtFrame(t, 25, 100)).toEqual({ x: 10, y: 0, width: 10, height: 10 });
    expect(trackBoxAtFrame(t, 30, 100)).toBeNull();
    expect(trackBoxAtFrame(t, 35, 100)).toBeNull();
    expect(trackBoxAtFrame(t, 99, 100)).toEqual({ x: 50, y: 50, width: 20, height: 20 });
  });

  it('compares tracks over the union of their visible frames', () => {
    const a = visibleRuns(parse(ctx, { tracks: [moving(1, 0, 10)] }).tracks[0]!, 100);
    const b = visibleRuns(parse(ctx, { tracks: [moving(1, 5, 15)] }).tracks[0]!, 100);
    // Frames 0..14 in the union, 5..9 in both with IoU of boxes 5 px apart (35·30 / (2·40·30 − 35·30)).
    expect(visibleTrackIoU(a, b)).toBeCloseTo((5 * (35 / 45)) / 15, 12);
    expect(visibleTrackIoU(b, a)).toBeCloseTo(visibleTrackIoU(a, b), 15);
    expect(visibleTrackIoU(a, a)).toBe(1);
  });
});

describe('track agreement and consensus', () => {
  const agree = (a: TrackLabel, b: TrackLabel) => annotationType('track').agreement(a, b, ctx);

  it('is high for the same tracks and low for clearly different ones', () => {
    const a = parse(ctx, { tracks: [moving(1, 0, 40), moving(2, 50, 90, 150, 'clip')] });
    const same = parse(ctx, { tracks: [moving(7, 0, 40), moving(3, 51, 90, 150, 'clip')] });
    expect(agree(a, same).value).toBe(1);
    expect(agree(a, same).details!.meanMatchedIoU).toBeGreaterThan(0.9);
    const otherTime = parse(ctx, { tracks: [moving(1, 45, 90), moving(2, 0, 45, 150, 'clip')] });
    expect(agree(a, otherTime).value).toBe(0);
    const otherClass = parse(ctx, { tracks: [moving(1, 0, 40, 50, 'clip'), moving(2, 50, 90, 150)] });
    expect(agree(a, otherClass).value).toBe(0);
    expect(agree(a, parse(ctx, { tracks: [moving(1, 0, 40)] })).value).toBeCloseTo(2 / 3, 12);
  });

  it('takes the medoid label as consensus', () => {
    const labels = parseLabels(ctx, [
      { annotator: 'a', data: { tracks: [moving(1, 0, 40)] } },
      { annotator: 'b', data: { tracks: [moving(1, 0, 40)] } },
      { annotator: 'c', data: { tracks: [moving(1, 60, 90, 150, 'clip')] } },
    ]);
    const c = taskConsensus(ctx, labels);
    expect(c).toEqual({ data: labels[0]!.data, method: 'medoid' });
  });
});
