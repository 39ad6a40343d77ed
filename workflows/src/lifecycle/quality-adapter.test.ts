import { describe, expect, it } from 'vitest';
import { qaSettingsSchema } from '../domain/label-schema.ts';
import { drawSpotCheckSample, spotCheckPlan, taskAgreement, taskConsensus } from './quality-adapter.ts';

const label = (userId: string, data: unknown) => ({ annotationId: `a-${userId}`, userId, data });

describe('lifecycle quality wiring', () => {
  it('scores classification agreement pairwise and resolves ties by the declared policy', () => {
    expect(taskAgreement('classification', [label('u1', { label: 'hook' }), label('u2', { label: 'hook' })]).value).toBe(1);
    expect(taskAgreement('classification', [label('u1', { label: 'hook' }), label('u2', { label: 'clip' }), label('u3', { label: 'hook' })]).value).toBeCloseTo(1 / 3);
    expect(taskConsensus('classification', [label('u1', { label: 'hook' }), label('u2', { label: 'clip' })]).data).toEqual({ label: 'clip' });
    expect(taskConsensus('classification', [label('u1', { label: 'hook' }), label('u2', { label: 'clip' }), label('u3', { label: 'hook' })]).data).toEqual({ label: 'hook' });
  });

  it('matches boxes before comparing them and fuses the matched boxes', () => {
    const a = {
      objects: [
        { label: 'grasper', box: [0, 0, 10, 10] },
        { label: 'hook', box: [50, 50, 10, 10] },
      ],
    };
    const b = {
      objects: [
        { label: 'hook', box: [51, 50, 10, 10] },
        { label: 'grasper', box: [1, 0, 10, 10] },
      ],
    };
    const shuffledAgreement = taskAgreement('bbox', [label('u1', a), label('u2', b)]);
    expect(shuffledAgreement.value).toBe(1);
    const missing = taskAgreement('bbox', [label('u1', a), label('u2', { objects: [b.objects[0]] })]);
    expect(missing.value).toBeCloseTo(2 / 3);
    const fused = taskConsensus('bbox', [label('u1', a), label('u2', b)]).data as { objects: Array<{ label: string; box: number[] }> };
    expect(fused.objects).toHaveLength(2);
    expect(fused.objects.find((o) => o.label === 'grasper')!.box[0]).toBeCloseTo(0.5);
  });

  it('compares surgical phases frame by frame', () => {
    const a = {
      segments: [
        { phase: 'access', start: 0, end: 50 },
        { phase: 'dissection', start: 50, end: 100 },
      ],
    };
    const b = {
      segments: [
        { phase: 'access', start: 0, end: 60 },
        { phase: 'dissection', start: 60, end: 100 },
      ],
    };
    expect(taskAgreement('phases', [label('u1', a), label('u2', b)]).value).toBeCloseTo(0.9);
  });

  it('uses the configured plan and draws a reproducible stratified sample', () => {
    const zero = spotCheckPlan(1000, qaSettingsSchema.parse({ tolerableErrorRate: 0.05, confidence: 0.95 }));
    expect(zero).toMatchObject({ kind: 'zero-acceptance', sampleSize: 57, acceptNumber: 0 });
    const z14 = spotCheckPlan(1000, qaSettingsSchema.parse({ plan: 'z14-level-ii', aql: 1 }));
    expect(z14).toMatchObject({ kind: 'z1.4', sampleSize: 80, acceptNumber: 2 });
    const items = Array.from({ length: 60 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, stratum: i < 50 ? 'ann+ben' : 'cai+dee' }));
    const first = drawSpotCheckSample(items, 10, 'seed-1', 2);
    expect(drawSpotCheckSample([...items].reverse(), 10, 'seed-1', 2)).toEqual(first);
    expect(first.filter((id) => Number(id.slice(1)) >= 50).length).toBeGreaterThanOrEqual(2);
    expect(drawSpotCheckSample(items, 10, 'seed-2', 2)).not.toEqual(first);
  });
});
