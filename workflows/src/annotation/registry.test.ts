import { describe, expect, it } from 'vitest';
import { geometryKinds, labelSchemaSchema } from '../domain/label-schema.ts';
import type { BoxLabel } from './kinds/bbox.ts';
import type { ClassificationLabel } from './kinds/classification.ts';
import type { PhasesLabel } from './kinds/phases.ts';
import type { PolygonLabel } from './kinds/polygon.ts';
import type { AnnotationContext, MediaBounds } from './module.ts';
import { annotationKinds, annotationType, labelSchemaProblems, LabelRejectedError, parseLabel, parseLabels, taskAgreement, taskConsensus } from './registry.ts';

const classes = [
  { key: 'cholecystectomy', name: 'Cholecystectomy' },
  { key: 'appendectomy', name: 'Appendectomy' },
  { key: 'hernia', name: 'Hernia repair' },
];
const schemaOf = (extra: Record<string, unknown>) =>
  labelSchemaSchema.parse({ classes, attributes: [{ key: 'difficulty', name: 'Difficulty', type: 'enum', options: ['easy', 'hard'] }], ...extra });
const ctxOf = (extra: Record<string, unknown>, media: MediaBounds = {}, frame: number | null = null): AnnotationContext => ({ schema: schemaOf(extra), media, frame });

function problemsOf(c: AnnotationContext, data: unknown): string[] {
  const r = parseLabel(c, data);
  if (r.ok) throw new Error(`expected the label to be refused: ${JSON.stringify(data)}`);
  return r.problems;
}
function expectProblem(c: AnnotationContext, data: unknown, path: string, reason: RegExp): void {
  const problems = problemsOf(c, data);
  expect(
    problems.some((p) => p.startsWith(`${path}: `) && reason.test(p)),
    `${problems.join(' | ')} should name ${path} with ${reason}`,
  ).toBe(true);
}
function parse<T>(c: AnnotationContext, data: unknown): T {
  const r = parseLabel(c, data);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value as T;
}

describe('registry', () => {
  it('has one module per geometry kind', () => {
    expect(annotationKinds.map((k) => k.kind)).toEqual([...geometryKinds]);
    for (const kind of geometryKinds) {
      expect(annotationType(kind).kind).toBe(kind);
      expect(annotationType(kind).title.length).toBeGreaterThan(0);
    }
  });

  it('parseLabels throws LabelRejectedError naming the annotator and the problem', () => {
    const c = ctxOf({ geometry: 'classification' });
    expect(() => parseLabels(c, [{ annotator: 'dana', data: { label: 'nope' } }])).toThrow(LabelRejectedError);
    expect(() => parseLabels(c, [{ annotator: 'dana', data: { label: 'nope' } }])).toThrow(/annotator dana.*label: unknown class/);
    expect(() => taskAgreement(c, parseLabels(c, [{ annotator: 'a', data: { label: 'hernia' } }]))).toThrow(/at least two labels/);
  });
});

describe('classification', () => {
  const single = ctxOf({ geometry: 'classification' });
  const multi = ctxOf({ geometry: 'classification', multiLabel: true });

  it('single-label: refuses what it cannot handle, canonical whatever the key order', () => {
    expectProblem(single, { label: 'bypass' }, 'label', /unknown class; expected one of cholecystectomy, appendectomy, hernia/);
    expectProblem(single, {}, 'label', /./);
    expectProblem(single, { labels: ['hernia'] }, '(root)', /unrecognized key/i);
    expectProblem(single, { label: 'hernia', attributes: { difficulty: 'medium' } }, 'attributes.difficulty', /one of easy, hard/);
    expectProblem(single, { label: 'hernia', attributes: { surgeon: 'x' } }, 'attributes.surgeon', /unknown attribute/);
    const a = parse<ClassificationLabel>(single, { label: 'hernia', attributes: { difficulty: 'hard' } });
    const b = parse<ClassificationLabel>(single, { attributes: { difficulty: 'hard' }, label: 'hernia' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(annotationType('classification').agreement(a, b, single)).toEqual({ value: 1, metric: 'percent-agreement' });
    expect(annotationType('classification').agreement(a, parse(single, { label: 'appendectomy' }), single).value).toBe(0);
  });

  it('single-label consensus is the majority', () => {
    const labels = parseLabels(single, [
      { annotator: 'a', data: { label: 'hernia' } },
      { annotator: 'b', data: { label: 'appendectomy' } },
      { annotator: 'c', data: { label: 'hernia' } },
    ]);
    expect(taskConsensus(single, labels)).toEqual({ data: { label: 'hernia' }, method: 'majority-vote' });
    expect(taskAgreement(single, labels).value).toBeCloseTo(1 / 3, 12);
  });

  it('multi-label: a class listed twice is refused; the class set is sorted; Jaccard agreement; per-class majority', () => {
    expectProblem(multi, { labels: ['hernia', 'hernia'] }, 'labels', /listed twice/);
    expectProblem(multi, { labels: ['hernia', 'bypass'] }, 'labels.1', /unknown class/);
    expectProblem(multi, { label: 'hernia' }, '(root)', /unrecognized key/i);
    const a = parse<ClassificationLabel>(multi, { labels: ['hernia', 'appendectomy'] });
    const b = parse<ClassificationLabel>(multi, { labels: ['appendectomy', 'hernia'] });
    expect(a).toEqual({ labels: ['appendectomy', 'hernia'] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(annotationType('classification').agreement(a, b, multi)).toEqual({ value: 1, metric: 'jaccard' });
    expect(annotationType('classification').agreement(a, parse(multi, { labels: ['cholecystectomy', 'hernia'] }), multi).value).toBeCloseTo(1 / 3, 12);
    const labels = parseLabels(multi, [
      { annotator: 'a', data: { labels: ['hernia', 'appendectomy'] } },
      { annotator: 'b', data: { labels: ['hernia'] } },
      { annotator: 'c', data: { labels: ['cholecystectomy', 'appendectomy', 'hernia'] } },
    ]);
    expect(taskConsensus(multi, labels)).toEqual({ data: { labels: ['appendectomy', 'hernia'] }, method: 'per-class-majority' });
  });
});

describe('bbox', () => {
  const c = ctxOf({ geometry: 'bbox' }, { width: 100, height: 50, frameCount: 20 }, 4);

  it('refuses boxes outside the image and malformed objects, naming the field', () => {
    expectProblem(c, { objects: [{ label: 'hernia', box: [80, 10, 30, 10] }] }, 'objects.0.box.2', /ends at x=110, past the image width 100/);
    expectProblem(c, { objects: [{ label: 'hernia', box: [10, 45, 30, 10] }] }, 'objects.0.box.3', /past the image height 50/);
    expectProblem(c, { objects: [{ label: 'hernia', box: [-1, 10, 30, 10] }] }, 'objects.0.box.0', /x must lie inside the image/);
    expectProblem(c, { objects: [{ label: 'hernia', box: [1, 10, 0, 10] }] }, 'objects.0.box.2', /width must be > 0/);
    expectProblem(c, { objects: [{ label: 'hernia', box: [1, 10, 5] }] }, 'objects.0.box', /./);
    expectProblem(c, { objects: [{ label: 'bypass', box: [1, 10, 5, 5] }] }, 'objects.0.label', /unknown class/);
    expectProblem(c, { objects: [{ label: 'hernia', box: [1, 10, 5, 5], colour: 'red' }] }, 'objects.0', /unrecognized key/i);
    expectProblem(c, { objects: [], frame: 5 }, 'frame', /this task is frame 4/);
    expectProblem(ctxOf({ geometry: 'bbox' }, { width: 100, height: 50, frameCount: 20 }), { objects: [], frame: 20 }, 'frame', /past the last frame \(19\)/);
  });

  it('is canonical whatever the key order; agreement and consensus', () => {
    const a = parse<BoxLabel>(c, { objects: [{ label: 'hernia', box: [10, 10, 20, 20], attributes: { difficulty: 'easy' }, confidence: 1 }], frame: 4 });
    const b = parse<BoxLabel>(c, { frame: 4, objects: [{ confidence: 1, attributes: { difficulty: 'easy' }, box: [10, 10, 20, 20], label: 'hernia' }] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(annotationType('bbox').agreement(a, b, c).value).toBe(1);
    const far = parse<BoxLabel>(c, { objects: [{ label: 'hernia', box: [60, 20, 20, 20] }] });
    expect(annotationType('bbox').agreement(a, far, c).value).toBe(0);
    const labels = parseLabels(c, [
      { annotator: 'a', data: { objects: [{ label: 'hernia', box: [10, 10, 20, 20] }] } },
      { annotator: 'b', data: { objects: [{ label: 'hernia', box: [10, 10, 20, 20] }] } },
      { annotator: 'c', data: { objects: [{ label: 'hernia', box: [60, 20, 20, 20] }] } },
    ]);
    const consensus = taskConsensus(c, labels);
    expect(consensus.method).toBe('weighted-box-fusion');
    expect((consensus.data as BoxLabel).objects).toEqual([{ label: 'hernia', box: [10, 10, 20, 20], confidence: 1 }]);
  });
});

describe('polygon', () => {
  const c = ctxOf({ geometry: 'polygon' }, { width: 100, height: 100 });
  const square = (x: number, y: number, s = 20) => [
    [x, y],
    [x + s, y],
    [x + s, y + s],
    [x, y + s],
  ];

  it('refuses self-intersecting polygons and points outside the image, naming the field', () => {
    const bowTie = [
      [0, 0],
      [20, 20],
      [20, 0],
      [0, 20],
    ];
    expectProblem(c, { objects: [{ label: 'hernia', rings: [bowTie] }] }, 'objects.0.rings', /self-intersecting/);
    expectProblem(c, { objects: [{ label: 'hernia', rings: [square(0, 0).slice(0, 2)] }] }, 'objects.0.rings.0', /at least 3 points/);
    expectProblem(c, { objects: [{ label: 'hernia', rings: [] }] }, 'objects.0.rings', /outline ring/);
    expectProblem(c, { objects: [{ label: 'hernia', rings: [square(90, 10)] }] }, 'objects.0.rings.0.1.0', /x must lie inside the image \(0\.\.100\)/);
    // A hole crossing the outline.
    expectProblem(c, { objects: [{ label: 'hernia', rings: [square(10, 10), square(25, 15)] }] }, 'objects.0.rings', /./);
  });

  it('is canonical whatever the key order; agreement and medoid consensus', () => {
    const a = parse<PolygonLabel>(c, { objects: [{ label: 'hernia', rings: [square(10, 10)], confidence: 0.5 }] });
    const b = parse<PolygonLabel>(c, { objects: [{ confidence: 0.5, rings: [square(10, 10)], label: 'hernia' }] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(annotationType('polygon').agreement(a, b, c).value).toBe(1);
    const far = parse<PolygonLabel>(c, { objects: [{ label: 'hernia', rings: [square(60, 60)] }] });
    expect(annotationType('polygon').agreement(a, far, c).value).toBe(0);
    const labels = parseLabels(c, [
      { annotator: 'a', data: { objects: [{ label: 'hernia', rings: [square(10, 10)] }] } },
      { annotator: 'b', data: { objects: [{ label: 'hernia', rings: [square(11, 10)] }] } },
      { annotator: 'c', data: { objects: [{ label: 'hernia', rings: [square(60, 60)] }] } },
    ]);
    const consensus = taskConsensus(c, labels);
    expect(consensus.method).toBe('medoid');
    expect((consensus.data as PolygonLabel).objects[0]!.rings[0]![0]![1]).toBe(10);
    expect([10, 11]).toContain((consensus.data as PolygonLabel).objects[0]!.rings[0]![0]![0]);
  });
});

describe('phases', () => {
  const phases = [
    { key: 'prep', name: 'Preparation' },
    { key: 'dissection', name: 'Dissection' },
    { key: 'closure', name: 'Closure' },
  ];
  const c = ctxOf({ geometry: 'phases', phases }, { frameCount: 1000 });
  const overlapping = ctxOf({ geometry: 'phases', phases, phaseOverlap: true }, { frameCount: 1000 });

  it('needs its phase list', () => {
    expect(labelSchemaProblems(schemaOf({ geometry: 'phases' }))).toEqual(['phases: a phases campaign needs its phase list']);
    expect(labelSchemaProblems(schemaOf({ geometry: 'phases', phases }))).toEqual([]);
  });

  it('refuses reversed, out-of-video, unknown, unordered and overlapping segments, naming the field', () => {
    expectProblem(c, { segments: [{ phase: 'prep', start: 50, end: 10 }] }, 'segments.0.end', /ends \(10\) before or where it starts \(50\)/);
    expectProblem(c, { segments: [{ phase: 'prep', start: 50, end: 50 }] }, 'segments.0.end', /before or where it starts/);
    expectProblem(c, { segments: [{ phase: 'prep', start: 0, end: 2 ** 32 }] }, 'segments.0.end', /past the end of the video \(1000 frames\)/);
    expectProblem(c, { segments: [{ phase: 'prep', start: 0, end: 1e8 }] }, 'segments.0.end', /past the end of the video \(1000 frames\)/);
    expectProblem(c, { segments: [{ phase: 'prep', start: 1000, end: 1001 }] }, 'segments.0.start', /past the last frame \(999\)/);
    expectProblem(c, { segments: [{ phase: 'prep', start: 0.5, end: 10 }] }, 'segments.0.start', /whole frame number/);
    expectProblem(c, { segments: [{ phase: 'suturing', start: 0, end: 10 }] }, 'segments.0.phase', /unknown phase/);
    expectProblem(
      c,
      {
        segments: [
          { phase: 'dissection', start: 100, end: 200 },
          { phase: 'prep', start: 0, end: 100 },
        ],
      },
      'segments.1.start',
      /ordered by start/,
    );
    const overlap = {
      segments: [
        { phase: 'prep', start: 0, end: 120 },
        { phase: 'dissection', start: 100, end: 200 },
      ],
    };
    expectProblem(c, overlap, 'segments.1.start', /overlaps the previous one \(ends at 120\)/);
    expect(parseLabel(overlapping, overlap).ok).toBe(true);
    expect(parse<PhasesLabel>(c, { segments: [{ phase: 'prep', start: 0, end: 1000 }] }).segments).toHaveLength(1);
  });

  it('is canonical whatever the key order; agreement and per-frame vote', () => {
    const a = parse<PhasesLabel>(c, {
      segments: [
        { phase: 'prep', start: 0, end: 300 },
        { phase: 'dissection', start: 300, end: 1000 },
      ],
    });
    const b = parse<PhasesLabel>(c, {
      segments: [
        { end: 300, start: 0, phase: 'prep' },
        { start: 300, phase: 'dissection', end: 1000 },
      ],
    });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(annotationType('phases').agreement(a, b, c)).toMatchObject({ value: 1, metric: 'segmental-f1@0.5' });
    const other = parse<PhasesLabel>(c, { segments: [{ phase: 'closure', start: 0, end: 1000 }] });
    expect(annotationType('phases').agreement(a, other, c).value).toBe(0);
    const labels = parseLabels(c, [
      { annotator: 'a', data: a },
      { annotator: 'b', data: a },
      { annotator: 'c', data: other },
    ]);
    expect(taskConsensus(c, labels)).toEqual({ data: a, method: 'per-frame-vote' });
  });
});

describe('mapFrames (proxy -> source frames for exports)', () => {
  // A trim that starts at source frame 100 and drops every other source frame.
  const map = (n: number) => 100 + 2 * n;

  it('maps the frame of every per-frame kind and keeps labels without one', () => {
    const label = { objects: [{ label: 'x', box: [1, 2, 3, 4] }], frame: 7 };
    for (const kind of ['bbox', 'polygon', 'mask', 'keypoints', 'polyline'] as const) {
      const m = annotationType(kind).mapFrames!;
      expect(m(label, map)).toEqual({ ...label, frame: 114 });
      expect(m({ objects: [] }, map)).toEqual({ objects: [] });
    }
    expect(label.frame).toBe(7);
  });

  it('maps track keyframes and keeps their flags', () => {
    const data = {
      tracks: [
        {
          id: 1,
          label: 'x',
          keyframes: [
            { frame: 0, box: [0, 0, 1, 1] },
            { frame: 5, box: [0, 0, 1, 1], outside: true },
          ],
        },
      ],
    };
    expect(annotationType('track').mapFrames!(data, map)).toEqual({
      tracks: [
        {
          id: 1,
          label: 'x',
          keyframes: [
            { frame: 100, box: [0, 0, 1, 1] },
            { frame: 110, box: [0, 0, 1, 1], outside: true },
          ],
        },
      ],
    });
  });

  it('keeps phase segments half-open: the end is one past the source frame of the last frame', () => {
    expect(annotationType('phases').mapFrames!({ segments: [{ phase: 'p', start: 0, end: 10 }] }, map)).toEqual({ segments: [{ phase: 'p', start: 100, end: 119 }] });
  });

  it('is absent for kinds that name no video frame', () => {
    expect(annotationType('classification').mapFrames).toBeUndefined();
    expect(annotationType('volume').mapFrames).toBeUndefined();
  });
});
