import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../domain/label-schema.ts';
import type { AnnotationContext } from './module.ts';
import { labelClass, NO_CLASS, pilotReport, type PilotTask } from './pilot-report.ts';
import { annotationType, parseLabel } from './registry.ts';

const classes = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'clip', name: 'Clip applier' },
  { key: 'hook', name: 'Hook' },
];
const ctxOf = (geometry: string): AnnotationContext => ({ schema: labelSchemaSchema.parse({ classes, geometry }), media: { width: 100, height: 100 }, frame: null });
const order = classes.map((c) => c.key);

function task(ctx: AnnotationContext, taskId: string, labels: Record<string, unknown>): PilotTask {
  return {
    taskId,
    ctx,
    labels: Object.entries(labels).map(([annotator, data]) => {
      const r = parseLabel(ctx, data);
      if (!r.ok) throw new Error(r.problems.join('; '));
      return { annotator, data: r.value };
    }),
  };
}

describe('pilotReport', () => {
  it('classification: pair agreement, per-class agreement and confusions from the labels', () => {
    const ctx = ctxOf('classification');
    const c = (label: string) => ({ label });
    const tasks = [
      task(ctx, 't1', { ann: c('grasper'), bob: c('grasper'), cat: c('clip') }),
      task(ctx, 't2', { ann: c('clip'), bob: c('grasper') }),
      task(ctx, 't3', { ann: c('hook'), bob: c('hook') }),
      task(ctx, 't4', { ann: c('clip'), bob: c('grasper') }),
    ];
    const report = pilotReport(annotationType('classification'), order, tasks);
    expect(report.tasks).toBe(4);
    expect(report.pairs.map((p) => [p.a, p.b, p.tasks, p.meanAgreement])).toEqual([
      ['ann', 'bob', 4, 0.5],
      ['ann', 'cat', 1, 0],
      ['bob', 'cat', 1, 0],
    ]);
    // grasper: pairs (t1 ann-bob agree, ann-cat, bob-cat, t2, t4) = 5, agreed 1; clip: t1 x2, t2, t4 = 4, agreed 0; hook 1/1.
    expect(report.classes).toEqual([
      { key: 'grasper', pairs: 5, agreed: 1, rate: 0.2 },
      { key: 'clip', pairs: 4, agreed: 0, rate: 0 },
      { key: 'hook', pairs: 1, agreed: 1, rate: 1 },
    ]);
    expect(report.confusions).toEqual([{ a: 'grasper', b: 'clip', count: 4, exampleTaskIds: ['t1', 't2', 't4'] }]);
  });

  it('boxes: the majority class of each label, and the type agreement per pair', () => {
    const ctx = ctxOf('bbox');
    const box = (label: string, x: number) => ({ label, box: [x, 10, 20, 20] });
    const tasks = [
      task(ctx, 'b1', { ann: { objects: [box('clip', 0), box('clip', 50), box('hook', 70)] }, bob: { objects: [box('clip', 0), box('clip', 50), box('hook', 70)] } }),
      task(ctx, 'b2', { ann: { objects: [box('grasper', 0)] }, bob: { objects: [] } }),
    ];
    const report = pilotReport(annotationType('bbox'), order, tasks);
    expect(report.pairs).toHaveLength(1);
    expect(report.pairs[0]!.tasks).toBe(2);
    expect(report.pairs[0]!.meanAgreement).toBeCloseTo(0.5, 6);
    expect(report.classes.find((x) => x.key === 'clip')).toEqual({ key: 'clip', pairs: 1, agreed: 1, rate: 1 });
    expect(report.classes.find((x) => x.key === 'grasper')).toEqual({ key: 'grasper', pairs: 1, agreed: 0, rate: 0 });
    expect(report.confusions).toEqual([{ a: 'grasper', b: NO_CLASS, count: 1, exampleTaskIds: ['b2'] }]);
  });

  it('labelClass breaks ties by schema order and reads every kind that names classes', () => {
    const box = (label: string, x: number) => ({ label, box: [x, 10, 20, 20] });
    expect(labelClass(annotationType('bbox'), { objects: [box('hook', 0), box('clip', 30)] }, order)).toBe('clip');
    expect(labelClass(annotationType('phases'), { segments: [{ phase: 'hook', start: 0, end: 5 }] }, order)).toBe('hook');
    expect(labelClass(annotationType('classification'), {}, order)).toBe(NO_CLASS);
  });
});
