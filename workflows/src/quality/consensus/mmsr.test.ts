// M-MSR against an independent Python re-implementation on the public crowd sets, a hand-solvable case and bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CategoricalAnswer } from '../labels.ts';
import { accuracy, crowdSets as publicSets, runMethodReference, type CrowdSet as PublicSet } from '../../../../test/reference/crowd/sets.ts';
import { mmsr, type MmsrOptions } from './mmsr.ts';

/** A public crowd set (test/reference/crowd/sets.ts) with the options this method runs it with. */
type CrowdSet = PublicSet & { options?: MmsrOptions };
const crowdSets = (): CrowdSet[] => publicSets();

interface ReferenceResult {
  name: string;
  tasks: string[];
  labels: string[];
  posteriors: number[][];
  skills: number[];
  iterations: number;
  converged: boolean;
  objective: number;
  ties: number;
}

const runReference = (sets: CrowdSet[]) => runMethodReference<ReferenceResult>('mmsr_ref.py', sets);

const sets = crowdSets();
// Non-default options go through both implementations too (another seed, a trim, the category order reversed).
sets.push({ ...(sets.find((s) => s.name === 's_face') as CrowdSet), name: 's_face with options', options: { seed: 'review-2', trim: 1, categories: ['3', '2', '1', '0'] } });
let expected = new Map<string, ReferenceResult>();
beforeAll(() => {
  expected = runReference(sets);
}, 300_000);

describe('M-MSR on the 13 public crowd sets', () => {
  it.each(sets.map((s) => s.name))('%s: same labels, skills, posteriors and iterations as the Python reference', (name) => {
    const set = sets.find((s) => s.name === name) as CrowdSet;
    const ref = expected.get(name) as ReferenceResult;
    const result = mmsr(set.answers, set.options);
    expect(result.tasks.map((t) => t.task)).toEqual(ref.tasks);
    expect(result.tasks.filter((t, i) => t.label !== ref.labels[i]).map((t) => t.task)).toEqual([]);
    const refTasks = ref.tasks.map((task, i) => ({ task, label: ref.labels[i] as string }));
    expect(Math.abs(accuracy(result.tasks, set.truth) - accuracy(refTasks, set.truth))).toBeLessThan(1e-9);
    let worst = 0;
    result.annotators.forEach((a, w) => (worst = Math.max(worst, Math.abs((a.skill as number) - (ref.skills[w] as number)))));
    result.tasks.forEach((t, i) => t.posterior.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - (ref.posteriors[i]?.[k] as number))))));
    expect(worst).toBeLessThan(1e-9);
    expect(result.convergence).toMatchObject({ iterations: ref.iterations, converged: ref.converged });
  });

  it("is at least as accurate as Crowd-Kit's published M-MSR on D_PosSent, S_Rel and S_Adult", () => {
    // Ustalov et al., JOSS 2024, Table 1: 0.937, 0.425, 0.751 (D_Product did not finish there). Crowd-Kit's signs come
    // from a dense eigenproblem that counts never-co-annotating pairs as disagreeing; see mmsr.ts.
    const published: Record<string, number> = { d_possent: 0.937, s_rel: 0.425, s_adult: 0.751 };
    for (const [name, value] of Object.entries(published)) {
      const set = sets.find((s) => s.name === name) as CrowdSet;
      expect(accuracy(mmsr(set.answers).tasks, set.truth)).toBeGreaterThanOrEqual(value);
    }
  });

  it('is deterministic for a seed, and on D_PosSent reaches the same labels from any seed', () => {
    const set = sets.find((s) => s.name === 'd_possent') as CrowdSet;
    const first = mmsr(set.answers, { seed: 7 });
    expect(mmsr(set.answers, { seed: 7 })).toEqual(first);
    for (const seed of [0, 1, 'review-2']) expect(mmsr(set.answers, { seed }).tasks.map((t) => t.label)).toEqual(first.tasks.map((t) => t.label));
    const one = (seed: number) => mmsr(set.answers, { seed, maxIterations: 1 }).annotators.map((a) => a.skill);
    expect(one(1)).not.toEqual(one(2));
  });
});

/**
 * 100 yes/no tasks on which a and b agree 82 times and each agrees with c 70 times, so the covariances
 * C = 2·agreement − 1 are exactly 0.64, 0.4, 0.4 = s·sᵀ for skills s = (0.8, 0.8, 0.5).
 */
function rankOne(): CategoricalAnswer[] {
  const answers: CategoricalAnswer[] = [];
  const patterns: Array<[number, string, string, string]> = [
    [61, 'yes', 'yes', 'yes'],
    [9, 'no', 'yes', 'yes'],
    [9, 'yes', 'no', 'yes'],
    [21, 'yes', 'yes', 'no'],
  ];
  let t = 0;
  for (const [count, a, b, c] of patterns) {
    for (let i = 0; i < count; i++, t++) {
      answers.push({ task: `t${t}`, annotator: 'a', label: a }, { task: `t${t}`, annotator: 'b', label: b }, { task: `t${t}`, annotator: 'c', label: c });
    }
  }
  return answers;
}

describe('M-MSR on small cases', () => {
  it('recovers skills that fit the covariances exactly, and votes with weights log((M−1)p/(1−p))', () => {
    const result = mmsr(rankOne());
    const [a, b, c] = result.annotators;
    expect(a?.skill).toBeCloseTo(0.8, 9);
    expect(b?.skill).toBeCloseTo(0.8, 9);
    expect(c?.skill).toBeCloseTo(0.5, 9);
    // P(correct) = s/2 + 1/2; weights log 9, log 9, log 3.
    expect(result.annotators.map((x) => x.reliability)).toEqual([expect.closeTo(0.9, 9), expect.closeTo(0.9, 9), expect.closeTo(0.75, 9)]);
    expect(result.categories).toEqual(['no', 'yes']);
    // a alone says no: log 9 against log 9 + log 3, so P(yes) = 3/(1 + 3) = 0.75. c alone says no: P(yes) = 81/84.
    expect(result.tasks.find((t) => t.task === 't61')).toMatchObject({ label: 'yes', posterior: [expect.closeTo(0.25, 9), expect.closeTo(0.75, 9)] });
    expect(result.tasks.find((t) => t.task === 't79')).toMatchObject({ label: 'yes', posterior: [expect.closeTo(3 / 84, 9), expect.closeTo(81 / 84, 9)] });
    expect(result.convergence).toMatchObject({ converged: true, stoppedBy: 'tolerance' });
  });

  it('reads a reliably wrong annotator inverted: negative skill, and their lone answer counts against its label', () => {
    const answers: CategoricalAnswer[] = [];
    for (let t = 0; t < 30; t++) {
      const truth = t % 3 === 0 ? 'no' : 'yes';
      for (const annotator of ['a', 'b', 'c']) answers.push({ task: `t${t}`, annotator, label: truth });
      answers.push({ task: `t${t}`, annotator: 'contrarian', label: truth === 'yes' ? 'no' : 'yes' });
    }
    answers.push({ task: 'alone', annotator: 'contrarian', label: 'no' }, { task: 'lonely', annotator: 'newcomer', label: 'no' });
    const result = mmsr(answers);
    const byName = new Map(result.annotators.map((x) => [x.annotator, x]));
    // T = 32 tasks: skills are clipped to [−1/(M−1) + 1/√T, 1 − 1/√T].
    expect(byName.get('contrarian')?.skill).toBeCloseTo(-1 + 1 / Math.sqrt(32), 12);
    expect(byName.get('a')?.skill).toBeCloseTo(1 - 1 / Math.sqrt(32), 12);
    expect(result.tasks.find((t) => t.task === 'alone')?.label).toBe('yes');
    // An annotator who shares no task with anyone has no covariance: skill 1/√T, their answer stands.
    expect(byName.get('newcomer')?.skill).toBeCloseTo(1 / Math.sqrt(32), 12);
    expect(result.tasks.find((t) => t.task === 'lonely')?.label).toBe('no');
  });

  it('uses the trim option: dropping the extreme ratios changes nothing when they fit exactly, and is validated', () => {
    const trimmed = mmsr(rankOne(), { trim: 0 });
    expect(trimmed.annotators.map((a) => a.skill)).toEqual(mmsr(rankOne()).annotators.map((a) => a.skill));
    expect(() => mmsr(rankOne(), { trim: -1 })).toThrow(/trim must be an integer >= 0, got -1/);
  });

  it('reports an iteration cap it hit instead of claiming convergence', () => {
    expect(mmsr(rankOne(), { maxIterations: 1 }).convergence).toMatchObject({ iterations: 1, converged: false, stoppedBy: 'max-iterations' });
  });

  it('rejects bad input with specific errors', () => {
    const two: CategoricalAnswer[] = [
      { task: 't', annotator: 'a', label: 'x' },
      { task: 't', annotator: 'b', label: 'y' },
    ];
    expect(() => mmsr([])).toThrow(expect.objectContaining({ code: 'EMPTY_INPUT' }));
    expect(() =>
      mmsr([
        { task: 't', annotator: 'a', label: 'x' },
        { task: 'u', annotator: 'a', label: 'y' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'RATER_COUNT', message: expect.stringContaining("got 1 ('a')") }));
    expect(() =>
      mmsr([
        { task: 't', annotator: 'a', label: 'x' },
        { task: 't', annotator: 'b', label: 'x' },
      ]),
    ).toThrow(/at least 2 categories, got only 'x'; declare `categories`/);
    expect(
      mmsr(
        [
          { task: 't', annotator: 'a', label: 'x' },
          { task: 't', annotator: 'b', label: 'x' },
        ],
        { categories: ['x', 'y'] },
      ).tasks[0]?.label,
    ).toBe('x');
    expect(() => mmsr(two, { maxIterations: 1.5 })).toThrow(/maxIterations must be an integer >= 1, got 1.5/);
    expect(() => mmsr(two, { tolerance: -1 })).toThrow(/tolerance must be a finite number >= 0, got -1/);
    expect(() => mmsr(two, { seed: Number.NaN })).toThrow(/seed must be a finite number or a string/);
    expect(() => mmsr(two, { categories: ['x'] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_CATEGORY' }));
  });
});
