// Crowd truth inference: accuracy of every categorical method on the 13 public crowd sets, and time per method,
// each beside majority vote on the same set in the same run; Dawid-Skene also beside Crowd-Kit 1.4.1's algorithm
// (the numpy re-implementation in test/reference/crowd) and the two published figures of issue 13.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { CONSENSUS_METHOD_NAMES, CROWD_KIT_DAWID_SKENE, QualityInputError, runConsensusMethod, type CrowdMethodName } from '@suture/workflows/quality';
import { accuracy, crowdSets, runReference, type CrowdSet } from '../reference/crowd/sets.ts';
import type { BenchFigure, BenchSuite } from './types.ts';

/** Published accuracies (Crowd-Kit's, quoted in issue 13) that a method should land within 0.01 of. */
const PUBLISHED: Partial<Record<CrowdMethodName, Record<string, number>>> = { mace: { weather_sentiment_cf: 0.883 }, wawa: { s_adult: 0.766 } };

interface Cell {
  accuracy: number;
  ms: number;
  iterations: number;
  converged: boolean;
}

/** Runs `method` on `set` `runs` times; accuracy of the (deterministic) result and the fastest time. */
function measure(method: CrowdMethodName, set: CrowdSet, runs: number): Cell | string {
  let best = Infinity;
  let cell: Cell | undefined;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    let result;
    try {
      result = runConsensusMethod(method, set.answers);
    } catch (error) {
      if (error instanceof QualityInputError) return error.message;
      throw error;
    }
    best = Math.min(best, performance.now() - t);
    cell = { accuracy: accuracy(result.tasks, set.truth), ms: best, iterations: result.convergence.iterations, converged: result.convergence.converged };
  }
  return { ...(cell as Cell), ms: best };
}

const suite: BenchSuite = {
  id: 'crowd',
  title: 'Crowd truth inference on the 13 public crowd sets (accuracy and time per method)',
  async run() {
    const loadBefore = os.loadavg()[0] as number;
    const sets = crowdSets();
    const crowdKit = runReference(sets.map((set) => ({ set, jobs: [{ id: 'ds', method: 'dawid-skene' as const, options: { ...CROWD_KIT_DAWID_SKENE }, posteriors: false }] })));
    const cells = new Map<string, Cell | string>();
    for (const method of CONSENSUS_METHOD_NAMES) for (const set of sets) cells.set(`${method}/${set.name}`, measure(method, set, 2));
    const figures: BenchFigure[] = [];
    const skipped: string[] = [];
    const notConverged: string[] = [];
    for (const set of sets) {
      const mv = cells.get(`majority/${set.name}`) as Cell;
      const answered = new Set(set.answers.map((a) => a.task));
      const tasksWithTruth = [...set.truth.keys()].filter((t) => answered.has(t)).length;
      for (const method of CONSENSUS_METHOD_NAMES) {
        const cell = cells.get(`${method}/${set.name}`) as Cell | string;
        if (typeof cell === 'string') {
          skipped.push(`${method} on ${set.name} (${cell})`);
          continue;
        }
        if (!cell.converged) notConverged.push(`${method} on ${set.name} (${cell.iterations} iterations)`);
        const figure: BenchFigure = {
          name: `accuracy: ${method} on ${set.name}`,
          unit: 'accuracy',
          value: cell.accuracy,
          baselineName: 'majority vote, same set',
          baselineValue: mv.accuracy,
          ratio: cell.accuracy / mv.accuracy,
          note: 'higher is better; share of tasks with a known truth labelled correctly',
          extra: { iterations: cell.iterations, converged: String(cell.converged), tasksWithTruth },
        };
        if (method === 'dawid-skene') {
          const ref = crowdKit.get(`${set.name}/ds`);
          const refAccuracy = ref
            ? accuracy(
                ref.tasks.map((task, i) => ({ task, label: ref.labels[i] as string })),
                set.truth,
              )
            : Number.NaN;
          figure.target = `>= Crowd-Kit 1.4.1 Dawid-Skene (re-implementation, same run): ${refAccuracy.toFixed(4)}`;
          figure.met = cell.accuracy >= refAccuracy;
        }
        const published = PUBLISHED[method]?.[set.name];
        if (published !== undefined) {
          figure.target = `within 0.01 of the published ${published}`;
          figure.met = Math.abs(cell.accuracy - published) <= 0.01;
        }
        figures.push(figure);
      }
    }
    const mvMs = sets.reduce((s, set) => s + (cells.get(`majority/${set.name}`) as Cell).ms, 0);
    for (const method of CONSENSUS_METHOD_NAMES) {
      const ran = sets.filter((set) => typeof cells.get(`${method}/${set.name}`) !== 'string');
      const ms = ran.reduce((s, set) => s + (cells.get(`${method}/${set.name}`) as Cell).ms, 0);
      const base = ran.reduce((s, set) => s + (cells.get(`majority/${set.name}`) as Cell).ms, 0);
      const answers = ran.reduce((s, set) => s + set.answers.length, 0);
      figures.push({
        name: `time: ${method} over ${ran.length === sets.length ? 'all 13 sets' : `the ${ran.length} sets it accepts`} (${answers.toLocaleString('en')} answers)`,
        unit: 'ms',
        value: ms,
        baselineName: 'majority vote, same sets',
        baselineValue: base,
        ratio: ms / base,
        note: 'lower is better; sum over sets of the faster of 2 runs, including encoding the answers',
        extra: { meanAccuracy: Number((ran.reduce((s, set) => s + (cells.get(`${method}/${set.name}`) as Cell).accuracy, 0) / ran.length).toFixed(4)) },
      });
    }
    suite.environment = {
      sets: sets.map((s) => `${s.name} (${s.answers.length} answers)`).join(', '),
      'majority vote total': `${mvMs.toFixed(1)} ms`,
      'not applicable': skipped.join('; ') || 'none',
      'stopped at the iteration cap': notConverged.join('; ') || 'none',
      defaults: "every method with its defaults (runConsensusMethod(name, answers)); Dawid-Skene's are Crowd-Kit 1.4.1's with smoothing 1e-6",
      'load average (1 min) before / after': `${loadBefore.toFixed(2)} / ${(os.loadavg()[0] as number).toFixed(2)}`,
    };
    return figures;
  },
};

export default suite;
