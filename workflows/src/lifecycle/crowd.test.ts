import { describe, expect, it } from 'vitest';
import { classification } from '../annotation/kinds/classification.ts';
import { resolveConsensus, consensusMethods, type CampaignConsensus } from '../annotation/registry.ts';
import { labelSchemaSchema, type ConsensusSetting } from '../domain/label-schema.ts';
import { majorityVote, runConsensusMethod } from '../quality/index.ts';
import { campaignConsensus, CrowdModels, fitCrowd, tasksWithLabels, type CrowdAnswer } from './crowd.ts';

const CLASSES = ['a', 'b', 'c'];
const schema = labelSchemaSchema.parse({ geometry: 'classification', classes: CLASSES.map((key) => ({ key, name: key.toUpperCase() })) });
const consensusOf = (setting?: ConsensusSetting): CampaignConsensus => {
  const r = resolveConsensus(schema, consensusMethods(schema), setting);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value;
};

/** A fixed pseudo-random sequence (mulberry32; no Math.random in tests). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A campaign's history of three annotators on `n` tasks (truth cycling a, b, c): Eve is right 95% of the time,
 * Mo calls half of the b's a, Ran is right 55% of the time. Then tasks where Eve says b and both others a: a
 * majority vote says a, while Mo's known confusion and Ran's noise make b the likelier truth.
 */
function history(n: number, disputed: number): CrowdAnswer[] {
  const next = random(6);
  const give = (truth: number, p: number) => (next() < p ? truth : (truth + 1 + Math.floor(next() * 2)) % 3);
  const answers: CrowdAnswer[] = [];
  for (let i = 0; i < n; i++) {
    const truth = i % 3;
    answers.push({ task: `h${i}`, annotator: 'eve', label: CLASSES[give(truth, 0.95)]! });
    answers.push({ task: `h${i}`, annotator: 'mo', label: CLASSES[truth === 1 && next() < 0.5 ? 0 : truth]! });
    answers.push({ task: `h${i}`, annotator: 'ran', label: CLASSES[give(truth, 0.55)]! });
  }
  for (let j = 0; j < disputed; j++)
    answers.push({ task: `n${j}`, annotator: 'eve', label: 'b' }, { task: `n${j}`, annotator: 'mo', label: 'a' }, { task: `n${j}`, annotator: 'ran', label: 'a' });
  return answers;
}

const answers = history(90, 1);
const disputed = [
  { annotator: 'eve', data: { label: 'b' } },
  { annotator: 'mo', data: { label: 'a' } },
  { annotator: 'ran', data: { label: 'a' } },
];
const ctx = { schema, media: {}, frame: null };

describe('the campaign crowd model', () => {
  it("fits Dawid-Skene on the campaign's answers: a confusion matrix and reliability per annotator, priors, each task's consensus", () => {
    const model = fitCrowd(answers, schema, consensusOf(), 'dawid-skene', new Date(5));
    const reference = runConsensusMethod('dawid-skene', answers, { categories: CLASSES });
    expect(model).toMatchObject({ method: 'dawid-skene', categories: CLASSES, answers: answers.length, tasksWithLabels: 91, fittedAt: new Date(5) });
    expect(model.convergence).toEqual(reference.convergence);
    for (const t of reference.tasks) expect(model.tasks.get(t.task)!.label).toBe(t.label);
    expect(model.priors.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    const eve = model.annotators.get('eve')!;
    const mo = model.annotators.get('mo')!;
    const ran = model.annotators.get('ran')!;
    expect(eve.reliability).toBeGreaterThan(mo.reliability);
    expect(mo.reliability).toBeGreaterThan(ran.reliability);
    for (const a of [eve, mo, ran]) for (const row of a.confusion!) expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
    // Mo's confusion: a true b is given as a about half of the time.
    expect(mo.confusion![1]![0]).toBeGreaterThan(0.3);
    // The disputed task: a majority vote says a, the model says b.
    expect(majorityVote(answers.filter((a) => a.task === 'n0')).tasks[0]!.label).toBe('a');
    expect(model.tasks.get('n0')!.label).toBe('b');
  });

  it("fits MACE with the campaign's seed and options: competence as each annotator's reliability and skill", () => {
    const mace = consensusOf({ method: 'mace', seed: 'campaign-seed', options: { restarts: 4 } });
    const model = fitCrowd(answers, schema, mace, 'mace', new Date(0));
    const reference = runConsensusMethod('mace', answers, { categories: CLASSES, seed: 'campaign-seed', restarts: 4 });
    expect(model.method).toBe('mace');
    for (const a of reference.annotators) expect(model.annotators.get(a.annotator)).toEqual({ answers: a.answers, reliability: a.reliability, skill: a.skill });
    expect(model.tasks.get('n0')!.label).toBe('b');
    // Majority vote (before enough labels) runs without the MACE options.
    expect(fitCrowd(answers, schema, mace, 'majority', new Date(0)).tasks.get('n0')!.label).toBe('a');
  });

  it("gives the classification module the fitted task's consensus, and nothing for 'majority'", () => {
    const model = fitCrowd(answers, schema, consensusOf(), 'dawid-skene', new Date(0));
    expect(classification.consensus(disputed, { ...ctx, task: 'n0', crowd: model })).toEqual({ data: { label: 'b' }, method: 'dawid-skene' });
    // A later task with the same labels, not in the fit: Dawid-Skene's posterior under the fitted confusions agrees.
    expect(classification.consensus(disputed, { ...ctx, task: 'n1', crowd: model })).toEqual({ data: { label: 'b' }, method: 'dawid-skene' });
    expect(classification.consensus(disputed, { ...ctx, task: 'n0', crowd: model, consensusMethod: 'majority' })).toEqual({ data: { label: 'a' }, method: 'majority-vote' });
  });

  it('counts the tasks with two or more labels', () => {
    expect(
      tasksWithLabels([
        { task: 't1', annotator: 'x', label: 'a' },
        { task: 't1', annotator: 'y', label: 'a' },
        { task: 't2', annotator: 'x', label: 'a' },
      ]),
    ).toBe(1);
  });

  it("reads the campaign's setting from its QA settings, refusing one that does not fit the type", () => {
    expect(campaignConsensus(schema, {})).toMatchObject({ ok: true, value: { method: 'auto' } });
    expect(campaignConsensus(schema, { consensus: { method: 'glad', minTasks: 3 } })).toMatchObject({ ok: true, value: { method: 'glad', minTasks: 3 } });
    expect(campaignConsensus(schema, { consensus: { method: 'staple' } })).toMatchObject({ ok: false, problems: [expect.stringContaining("'staple' is not a consensus method")] });
    expect(campaignConsensus(schema, { consensus: { method: 3 } })).toEqual({ ok: false, problems: [expect.stringMatching(/^qaSettings\.consensus\.method: /)] });
  });
});

describe('per-campaign models', () => {
  /** The one query the models read (rows as PostgreSQL returns them), counted. */
  function reader(rows: CrowdAnswer[]) {
    const db = {
      reads: 0,
      $queryRaw: () => {
        db.reads += 1;
        return Promise.resolve(rows.map((r) => ({ taskId: r.task, userId: r.annotator, label: r.label })));
      },
    };
    return db;
  }

  it('refit at most once a minute, at once when the setting changes, and use majority vote until minTasks', async () => {
    let now = 1_000_000;
    const models = new CrowdModels(() => now);
    const db = reader(answers);
    const first = await models.get(db as never, 'c1', schema, consensusOf());
    expect(first).toMatchObject({ method: 'dawid-skene', fittedAt: new Date(1_000_000) });
    now += 59_000;
    expect(await models.get(db as never, 'c1', schema, consensusOf())).toBe(first);
    expect(db.reads).toBe(1);
    now += 1_000;
    expect(await models.get(db as never, 'c1', schema, consensusOf())).not.toBe(first);
    expect(db.reads).toBe(2);
    // A new method (or minTasks) is fitted at the next task, not a minute later.
    expect(await models.get(db as never, 'c1', schema, consensusOf({ method: 'mace' }))).toMatchObject({ method: 'mace' });
    expect(await models.get(db as never, 'c1', schema, consensusOf({ method: 'mace', minTasks: 200 }))).toMatchObject({ method: 'majority' });
    expect(db.reads).toBe(4);
  });

  it('fit nothing for labels no categorical method takes', async () => {
    const models = new CrowdModels();
    const db = reader(answers);
    const multi = labelSchemaSchema.parse({ ...schema, multiLabel: true });
    const r = resolveConsensus(multi, consensusMethods(multi), undefined);
    expect(await models.get(db as never, 'c2', multi, (r as { value: CampaignConsensus }).value)).toBeNull();
    const empty = reader([]);
    expect(await models.get(empty as never, 'c3', schema, consensusOf())).toBeNull();
    expect(db.reads).toBe(0);
  });
});
