import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../../domain/label-schema.ts';
import { seenLabels } from '../consensus.ts';
import type { AnnotationContext, CrowdAnnotator, CrowdModel } from '../module.ts';
import { classification, MIN_CROWD_ANSWERS } from './classification.ts';

const schema = labelSchemaSchema.parse({ geometry: 'classification', classes: ['a', 'b', 'c'].map((key) => ({ key, name: key })) });
const accurate = (p: number) => [0, 1, 2].map((k) => [0, 1, 2].map((l) => (k === l ? p : (1 - p) / 2)));
const CONVERGED = { iterations: 7, converged: true, stoppedBy: 'tolerance' } as const;

function model(method: CrowdModel['method'], annotators: Record<string, CrowdAnnotator>, tasks: Record<string, { seen: string; label: string }> = {}): CrowdModel {
  return {
    method,
    categories: ['a', 'b', 'c'],
    priors: [1 / 3, 1 / 3, 1 / 3],
    annotators: new Map(Object.entries(annotators)),
    tasks: new Map(Object.entries(tasks)),
    answers: 150,
    tasksWithLabels: 50,
    convergence: CONVERGED,
    fittedAt: new Date(0),
  };
}
const dawidSkene = (answers = 50) =>
  model('dawid-skene', {
    'expert-ish': { confusion: accurate(0.95), answers, reliability: 0.95 },
    mediocre: { confusion: accurate(0.7), answers, reliability: 0.7 },
    random: { confusion: accurate(1 / 3), answers, reliability: 1 / 3 },
  });
const labels = [
  { annotator: 'expert-ish', data: { label: 'a' } },
  { annotator: 'mediocre', data: { label: 'b' } },
  { annotator: 'random', data: { label: 'b' } },
];
const ctx = (extra: Partial<AnnotationContext> = {}): AnnotationContext => ({ schema, media: {}, frame: null, ...extra });

describe('classification consensus with a crowd model', () => {
  it("weighs annotators by their estimated confusion under 'auto' (Dawid-Skene): one reliable label outweighs two weak ones", () => {
    expect(classification.consensus(labels, ctx())).toEqual({ data: { label: 'b' }, method: 'majority-vote' });
    expect(classification.consensus(labels, ctx({ crowd: dawidSkene() }))).toEqual({ data: { label: 'a' }, method: 'dawid-skene' });
    expect(classification.consensus(labels, ctx({ crowd: dawidSkene(), consensusMethod: 'dawid-skene' }))).toEqual({ data: { label: 'a' }, method: 'dawid-skene' });
  });

  it("takes a plain majority vote when the campaign chose 'majority', whatever the model says", () => {
    expect(classification.consensus(labels, ctx({ crowd: dawidSkene(), consensusMethod: 'majority' }))).toEqual({ data: { label: 'b' }, method: 'majority-vote' });
  });

  it('uses a model only when it was fitted with the campaign’s method', () => {
    expect(classification.consensus(labels, ctx({ crowd: dawidSkene(), consensusMethod: 'mace' })).method).toBe('majority-vote');
  });

  it('falls back to majority vote when the model does not know an annotator well enough', () => {
    expect(classification.consensus(labels, ctx({ crowd: dawidSkene(MIN_CROWD_ANSWERS - 1) })).method).toBe('majority-vote');
    const stranger = [...labels.slice(0, 2), { annotator: 'new-hire', data: { label: 'b' } }];
    expect(classification.consensus(stranger, ctx({ crowd: dawidSkene() })).method).toBe('majority-vote');
  });

  it('gives the fitted consensus of a task the model saw with exactly these labels', () => {
    // The fitted label is deliberately one no vote would give: only the model's own result can produce it.
    const seen = seenLabels(labels.map((l) => ({ annotator: l.annotator, label: l.data.label })));
    const mace = model(
      'mace',
      {
        'expert-ish': { answers: 50, reliability: 0.95, skill: 0.95 },
        mediocre: { answers: 50, reliability: 0.7, skill: 0.7 },
        random: { answers: 50, reliability: 0.1, skill: 0.1 },
      },
      { t1: { seen, label: 'c' } },
    );
    expect(classification.consensus(labels, ctx({ crowd: mace, consensusMethod: 'mace', task: 't1' }))).toEqual({ data: { label: 'c' }, method: 'mace' });
    // Other labels on that task (a rework, a late label): the model's reliabilities weigh the vote instead.
    const changed = [labels[0]!, labels[1]!, { annotator: 'random', data: { label: 'a' } }];
    expect(classification.consensus(changed, ctx({ crowd: mace, consensusMethod: 'mace', task: 't1' }))).toEqual({ data: { label: 'a' }, method: 'mace-weighted-vote' });
  });

  it('weighs votes of a task the model did not see by log((K − 1) r / (1 − r)), clipped, so a below-chance vote counts against its class', () => {
    const mace = (r: Record<string, number>) =>
      model('mace', Object.fromEntries(Object.entries(r).map(([k, reliability]) => [k, { answers: 40, reliability, skill: reliability }])));
    // 0.95 → log 38 = 3.64 for a; 0.7 → log 4.67 = 1.54 and 1/3 → log 1 = 0 for b.
    expect(classification.consensus(labels, ctx({ crowd: mace({ 'expert-ish': 0.95, mediocre: 0.7, random: 1 / 3 }), consensusMethod: 'mace' }))).toEqual({
      data: { label: 'a' },
      method: 'mace-weighted-vote',
    });
    // Two below-chance annotators (0.2 → log 0.5 each) agreeing on a lose to one 0.6 annotator (log 3) on b.
    const belowChance = [
      { annotator: 'x', data: { label: 'b' } },
      { annotator: 'y', data: { label: 'a' } },
      { annotator: 'z', data: { label: 'a' } },
    ];
    expect(classification.consensus(belowChance, ctx({ crowd: mace({ x: 0.6, y: 0.2, z: 0.2 }), consensusMethod: 'mace' })).data).toEqual({ label: 'b' });
    // A reliability of 1 is clipped to 0.99 (weight log 198 = 5.29): two 0.99 annotators (5.29 each) outweigh it.
    expect(classification.consensus(belowChance, ctx({ crowd: mace({ x: 1, y: 0.99, z: 0.99 }), consensusMethod: 'mace' })).data).toEqual({ label: 'a' });
  });
});
