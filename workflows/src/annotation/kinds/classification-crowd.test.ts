import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../../domain/label-schema.ts';
import type { CrowdModel } from '../module.ts';
import { classification, MIN_CROWD_ANSWERS } from './classification.ts';

const schema = labelSchemaSchema.parse({ geometry: 'classification', classes: ['a', 'b', 'c'].map((key) => ({ key, name: key })) });
const accurate = (p: number) => [0, 1, 2].map((k) => [0, 1, 2].map((l) => (k === l ? p : (1 - p) / 2)));
const model = (answers = 50): CrowdModel => ({
  method: 'dawid-skene',
  categories: ['a', 'b', 'c'],
  priors: [1 / 3, 1 / 3, 1 / 3],
  annotators: new Map([
    ['expert-ish', { confusion: accurate(0.95), answers }],
    ['mediocre', { confusion: accurate(0.7), answers }],
    ['random', { confusion: accurate(1 / 3), answers }],
  ]),
  answers: 3 * answers,
});
const labels = [
  { annotator: 'expert-ish', data: { label: 'a' } },
  { annotator: 'mediocre', data: { label: 'b' } },
  { annotator: 'random', data: { label: 'b' } },
];

describe('classification consensus with a crowd model', () => {
  it('weighs annotators by their estimated confusion: one reliable label outweighs two weak ones', () => {
    expect(classification.consensus(labels, { schema, media: {}, frame: null })).toEqual({ data: { label: 'b' }, method: 'majority-vote' });
    expect(classification.consensus(labels, { schema, media: {}, frame: null, crowd: model() })).toEqual({ data: { label: 'a' }, method: 'dawid-skene' });
  });

  it('falls back to majority vote when the model does not know an annotator well enough', () => {
    expect(classification.consensus(labels, { schema, media: {}, frame: null, crowd: model(MIN_CROWD_ANSWERS - 1) }).method).toBe('majority-vote');
    const stranger = [...labels.slice(0, 2), { annotator: 'new-hire', data: { label: 'b' } }];
    expect(classification.consensus(stranger, { schema, media: {}, frame: null, crowd: model() }).method).toBe('majority-vote');
  });
});
