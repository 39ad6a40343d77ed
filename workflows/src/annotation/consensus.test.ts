import { describe, expect, it } from 'vitest';
import { geometryKinds, labelSchemaSchema, qaSettingsSchema, type LabelSchema } from '../domain/label-schema.ts';
import { CONSENSUS_METHOD_NAMES } from '../quality/index.ts';
import { effectiveCrowdMethod, MIN_CROWD_TASKS, resolveConsensus, type CampaignConsensus } from './consensus.ts';
import { consensusMethods, consensusSettingProblems } from './registry.ts';

const schemaOf = (geometry: string, classes = ['a', 'b', 'c'], extra: Record<string, unknown> = {}): LabelSchema =>
  labelSchemaSchema.parse({ geometry, classes: classes.map((key) => ({ key, name: key.toUpperCase() })), keypoints: ['tip'], phases: [{ key: 'p', name: 'P' }], ...extra });
const classification = schemaOf('classification');
const resolved = (schema: LabelSchema, setting: Parameters<typeof consensusSettingProblems>[1]): CampaignConsensus => {
  const r = resolveConsensus(schema, consensusMethods(schema), setting);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value;
};

describe('consensus methods per annotation type', () => {
  it('every type declares its methods, with its default among them and no id twice', () => {
    for (const geometry of geometryKinds) {
      const m = consensusMethods(schemaOf(geometry));
      const ids = m.choices.map((c) => c.id);
      expect(ids, geometry).toContain(m.default);
      expect(new Set(ids).size, geometry).toBe(ids.length);
      for (const c of m.choices) expect(c.title.length && c.description.length, `${geometry} ${c.id}`).toBeGreaterThan(0);
    }
  });

  it('single-label classification offers auto (the default), majority and every categorical method; KOS only for two classes', () => {
    const three = consensusMethods(classification);
    expect(three.default).toBe('auto');
    expect(three.choices.map((c) => c.id)).toEqual(['auto', ...CONSENSUS_METHOD_NAMES.filter((n) => n !== 'kos')]);
    expect(consensusMethods(schemaOf('classification', ['yes', 'no'])).choices.map((c) => c.id)).toContain('kos');
    expect(three.choices.find((c) => c.id === 'auto')).toMatchObject({ crowd: 'dawid-skene' });
    // Dawid-Skene's documented options, without the seed (set beside minTasks).
    expect(three.choices.find((c) => c.id === 'dawid-skene')!.options!.map((o) => o.name)).toEqual(['maxIterations', 'tolerance', 'stop', 'smoothing', 'init']);
    expect(three.choices.find((c) => c.id === 'mace')!.options!.map((o) => o.name)).not.toContain('seed');
  });

  it('other types keep their own methods: per-class majority, STAPLE or a majority vote, box fusion, medoid, per-frame vote', () => {
    const of = (geometry: string, extra: Record<string, unknown> = {}) => consensusMethods(schemaOf(geometry, ['a', 'b'], extra)).choices.map((c) => c.id);
    expect(of('classification', { multiLabel: true })).toEqual(['per-class-majority']);
    expect(of('mask')).toEqual(['staple', 'pixel-majority-vote']);
    expect(of('volume')).toEqual(['staple', 'voxel-majority-vote']);
    expect(of('bbox')).toEqual(['weighted-box-fusion']);
    expect(of('polygon')).toEqual(['medoid']);
    expect(of('keypoints')).toEqual(['keypoint-fusion']);
    expect(of('phases')).toEqual(['per-frame-vote']);
  });
});

describe('a campaign’s consensus setting', () => {
  it('defaults to the type’s method when the campaign has none (campaigns stored before the setting)', () => {
    const qa = qaSettingsSchema.parse({});
    expect(qa.consensus).toBeUndefined();
    expect(resolved(classification, qa.consensus)).toMatchObject({ method: 'auto', minTasks: MIN_CROWD_TASKS, options: {} });
    expect(resolved(schemaOf('mask'), undefined).method).toBe('staple');
    expect(resolved(schemaOf('bbox'), undefined).method).toBe('weighted-box-fusion');
  });

  it('refuses a method the type does not offer, naming the field and the methods allowed', () => {
    expect(consensusSettingProblems(classification, { method: 'staple' })).toEqual([
      "qaSettings.consensus.method: 'staple' is not a consensus method for classification labels of this schema; choose one of auto, majority, wawa, zbs, one-coin, dawid-skene, glad, mace, mmsr",
    ]);
    expect(consensusSettingProblems(classification, { method: 'kos' })[0]).toMatch(
      /'kos' is not a consensus method .* \(KOS takes exactly two classes; this schema has 3\); choose one of auto, majority/,
    );
    expect(consensusSettingProblems(schemaOf('classification', ['yes', 'no']), { method: 'kos' })).toEqual([]);
    expect(consensusSettingProblems(schemaOf('mask'), { method: 'dawid-skene' })).toEqual([
      "qaSettings.consensus.method: 'dawid-skene' is not a consensus method for mask labels of this schema; choose one of staple, pixel-majority-vote",
    ]);
    expect(consensusSettingProblems(schemaOf('classification', ['a', 'b'], { multiLabel: true }), { method: 'mace' })[0]).toMatch(/choose one of per-class-majority$/);
  });

  it('takes minTasks, seed and the method’s own options for fitted methods, and checks their values with the method', () => {
    expect(consensusSettingProblems(classification, { method: 'mace', minTasks: 5, seed: 'campaign-7', options: { restarts: 3, inference: 'em' } })).toEqual([]);
    expect(resolved(classification, { method: 'mace', minTasks: 5, seed: 'campaign-7', options: { restarts: 3 } })).toMatchObject({
      minTasks: 5,
      seed: 'campaign-7',
      options: { restarts: 3 },
    });
    expect(consensusSettingProblems(classification, { method: 'dawid-skene', options: { tolerance: -1 } })).toEqual([
      'qaSettings.consensus.options: tolerance must be a finite number >= 0, got -1',
    ]);
    expect(consensusSettingProblems(classification, { method: 'dawid-skene', options: { stop: 'never' } })[0]).toMatch(/stop must be one of elbo, log-likelihood, posterior/);
    expect(consensusSettingProblems(classification, { method: 'glad', options: { classPriors: [0.5, 0.5] } })[0]).toMatch(/classPriors .* \(3\), got 2/);
    expect(consensusSettingProblems(classification, { method: 'dawid-skene', options: { damping: 1, seed: 3 } })).toEqual([
      "qaSettings.consensus.options.damping: Dawid-Skene has no option 'damping'; its options are maxIterations, tolerance, stop, smoothing, init",
      "qaSettings.consensus.options.seed: Dawid-Skene has no option 'seed'; its options are maxIterations, tolerance, stop, smoothing, init (set qaSettings.consensus.seed instead)",
    ]);
  });

  it('refuses minTasks, seed and options for methods that fit nothing', () => {
    expect(consensusSettingProblems(classification, { method: 'majority', minTasks: 3 })).toEqual([
      "qaSettings.consensus.minTasks: 'majority' fits no model on the campaign's labels, so it takes no minTasks",
    ]);
    expect(consensusSettingProblems(schemaOf('mask'), { method: 'staple', options: { maxIterations: 3 } })).toEqual([
      "qaSettings.consensus.options: 'staple' fits no model on the campaign's labels, so it takes no options",
    ]);
  });

  it('is malformed JSON refused by the QA settings schema, field by field', () => {
    const bad = qaSettingsSchema.safeParse({ consensus: { method: '', extra: 1, minTasks: 0 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['consensus', 'consensus.method', 'consensus.minTasks']);
  });
});

describe('the method in use', () => {
  it('is majority vote until the campaign has minTasks tasks with two or more labels, then the fitted method', () => {
    const auto = resolved(classification, undefined);
    expect(effectiveCrowdMethod(auto, MIN_CROWD_TASKS - 1)).toBe('majority');
    expect(effectiveCrowdMethod(auto, MIN_CROWD_TASKS)).toBe('dawid-skene');
    const mace = resolved(classification, { method: 'mace', minTasks: 3 });
    expect(effectiveCrowdMethod(mace, 2)).toBe('majority');
    expect(effectiveCrowdMethod(mace, 3)).toBe('mace');
    expect(effectiveCrowdMethod(resolved(classification, { method: 'majority' }), 1000)).toBe('majority');
    expect(effectiveCrowdMethod(resolved(schemaOf('mask'), undefined), 1000)).toBeNull();
  });
});
