// Every categorical method against the independent Python re-implementation (test/reference/crowd/crowd_ref.py) on
// the 13 public crowd sets, with default and non-default options; the registry; bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import { crowdSets, runReference, type CrowdSet, type ReferenceJob, type ReferenceResult } from '../../../../test/reference/crowd/sets.ts';
import { QualityInputError } from '../errors.ts';
import type { CategoricalAnswer } from '../labels.ts';
import { CROWD_KIT_DAWID_SKENE, DAWID_SKENE_DEFAULTS, dawidSkene, dawidSkeneEncoded } from './dawid-skene.ts';
import { digamma, mace } from './mace.ts';
import type { CrowdConsensusResult, CrowdMethodName } from './method.ts';
import { CONSENSUS_METHOD_NAMES, CONSENSUS_METHODS, majorityConsensus, runConsensusMethod } from './methods.ts';
import { oneCoinDawidSkene } from './one-coin.ts';
import { wawa } from './wawa.ts';
import { zeroBasedSkill } from './zbs.ts';

type Mine = ReferenceJob['method'];
const MINE: readonly Mine[] = ['majority', 'wawa', 'zbs', 'one-coin', 'dawid-skene', 'mace'];

const sets = crowdSets();
const byName = new Map(sets.map((s) => [s.name, s]));

/** Jobs with non-default options, each run by both implementations on a few sets. */
const variants: Array<{ id: string; method: Mine; options: Record<string, unknown>; sets: string[] }> = [
  { id: 'ds-crowd-kit', method: 'dawid-skene', options: { ...CROWD_KIT_DAWID_SKENE }, sets: sets.map((s) => s.name) },
  { id: 'ds-loglik', method: 'dawid-skene', options: { stop: 'log-likelihood', tolerance: 1e-7, smoothing: 1e-6 }, sets: ['s_rel', 'weather_sentiment_cf', 'd_possent'] },
  {
    id: 'ds-posterior',
    method: 'dawid-skene',
    options: { stop: 'posterior', tolerance: 1e-4, smoothing: 0.5, init: 'majority' },
    sets: ['s_face', 'weather_sentiment_amt', 'bluebirds'],
  },
  { id: 'ds-wawa-capped', method: 'dawid-skene', options: { init: 'wawa', smoothing: 0.01, maxIterations: 3, tolerance: 0 }, sets: ['s_adult', 'n_emotion'] },
  { id: 'one-coin-posterior', method: 'one-coin', options: { stop: 'posterior', tolerance: 1e-6, init: 'wawa' }, sets: ['d_product', 'weather_sentiment_cf'] },
  { id: 'zbs-crowd-kit', method: 'zbs', options: { tolerance: 0 }, sets: sets.map((s) => s.name) },
  {
    id: 'zbs-custom',
    method: 'zbs',
    options: { learningRate: 0.3, lrStepsToReduce: 5, lrReduceFactor: 0.9, initialSkill: 0.6, maxIterations: 40 },
    sets: ['s_rel', 'sentiment_polarity_sp'],
  },
  { id: 'mace-em', method: 'mace', options: { inference: 'em', restarts: 3, seed: 'abc', tolerance: 1e-7, maxIterations: 80 }, sets: ['weather_sentiment_cf', 's_face'] },
  {
    id: 'mace-vb-priors',
    method: 'mace',
    options: { alpha: 2, beta: 1, strategyPrior: 1, defaultNoise: 2, restarts: 2, seed: 7, tolerance: 0 },
    sets: ['sentiment_popularity_amt'],
  },
];

let reference = new Map<string, ReferenceResult>();
beforeAll(() => {
  reference = runReference(
    sets.map((set) => ({
      set,
      jobs: [
        // Each method with our defaults (the reference's own defaults are Crowd-Kit's, which differ for Dawid-Skene's smoothing).
        ...MINE.map((method): ReferenceJob => ({ id: method, method, ...(method === 'dawid-skene' ? { options: { ...DAWID_SKENE_DEFAULTS } } : {}) })),
        ...variants.filter((v) => v.sets.includes(set.name)).map((v): ReferenceJob => ({ id: v.id, method: v.method, options: v.options })),
      ],
    })),
  );
}, 300_000);

function run(method: Mine, set: CrowdSet, options: Record<string, unknown> = {}): CrowdConsensusResult {
  return runConsensusMethod(method, set.answers, options);
}

function expectSameAsReference(ours: CrowdConsensusResult, ref: ReferenceResult): void {
  expect(ours.categories).toEqual(ref.categories);
  expect(ours.tasks.map((t) => t.task)).toEqual(ref.tasks);
  // Task for task: the list of tasks whose label differs must be empty (ties go to the lowest category in both).
  expect(ours.tasks.filter((t, i) => t.label !== ref.labels[i]).map((t) => t.task)).toEqual([]);
  let worstPosterior = 0;
  ours.tasks.forEach((t, i) => t.posterior.forEach((p, k) => (worstPosterior = Math.max(worstPosterior, Math.abs(p - (ref.posteriors?.[i]?.[k] ?? Number.NaN))))));
  expect(worstPosterior).toBeLessThan(1e-9);
  expect(ours.annotators.map((a) => a.annotator)).toEqual(ref.annotators);
  let worstReliability = 0;
  ours.annotators.forEach((a, w) => (worstReliability = Math.max(worstReliability, Math.abs(a.reliability - (ref.reliability[w] as number)))));
  expect(worstReliability).toBeLessThan(1e-9);
  expect(ours.convergence.iterations).toBe(ref.iterations);
  expect(ours.convergence.converged).toBe(ref.converged);
  if (ref.objective !== null && Number.isFinite(ref.objective))
    expect(Math.abs((ours.convergence.objective as number) - ref.objective)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref.objective)));
}

describe('each method matches the Python re-implementation on the 13 public crowd sets', () => {
  const cases = MINE.flatMap((method) => sets.map((s) => [method, s.name] as const));
  it.each(cases)('%s on %s: same labels task for task, posteriors, reliabilities and convergence', (method, name) => {
    const set = byName.get(name) as CrowdSet;
    expectSameAsReference(run(method, set), reference.get(`${name}/${method}`) as ReferenceResult);
  });

  const variantCases = variants.flatMap((v) => v.sets.map((name) => [v.id, name] as const));
  it.each(variantCases)('%s on %s: non-default options give the same result in both implementations', (id, name) => {
    const v = variants.find((x) => x.id === id) as (typeof variants)[number];
    expectSameAsReference(run(v.method, byName.get(name) as CrowdSet, v.options), reference.get(`${name}/${id}`) as ReferenceResult);
  });

  it('keeps the declared category order (labels and posteriors in that order) like the reference', () => {
    const set = byName.get('weather_sentiment_cf') as CrowdSet;
    const categories = ['4', '2', '0', '1', '3'];
    const ref = runReference([
      {
        set,
        categories,
        jobs: [
          { id: 'ds', method: 'dawid-skene', options: { ...DAWID_SKENE_DEFAULTS } },
          { id: 'wawa', method: 'wawa' },
          { id: 'mace', method: 'mace', options: { restarts: 2 } },
        ],
      },
    ]);
    expectSameAsReference(dawidSkene(set.answers, { categories }), ref.get(`${set.name}/ds`) as ReferenceResult);
    expectSameAsReference(wawa(set.answers, { categories }), ref.get(`${set.name}/wawa`) as ReferenceResult);
    expectSameAsReference(mace(set.answers, { categories, restarts: 2 }), ref.get(`${set.name}/mace`) as ReferenceResult);
  });
});

describe('Dawid-Skene defaults', () => {
  it("are Crowd-Kit 1.4.1's settings with smoothing 1e-6, and converge on every public set, S_Rel included", () => {
    expect(DAWID_SKENE_DEFAULTS).toEqual({ ...CROWD_KIT_DAWID_SKENE, smoothing: 1e-6 });
    for (const set of sets) {
      const r = dawidSkene(set.answers);
      expect(r.convergence.converged, set.name).toBe(true);
      expect(r.iterations).toBe(r.convergence.iterations);
    }
    expect(dawidSkene((byName.get('s_rel') as CrowdSet).answers).convergence).toMatchObject({ converged: true, iterations: 21, stoppedBy: 'tolerance' });
  });

  it('reports hitting the iteration cap instead of hiding it', () => {
    const r = dawidSkene((byName.get('s_rel') as CrowdSet).answers, { maxIterations: 5 });
    expect(r.convergence).toMatchObject({ converged: false, iterations: 5, stoppedBy: 'max-iterations' });
    expect(r.converged).toBe(false);
  });

  it('the encoded fast path gives the record API result', () => {
    const set = byName.get('s_face') as CrowdSet;
    const r = dawidSkene(set.answers);
    const tasks = new Map<string, number>();
    const workers = new Map<string, number>();
    const cats = r.categories;
    const taskOf = Int32Array.from(set.answers, (a) => tasks.get(a.task) ?? (tasks.set(a.task, tasks.size), tasks.size - 1));
    const workerOf = Int32Array.from(set.answers, (a) => workers.get(a.annotator) ?? (workers.set(a.annotator, workers.size), workers.size - 1));
    const labelOf = Int32Array.from(set.answers, (a) => cats.indexOf(a.label));
    const e = dawidSkeneEncoded({ nTasks: tasks.size, nWorkers: workers.size, nClasses: cats.length, taskOf, workerOf, labelOf });
    expect(Array.from(e.labels, (k) => cats[k])).toEqual(r.tasks.map((t) => t.label));
    expect(e.iterations).toBe(r.iterations);
    expect(Array.from(e.priors)).toEqual(r.priors);
  });
});

describe('Zero-Based Skill', () => {
  it('stops at the fixed point with the same labels as running all 100 iterations (Crowd-Kit) on every set', () => {
    for (const set of sets) {
      const early = zeroBasedSkill(set.answers);
      const full = reference.get(`${set.name}/zbs-crowd-kit`) as ReferenceResult;
      expect(full.iterations).toBe(100);
      expect(early.convergence.converged, set.name).toBe(true);
      expect(early.convergence.iterations).toBeLessThan(20);
      expect(early.tasks.map((t) => t.label)).toEqual(full.labels);
    }
  });
});

describe('MACE', () => {
  const cf = () => byName.get('weather_sentiment_cf') as CrowdSet;

  it('is deterministic for a seed, and its restarts start from different values', () => {
    const a = mace(cf().answers, { seed: 'campaign-7', restarts: 3 });
    expect(mace(cf().answers, { seed: 'campaign-7', restarts: 3 })).toEqual(a);
    const single = [0, 1, 2].map((i) => mace(cf().answers, { seed: 'campaign-7', restarts: i + 1 }).convergence.objective as number);
    // Restarts continue one seeded stream, so more restarts can only keep or raise the winning likelihood.
    expect(single[1]).toBeGreaterThanOrEqual(single[0] as number);
    expect(single[2]).toBeGreaterThanOrEqual(single[1] as number);
    const other = mace(cf().answers, { seed: 'campaign-8', restarts: 1 });
    expect(other.annotators.map((x) => x.reliability)).not.toEqual(mace(cf().answers, { seed: 'campaign-7', restarts: 1 }).annotators.map((x) => x.reliability));
  });

  it('gives competences in [0, 1] that rank a simulated spammer last', () => {
    const answers: CategoricalAnswer[] = [];
    let state = 1;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let t = 0; t < 300; t++) {
      const y = t % 3;
      ['good1', 'good2', 'good3', 'spammer'].forEach((w, i) => answers.push({ task: `t${t}`, annotator: w, label: i === 3 ? 0 : next() < 0.85 ? y : (y + 1) % 3 }));
    }
    const r = mace(answers);
    for (const a of r.annotators) expect(a.reliability >= 0 && a.reliability <= 1).toBe(true);
    const sorted = r.annotators.slice().sort((x, y) => x.reliability - y.reliability);
    expect(sorted[0]?.annotator).toBe('spammer');
    expect(sorted[0]?.reliability).toBeLessThan(0.2);
  });

  it('computes digamma to 1e-12 (ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ(10))', () => {
    const gamma = 0.5772156649015329;
    expect(Math.abs(digamma(1) + gamma)).toBeLessThan(1e-12);
    expect(Math.abs(digamma(0.5) + gamma + 2 * Math.LN2)).toBeLessThan(1e-12);
    expect(Math.abs(digamma(10) - 2.251752589066721)).toBeLessThan(1e-12);
    expect(Math.abs(digamma(1e-3) + 1000.5755719318103)).toBeLessThan(1e-9);
  });
});

describe('the method registry', () => {
  // Truth alternates x/y over 8 tasks; a, b and c each err once (on different tasks), d always says x, e is always right.
  const truth = ['x', 'y', 'x', 'y', 'x', 'y', 'x', 'y'];
  const slip: Record<string, number> = { a: 1, b: 4, c: 6 };
  const clear: CategoricalAnswer[] = truth.flatMap((y, t) =>
    ['a', 'b', 'c', 'd', 'e'].map((w) => ({ task: `t${t}`, annotator: w, label: w === 'd' ? 'x' : slip[w] === t ? (y === 'x' ? 'y' : 'x') : y })),
  );
  const tiny: CategoricalAnswer[] = [
    { task: 't1', annotator: 'a', label: 'x' },
    { task: 't1', annotator: 'b', label: 'x' },
    { task: 't1', annotator: 'c', label: 'y' },
    { task: 't2', annotator: 'a', label: 'y' },
    { task: 't2', annotator: 'b', label: 'y' },
    { task: 't2', annotator: 'c', label: 'y' },
    { task: 't3', annotator: 'a', label: 'x' },
    { task: 't3', annotator: 'b', label: 'y' },
    { task: 't3', annotator: 'c', label: 'x' },
  ];

  it('lists all nine methods with their options, and runs each by name to the common result', () => {
    const expected: CrowdMethodName[] = ['majority', 'wawa', 'zbs', 'one-coin', 'dawid-skene', 'glad', 'mace', 'kos', 'mmsr'];
    expect([...CONSENSUS_METHOD_NAMES].sort()).toEqual([...expected].sort());
    for (const name of expected) {
      const r = runConsensusMethod(name, clear);
      expect(r.method).toBe(name);
      expect(r.categories).toEqual(['x', 'y']);
      expect(
        r.tasks.map((t) => t.label),
        name,
      ).toEqual(truth);
      for (const t of r.tasks) expect(t.posterior.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
      expect(r.annotators.map((a) => [a.annotator, a.answers])).toEqual(['a', 'b', 'c', 'd', 'e'].map((w) => [w, 8]));
      for (const a of r.annotators) expect(a.reliability >= 0 && a.reliability <= 1, `${name} ${a.annotator}`).toBe(true);
      // The annotator who always says x is the least reliable under every method.
      expect(r.annotators.slice().sort((p, q) => p.reliability - q.reliability)[0]?.annotator, name).toBe('d');
      expect(r.convergence.iterations).toBeGreaterThanOrEqual(1);
    }
    for (const m of CONSENSUS_METHODS) for (const o of m.options) expect(o.description.length, `${m.name}.${o.name}`).toBeGreaterThan(10);
  });

  it('accepts every documented option name of every method', () => {
    const sample: Record<string, unknown> = { integer: 2, number: 0.5, seed: 3 };
    for (const m of CONSENSUS_METHODS) {
      for (const o of m.options) {
        const value = o.type === 'choice' ? o.choices?.[0] : o.type === 'numbers' ? [1, 1] : sample[o.type];
        const options = { [o.name]: value, ...(o.name === 'tiePolicy' ? { seed: 1 } : {}) };
        expect(() => runConsensusMethod(m.name, clear, options as never), `${m.name}.${o.name}`).not.toThrow();
      }
    }
  });

  it('majority adapter: vote shares, agreement as reliability, seeded random ties', () => {
    const r = majorityConsensus(tiny);
    expect(r.tasks[0]?.posterior).toEqual([2 / 3, 1 / 3]);
    expect(r.annotators.map((a) => a.reliability)).toEqual([1, 2 / 3, 2 / 3]);
    const tie: CategoricalAnswer[] = [
      { task: 't', annotator: 'a', label: 'x' },
      { task: 't', annotator: 'b', label: 'y' },
    ];
    expect(majorityConsensus(tie).tasks[0]?.label).toBe('x');
    expect(() => majorityConsensus(tie, { tiePolicy: 'random' })).toThrow("tie policy 'random' needs a seed");
    expect(majorityConsensus(tie, { tiePolicy: 'random', seed: 'a' })).toEqual(majorityConsensus(tie, { tiePolicy: 'random', seed: 'a' }));
  });
});

describe('bad input', () => {
  const two: CategoricalAnswer[] = [
    { task: 't1', annotator: 'a', label: 'x' },
    { task: 't1', annotator: 'b', label: 'y' },
  ];
  const expectError = (fn: () => unknown, code: string, message: string | RegExp): void => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QualityInputError);
    expect((error as QualityInputError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
  };

  it.each(MINE)('%s rejects empty input and a single category, naming the method', (method) => {
    expectError(() => runConsensusMethod(method, []), 'EMPTY_INPUT', new RegExp(`^${method} needs at least one answer`));
    const one: CategoricalAnswer[] = [
      { task: 't1', annotator: 'a', label: 'yes' },
      { task: 't2', annotator: 'b', label: 'yes' },
    ];
    expectError(() => runConsensusMethod(method, one), 'INVALID_ARGUMENT', `${method} needs at least two categories; every answer is 'yes'`);
    expectError(() => runConsensusMethod(method, one, { categories: ['yes'] }), 'INVALID_ARGUMENT', "the declared categories are only 'yes'");
    // Declaring the categories makes a one-label campaign fit: the model has two categories.
    expect(runConsensusMethod(method, one, { categories: ['yes', 'no'] }).tasks.map((t) => t.label)).toEqual(['yes', 'yes']);
    expectError(() => runConsensusMethod(method, two, { categories: ['x'] }), 'UNKNOWN_CATEGORY', "annotator 'b' gave label for unknown category 'y' on task 't1'");
    expectError(
      () => runConsensusMethod(method, [...two, two[0] as CategoricalAnswer], { duplicates: 'reject' }),
      'DUPLICATE_ANSWER',
      "annotator 'a' answered task 't1' more than once",
    );
  });

  it('rejects unknown methods and options, and bad option values with the option named', () => {
    expectError(
      () => runConsensusMethod('bayes' as CrowdMethodName, two),
      'INVALID_ARGUMENT',
      "unknown consensus method 'bayes'; expected one of majority, wawa, zbs, one-coin, dawid-skene, glad, mace, kos, mmsr",
    );
    expectError(
      () => runConsensusMethod('wawa', two, { smoothing: 1 } as never),
      'INVALID_ARGUMENT',
      "wawa has no option 'smoothing'; its options are categories, duplicates, seed",
    );
    expectError(() => runConsensusMethod('dawid-skene', two, { maxIterations: 0 }), 'INVALID_ARGUMENT', 'maxIterations must be an integer >= 1, got 0');
    expectError(() => runConsensusMethod('dawid-skene', two, { maxIterations: 2.5 }), 'INVALID_ARGUMENT', 'maxIterations must be an integer >= 1, got 2.5');
    expectError(() => runConsensusMethod('dawid-skene', two, { tolerance: -1 }), 'INVALID_ARGUMENT', 'tolerance must be a finite number >= 0, got -1');
    expectError(() => runConsensusMethod('dawid-skene', two, { smoothing: Number.NaN }), 'INVALID_ARGUMENT', 'smoothing must be a finite number >= 0, got NaN');
    expectError(() => runConsensusMethod('dawid-skene', two, { stop: 'loss' as never }), 'INVALID_ARGUMENT', "stop must be one of elbo, log-likelihood, posterior; got 'loss'");
    expectError(() => runConsensusMethod('one-coin', two, { init: 'random' as never }), 'INVALID_ARGUMENT', "init must be one of soft-majority, majority, wawa; got 'random'");
    expectError(() => runConsensusMethod('zbs', two, { learningRate: 2 }), 'INVALID_ARGUMENT', 'learningRate must be a finite number > 0 and <= 1, got 2');
    expectError(() => runConsensusMethod('zbs', two, { lrReduceFactor: 0 }), 'INVALID_ARGUMENT', 'lrReduceFactor must be a finite number > 0 and <= 1, got 0');
    expectError(() => runConsensusMethod('mace', two, { restarts: 0 }), 'INVALID_ARGUMENT', 'restarts must be an integer >= 1, got 0');
    expectError(() => runConsensusMethod('mace', two, { alpha: 0 }), 'INVALID_ARGUMENT', 'alpha must be a finite number > 0, got 0');
    expectError(() => runConsensusMethod('mace', two, { inference: 'gibbs' as never }), 'INVALID_ARGUMENT', "inference must be one of vb, em; got 'gibbs'");
    expectError(() => runConsensusMethod('mace', two, { seed: Number.POSITIVE_INFINITY }), 'INVALID_ARGUMENT', 'seed must be a finite number or a string, got Infinity');
    expectError(
      () => runConsensusMethod('majority', two, { tiePolicy: 'unresolved' as never }),
      'INVALID_ARGUMENT',
      "tiePolicy must be 'lowest' or 'random' here, got 'unresolved'",
    );
    expectError(() => oneCoinDawidSkene([{ task: 't', annotator: 'a', label: Number.NaN }]), 'INVALID_NUMBER', 'label must be finite, got NaN');
    expectError(
      () => dawidSkeneEncoded({ nTasks: 2, nWorkers: 1, nClasses: 2, taskOf: Int32Array.of(0), workerOf: Int32Array.of(0), labelOf: Int32Array.of(1) }),
      'INVALID_ARGUMENT',
      'task 1 has no answer',
    );
    expectError(
      () => dawidSkeneEncoded({ nTasks: 1, nWorkers: 1, nClasses: 1, taskOf: Int32Array.of(0), workerOf: Int32Array.of(0), labelOf: Int32Array.of(0) }),
      'INVALID_ARGUMENT',
      'at least two classes',
    );
  });
});
