import { describe, expect, it } from 'vitest';
import type { CategoricalAnswer } from '../labels.ts';
import { shuffled } from '../random.ts';
import { forAllSeeds } from '../testing.ts';
import { dawidSkene } from './dawid-skene.ts';
import { majorityVote } from './majority.ts';

const tied: CategoricalAnswer[] = [
  { task: 't1', annotator: 'a', label: 'cat' },
  { task: 't1', annotator: 'b', label: 'bird' },
  { task: 't2', annotator: 'a', label: 'cat' },
  { task: 't2', annotator: 'b', label: 'cat' },
  { task: 't2', annotator: 'c', label: 'bird' },
];

describe('majority vote', () => {
  it('applies the declared tie policies', () => {
    expect(majorityVote(tied).tasks.map((t) => t.label)).toEqual(['bird', 'cat']);
    const unresolved = majorityVote(tied, { tiePolicy: 'unresolved' }).tasks;
    expect(unresolved[0]).toMatchObject({ task: 't1', label: null, tied: true });
    expect(unresolved[1]).toMatchObject({ label: 'cat', tied: false, answers: 3 });
    expect(() => majorityVote(tied, { tiePolicy: 'random' })).toThrow(/needs a seed/);
  });

  it('breaks ties at random reproducibly and independently of answer order', () => {
    const many: CategoricalAnswer[] = [];
    for (let t = 0; t < 200; t++) many.push({ task: `t${t}`, annotator: 'a', label: 'x' }, { task: `t${t}`, annotator: 'b', label: 'y' });
    const first = majorityVote(many, { tiePolicy: 'random', seed: 42 }).tasks.map((t) => t.label);
    const again = majorityVote(shuffled(many, { next: () => 0.5, int: (n) => n - 1, nextUint32: () => 0 }), { tiePolicy: 'random', seed: 42 });
    expect(new Map(again.tasks.map((t) => [t.task, t.label]))).toEqual(new Map(first.map((l, i) => [`t${i}`, l])));
    const xs = first.filter((l) => l === 'x').length;
    expect(xs).toBeGreaterThan(70);
    expect(xs).toBeLessThan(130);
  });

  it('orders numeric labels numerically for the lowest-category tie rule', () => {
    const r = majorityVote([
      { task: 't', annotator: 'a', label: '10' },
      { task: 't', annotator: 'b', label: '9' },
    ]);
    expect(r.categories).toEqual(['9', '10']);
    expect(r.tasks[0]?.label).toBe('9');
  });

  it('rejects unknown declared categories naming the annotator', () => {
    expect(() => majorityVote([{ task: 't', annotator: 'w3', label: 'x' }], { categories: ['a', 'b'] })).toThrow("annotator 'w3' gave label for unknown category 'x' on task 't'");
  });
});

describe('Dawid-Skene', () => {
  it('agrees with unanimous answers and is deterministic', () => {
    forAllSeeds(10, (rng) => {
      const answers: CategoricalAnswer[] = [];
      for (let t = 0; t < 30; t++) {
        const label = rng.int(3);
        for (let w = 0; w < 3; w++) answers.push({ task: `t${t}`, annotator: `w${w}`, label });
      }
      const a = dawidSkene(answers);
      expect(a.tasks.map((t) => Number(t.label))).toEqual(answers.filter((_, i) => i % 3 === 0).map((x) => x.label));
      expect(dawidSkene(answers)).toEqual(a);
      for (const t of a.tasks) expect(t.posterior.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    });
  });

  it('recovers the truth from simulated annotators better than majority vote and ranks a spammer last', () => {
    forAllSeeds(3, (rng) => {
      const accuracies = [0.9, 0.85, 0.8, 0.55, 0.4];
      const truth: number[] = [];
      const answers: CategoricalAnswer[] = [];
      for (let t = 0; t < 600; t++) {
        const y = rng.int(3);
        truth.push(y);
        accuracies.forEach((acc, w) => {
          const label = w === 4 ? 0 : rng.next() < acc ? y : (y + 1 + rng.int(2)) % 3;
          answers.push({ task: `t${t}`, annotator: `w${w}`, label });
        });
      }
      const ds = dawidSkene(answers);
      const mv = majorityVote(answers);
      const acc = (labels: Array<string | null>) => labels.filter((l, i) => l === String(truth[i])).length / truth.length;
      expect(acc(ds.tasks.map((t) => t.label))).toBeGreaterThanOrEqual(acc(mv.tasks.map((t) => t.label)));
      const byReliability = ds.annotators.slice().sort((a, b) => a.reliability - b.reliability);
      expect(byReliability[0]?.annotator).toBe('w4');
      expect(ds.annotators[0]?.reliability).toBeCloseTo(0.9, 1);
    });
  });
});
