// KOS against an independent Python re-implementation on the binary public crowd sets, small cases and bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CategoricalAnswer } from '../labels.ts';
import { accuracy, crowdSets as publicSets, runMethodReference, type CrowdSet as PublicSet } from '../../../../test/reference/crowd/sets.ts';
import { kos, type KosOptions } from './kos.ts';

/** A public crowd set (test/reference/crowd/sets.ts) with the options this method runs it with. */
type CrowdSet = PublicSet & { options?: KosOptions };
const crowdSets = (): CrowdSet[] => publicSets();

interface ReferenceResult {
  name: string;
  tasks: string[];
  labels: string[];
  iterations: number;
  converged: boolean;
  objective: number;
  ties: number;
}

const runReference = (sets: CrowdSet[]) => runMethodReference<ReferenceResult>('kos_ref.py', sets);

// KOS is binary: 7 of the 13 sets have two categories (the others are checked to be refused).
const all = crowdSets();
const binary = all.filter((s) => new Set(s.answers.map((a) => a.label)).size === 2);
// Non-default options go through both implementations too (another seed, an iteration cap, the categories swapped).
const cases = [
  ...binary,
  { ...(binary.find((s) => s.name === 'd_possent') as CrowdSet), name: 'd_possent with options', options: { seed: 'review-2', maxIterations: 20, categories: ['1', '0'] } },
];
let expected = new Map<string, ReferenceResult>();
beforeAll(() => {
  expected = runReference(cases);
}, 300_000);

// Crowd-Kit's published KOS accuracy (Ustalov et al., JOSS 2024, Table 1), 3 decimals.
const published: Record<string, number> = { d_product: 0.895, d_possent: 0.933 };

describe('KOS on the binary public crowd sets', () => {
  it('covers 7 binary sets and refuses the 6 multi-class ones', () => {
    expect(binary.map((s) => s.name)).toEqual([
      'd_product',
      'd_possent',
      'duck_identification',
      'sentiment_popularity_amt',
      'sentiment_polarity_sp',
      'd_possent_quali',
      'bluebirds',
    ]);
    for (const set of all.filter((s) => !binary.includes(s))) expect(() => kos(set.answers)).toThrow(/KOS is for binary labels only/);
  });

  it.each(cases.map((s) => s.name))('%s: same labels and iterations as the Python reference', (name) => {
    const set = cases.find((s) => s.name === name) as CrowdSet;
    const ref = expected.get(name) as ReferenceResult;
    const result = kos(set.answers, set.options);
    expect(result.tasks.map((t) => t.task)).toEqual(ref.tasks);
    expect(result.tasks.filter((t, i) => t.label !== ref.labels[i]).map((t) => t.task)).toEqual([]);
    const refTasks = ref.tasks.map((task, i) => ({ task, label: ref.labels[i] as string }));
    expect(Math.abs(accuracy(result.tasks, set.truth) - accuracy(refTasks, set.truth))).toBeLessThan(1e-9);
    expect(result.tasks.filter((t) => t.posterior[0] === 0.5).length).toBe(ref.ties);
    expect(result.convergence).toMatchObject({ iterations: ref.iterations, converged: ref.converged });
    expect(result.convergence.objective).toBeCloseTo(ref.objective, 12);
    if (published[name] !== undefined) expect(Number(accuracy(result.tasks, set.truth).toFixed(3))).toBe(published[name]);
  });

  it('is deterministic for a seed, and on D_PosSent the messages settle to the same labels from any seed', () => {
    const set = binary.find((s) => s.name === 'd_possent') as CrowdSet;
    const first = kos(set.answers, { seed: 7 });
    expect(kos(set.answers, { seed: 7 })).toEqual(first);
    const labels = first.tasks.map((t) => t.label);
    for (const seed of [0, 1, 'review-2']) expect(kos(set.answers, { seed }).tasks.map((t) => t.label)).toEqual(labels);
    // A single iteration from two seeds differs somewhere: the seed does reach the messages.
    const one = (seed: number) => kos(set.answers, { seed, maxIterations: 1 }).annotators.map((a) => a.skill);
    expect(one(1)).not.toEqual(one(2));
  });
});

/** Three honest annotators and one who always gives the other answer, on 30 yes/no tasks. */
function withContrarian(): CategoricalAnswer[] {
  const answers: CategoricalAnswer[] = [];
  for (let t = 0; t < 30; t++) {
    const truth = t % 3 === 0 ? 'no' : 'yes';
    for (const annotator of ['a', 'b', 'c']) answers.push({ task: `t${t}`, annotator, label: truth });
    answers.push({ task: `t${t}`, annotator: 'contrarian', label: truth === 'yes' ? 'no' : 'yes' });
  }
  return answers;
}

describe('KOS on small cases', () => {
  it('reads a reliably wrong annotator inverted: negative skill, and their lone answer counts for the other label', () => {
    const result = kos([...withContrarian(), { task: 'alone', annotator: 'contrarian', label: 'no' }]);
    const skill = new Map(result.annotators.map((a) => [a.annotator, a.skill as number]));
    expect(skill.get('contrarian')).toBeLessThan(0);
    expect(Math.min(skill.get('a') as number, skill.get('b') as number, skill.get('c') as number)).toBeGreaterThan(0);
    expect(Math.max(...result.annotators.map((a) => Math.abs(a.skill as number)))).toBe(1);
    expect(result.annotators.find((a) => a.annotator === 'contrarian')?.reliability).toBe(0);
    expect(result.tasks.find((t) => t.task === 'alone')).toMatchObject({ label: 'yes', posterior: [0, 1] });
    expect(result.tasks.filter((t) => t.task !== 'alone').every((t) => t.label === (Number(t.task.slice(1)) % 3 === 0 ? 'no' : 'yes'))).toBe(true);
  });

  it('gives a tie (first category, posterior 0.5/0.5) when the messages cancel exactly', () => {
    // One annotator answering both ways is the only evidence on the task: their two A·y terms cancel to within 1e-9.
    const result = kos([...withContrarian(), { task: 'both', annotator: 'a', label: 'yes' }, { task: 'both', annotator: 'a', label: 'no' }]);
    expect(result.tasks.find((t) => t.task === 'both')).toMatchObject({ label: 'no', posterior: [0.5, 0.5] });
  });

  it('reports an iteration cap it hit instead of claiming convergence', () => {
    expect(kos(withContrarian(), { maxIterations: 1 }).convergence).toMatchObject({ iterations: 1, converged: false, stoppedBy: 'max-iterations' });
    expect(kos(withContrarian()).convergence).toMatchObject({ converged: true, stoppedBy: 'tolerance' });
  });

  it('rejects bad input with specific errors', () => {
    const two: CategoricalAnswer[] = [
      { task: 't', annotator: 'a', label: 'x' },
      { task: 't', annotator: 'b', label: 'y' },
    ];
    expect(() => kos([])).toThrow(expect.objectContaining({ code: 'EMPTY_INPUT' }));
    expect(() => kos([...two, { task: 'u', annotator: 'c', label: 'z' }])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'KOS is for binary labels only: got 3 categories (x, y, z); use Dawid-Skene, GLAD, MACE or M-MSR' }),
    );
    expect(() => kos(two, { categories: ['x', 'y', 'z'] })).toThrow(/got 3 categories/);
    expect(() =>
      kos([
        { task: 't', annotator: 'a', label: 'x' },
        { task: 'u', annotator: 'a', label: 'y' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'RATER_COUNT', message: expect.stringContaining("got 1 ('a')") }));
    expect(() =>
      kos([
        { task: 't', annotator: 'a', label: 'x' },
        { task: 't', annotator: 'b', label: 'x' },
      ]),
    ).toThrow(/exactly 2 categories, got only 'x'; declare `categories`/);
    expect(
      kos(
        [
          { task: 't', annotator: 'a', label: 'x' },
          { task: 't', annotator: 'b', label: 'x' },
        ],
        { categories: ['x', 'y'] },
      ).tasks[0]?.label,
    ).toBe('x');
    expect(() => kos(two, { maxIterations: 0 })).toThrow(/maxIterations must be an integer >= 1, got 0/);
    expect(() => kos(two, { tolerance: Number.NaN })).toThrow(/tolerance must be a finite number >= 0, got NaN/);
    expect(() => kos(two, { seed: Number.POSITIVE_INFINITY })).toThrow(/seed must be a finite number or a string/);
  });
});
