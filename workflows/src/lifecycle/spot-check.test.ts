import { describe, expect, it } from 'vitest';
import { qaSettingsSchema } from '../domain/label-schema.ts';
import { drawSpotCheckSample, spotCheckPlan } from './spot-check.ts';

describe('spot-check', () => {
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
