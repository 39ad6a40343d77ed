// The 13 public crowd sets of ../shared/data/crowd (see its SOURCES.md) and the Python reference runner, shared by
// the quality engine's tests and the crowd benchmark.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One answer as the engine takes it. */
export interface CrowdAnswer {
  task: string;
  annotator: string;
  label: string;
}

/** A public crowd set: answers and the known truth of (some of) its tasks. */
export interface CrowdSet {
  name: string;
  answers: CrowdAnswer[];
  truth: Map<string, string>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
/** The shared data folder (…/shared/data/crowd beside the repository). */
export const CROWD_DATA = join(here, '../../../../shared/data/crowd');
/** The Python reference re-implementation (numpy, Debian's /usr/bin/python3). */
export const CROWD_REFERENCE = join(here, 'crowd_ref.py');

/** Rows of a headed CSV; the files mix LF, CRLF and bare-CR line ends and three header spellings. */
function csvRows(file: string): string[][] {
  return readFileSync(join(CROWD_DATA, file), 'utf8')
    .split(/\r\n|\r|\n/)
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(','));
}

function csvSet(name: string, answerFile: string, truthFile: string): CrowdSet {
  return {
    name,
    answers: csvRows(answerFile).map(([task, annotator, label]) => ({ task: task as string, annotator: annotator as string, label: label as string })),
    truth: new Map(csvRows(truthFile).map(([task, label]) => [task as string, label as string])),
  };
}

/** CUBAM's bluebirds: flow-style YAML maps `{task: bool}` (gt.yaml) and `worker: {task: bool}` (labels.yaml). */
export function loadBluebirds(folder = 'bluebirds'): CrowdSet {
  const pairs = (text: string) => [...text.matchAll(/(\d+):\s*(true|false)/g)].map((m) => [m[1] as string, m[2] === 'true' ? '1' : '0'] as const);
  const answers: CrowdAnswer[] = [];
  for (const block of readFileSync(join(CROWD_DATA, folder, 'labels.yaml'), 'utf8').matchAll(/(\d+):\s*\{([^}]*)\}/g)) {
    for (const [task, label] of pairs(block[2] as string)) answers.push({ task, annotator: block[1] as string, label });
  }
  return { name: 'bluebirds', answers, truth: new Map(pairs(readFileSync(join(CROWD_DATA, folder, 'gt.yaml'), 'utf8'))) };
}

/** Names of the ten answer.csv sets plus N_Emotion, in the order tables list them. */
export const CSV_SETS = [
  'd_product',
  'd_possent',
  's_rel',
  's_adult',
  'duck_identification',
  's_face',
  'weather_sentiment_cf',
  'weather_sentiment_amt',
  'sentiment_popularity_amt',
  'sentiment_polarity_sp',
  'n_emotion',
] as const;

/** Loads one csv set by folder name. */
export function loadCsvSet(name: string): CrowdSet {
  return csvSet(name, `${name}/answer.csv`, `${name}/truth.csv`);
}

/** The 13 public sets: eleven answer.csv sets, D_PosSent's qualification test and CUBAM's bluebirds YAML. */
export function crowdSets(): CrowdSet[] {
  return [...CSV_SETS.map(loadCsvSet), csvSet('d_possent_quali', 'd_possent/quali.csv', 'd_possent/quali_truth.csv'), loadBluebirds()];
}

/** Share of tasks with a known truth whose label equals it (tasks without truth are ignored). */
export function accuracy(labels: ReadonlyArray<{ task: string; label: string | null }>, truth: ReadonlyMap<string, string>): number {
  let evaluated = 0;
  let correct = 0;
  for (const { task, label } of labels) {
    const expected = truth.get(task);
    if (expected === undefined) continue;
    evaluated++;
    if (label === expected) correct++;
  }
  return correct / evaluated;
}

/** A method run of the Python reference. */
export interface ReferenceJob {
  id: string;
  method: 'majority' | 'wawa' | 'zbs' | 'one-coin' | 'dawid-skene' | 'mace';
  options?: Record<string, unknown>;
  /** Return posteriors (default true). */
  posteriors?: boolean;
}

/** What the reference returns per set and job (see crowd_ref.py). */
export interface ReferenceResult {
  set: string;
  id: string;
  method: string;
  categories: string[];
  tasks: string[];
  annotators: string[];
  labels: string[];
  posteriors?: number[][];
  reliability: number[];
  iterations: number;
  converged: boolean;
  objective: number | null;
  ties: number;
  priors?: number[];
}

/** Runs the Python reference on `sets` (each with its jobs) in one child process; results keyed `set/id`. */
export function runReference(
  sets: ReadonlyArray<{ set: CrowdSet; jobs: readonly ReferenceJob[]; categories?: readonly string[] }>,
  timeoutMs = 280_000,
): Map<string, ReferenceResult> {
  const input = JSON.stringify({
    sets: sets.map(({ set, jobs, categories }) => ({
      name: set.name,
      answers: set.answers.map((a) => [a.task, a.annotator, a.label]),
      ...(categories ? { categories } : {}),
      jobs,
    })),
  });
  const r = spawnSync('/usr/bin/python3', ['-B', CROWD_REFERENCE], { input, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`crowd_ref.py failed (status ${String(r.status)}${r.signal ? `, ${r.signal}` : ''}): ${r.error?.message ?? r.stderr}`);
  const out = JSON.parse(r.stdout) as { results: ReferenceResult[] };
  return new Map(out.results.map((x) => [`${x.set}/${x.id}`, x]));
}

/**
 * Runs one single-method Python reference (`glad_ref.py`, `kos_ref.py`, `mmsr_ref.py`: JSON on stdin, `{ results }`
 * on stdout) on `sets`, each with its options; results keyed by set name.
 */
export function runMethodReference<R extends { name: string }>(
  script: string,
  sets: ReadonlyArray<CrowdSet & { options?: { categories?: readonly unknown[] } }>,
  timeoutMs = 240_000,
): Map<string, R> {
  const input = JSON.stringify({
    sets: sets.map((s) => ({ name: s.name, answers: s.answers.map((a) => [a.task, a.annotator, String(a.label)]), categories: s.options?.categories, options: s.options })),
  });
  const r = spawnSync('/usr/bin/python3', ['-B', join(here, script)], { input, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 29 });
  if (r.status !== 0) throw new Error(`${script} failed (status ${String(r.status)}): ${r.error?.message ?? r.stderr}`);
  return new Map((JSON.parse(r.stdout) as { results: R[] }).results.map((x) => [x.name, x]));
}
