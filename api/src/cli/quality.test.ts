// Runs the real `suture quality` command on the public crowd files and on malformed temporary files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONSENSUS_METHODS, runConsensusMethod, type CrowdConsensusResult, type CrowdMethodName } from '@suture/workflows/quality';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const crowd = join(root, '../shared/data/crowd');
const tmp = mkdtempSync(join(tmpdir(), 'suture-quality-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function suture(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'api/bin/suture.mjs'), 'quality', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, content: string): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

/** Answers of a crowd CSV as the library takes them (the same parsing as the CLI for these plain files). */
function rows(path: string): Array<{ task: string; annotator: string; label: string }> {
  return readFileSync(path, 'utf8')
    .split(/\r\n|\r|\n/)
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(','))
    .map(([task, annotator, label]) => ({ task: task as string, annotator: annotator as string, label: label as string }));
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
}

describe('suture quality consensus', () => {
  it('runs Dawid-Skene on D_Product with truth and reports accuracy as the last line', () => {
    const r = suture('consensus', '--method', 'dawid-skene', '--answers', join(crowd, 'd_product/answer.csv'), '--truth', join(crowd, 'd_product/truth.csv'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(8315 + 1);
    expect(lines[0]).toMatch(/^[^,]+,[01]$/);
    expect(lastJson(r.stdout).accuracy).toBeGreaterThan(0.939);
  });

  it('runs majority vote on D_PosSent (CRLF, id/worker/answer header) with the reference accuracy', () => {
    const r = suture('consensus', '--method', 'majority', '--answers', join(crowd, 'd_possent/answer.csv'), '--truth', join(crowd, 'd_possent/truth.csv'));
    expect(r.code).toBe(0);
    expect(lastJson(r.stdout).accuracy).toBeCloseTo(0.932, 4);
  });

  it('handles quoted fields, a BOM, CRLF and bare CR, and quotes labels that need it on output', () => {
    const answers = file('quoted.csv', '\uFEFFtask,worker,label\r\n"t,1",w1,"a ""b"""\r\n"t,1",w2,"a ""b"""\rt2,w1,x\n');
    const truth = file('truth.csv', 'task,truth\n"t,1","a ""b"""\n');
    const r = suture('consensus', '--method', 'majority', '--answers', answers, '--truth', truth);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['"t,1","a ""b"""', 't2,x']);
    expect(lastJson(r.stdout)).toMatchObject({ method: 'majority', tasks: 2, converged: true, iterations: 1, stoppedBy: 'closed-form', accuracy: 1, evaluated: 1 });
    expect(lastJson(r.stdout).annotators).toEqual([
      { annotator: 'w1', answers: 2, reliability: 1 },
      { annotator: 'w2', answers: 1, reliability: 1 },
    ]);
  });

  it('reports malformed rows with file, line and problem and exits 2', () => {
    const bad = file('answers.csv', 'task,worker,label\nt1,w1,a\nt1,w2\n');
    const r = suture('consensus', '--method', 'majority', '--answers', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:3: expected at least 3 columns (task, worker, label), got 2`);
    expect(r.stdout).toBe('');
    const unterminated = file('open.csv', 'task,worker,label\nt1,w1,"a\n');
    expect(suture('consensus', '--method', 'majority', '--answers', unterminated).stderr).toContain(`${unterminated}:2: unterminated quoted field`);
    const header = file('header.csv', 'task,worker,label\n');
    expect(suture('consensus', '--method', 'majority', '--answers', header).stderr).toContain('no answers after the header row');
  });

  it('exits 2 on unknown flags, bad choices, missing flags and missing files', () => {
    const unknown = suture('consensus', '--method', 'majority', '--answer', 'x.csv');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown flag --answer');
    const choice = suture('consensus', '--method', 'bayes', '--answers', 'x.csv');
    expect(choice.stderr).toContain("--method must be one of majority, wawa, zbs, one-coin, dawid-skene, glad, mace, kos, mmsr; got 'bayes'");
    expect(suture('consensus', '--answers', 'x.csv').stderr).toContain('missing required flag --method');
    const missing = suture('consensus', '--method', 'majority', '--answers', join(tmp, 'nope.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.csv: cannot read file (no such file)');
    expect(suture('frobnicate').code).toBe(2);
  });
});

describe('suture quality consensus: every method, its options, reliability and convergence', () => {
  const quali = join(crowd, 'd_possent/quali.csv');
  const qualiTruth = join(crowd, 'd_possent/quali_truth.csv');

  it.each(['majority', 'wawa', 'zbs', 'one-coin', 'dawid-skene', 'glad', 'mace', 'kos', 'mmsr'])(
    '--method %s prints the library result for every task and a summary with per-annotator reliability',
    (method) => {
      const r = suture('consensus', '--method', method, '--answers', quali, '--truth', qualiTruth);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      const library = runConsensusMethod(method as CrowdMethodName, rows(quali));
      expect(lines.slice(0, -1)).toEqual(library.tasks.map((t) => `${t.task},${t.label}`));
      const summary = lastJson(r.stdout);
      expect(summary).toMatchObject({ method, tasks: 20, converged: library.convergence.converged, iterations: library.convergence.iterations, evaluated: 20 });
      expect(summary.annotators).toEqual(
        library.annotators.map((a) => ({ annotator: a.annotator, answers: a.answers, reliability: a.reliability, ...(a.skill === undefined ? {} : { skill: a.skill }) })),
      );
      expect(r.stderr).toEqual(library.convergence.converged ? '' : expect.stringContaining('warning'));
    },
  );

  it('passes Dawid-Skene options through and reports the stopping rule', () => {
    const cf = join(crowd, 'weather_sentiment_cf/answer.csv');
    const r = suture(
      'consensus',
      '--method',
      'dawid-skene',
      '--answers',
      cf,
      '--stop',
      'log-likelihood',
      '--tolerance',
      '1e-7',
      '--smoothing',
      '0.01',
      '--init',
      'wawa',
      '--max-iterations',
      '400',
    );
    expect(r.code).toBe(0);
    const library = runConsensusMethod('dawid-skene', rows(cf), { stop: 'log-likelihood', tolerance: 1e-7, smoothing: 0.01, init: 'wawa', maxIterations: 400 });
    expect(r.stdout.trimEnd().split('\n').slice(0, -1)).toEqual(library.tasks.map((t) => `${t.task},${t.label}`));
    expect(lastJson(r.stdout)).toMatchObject({ converged: true, stoppedBy: 'tolerance', iterations: library.convergence.iterations, objective: library.convergence.objective });
    // Different settings, different fit: the default (Crowd-Kit's ELBO rule) stops elsewhere.
    expect(lastJson(suture('consensus', '--method', 'dawid-skene', '--answers', cf).stdout).iterations).not.toBe(library.convergence.iterations);
  });

  it('reports non-convergence on stderr and in the summary, never hiding it', () => {
    const r = suture('consensus', '--method', 'dawid-skene', '--answers', join(crowd, 's_rel/answer.csv'), '--max-iterations', '3');
    expect(r.code).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ method: 'dawid-skene', converged: false, iterations: 3, stoppedBy: 'max-iterations' });
    expect(r.stderr).toContain('suture quality: warning: dawid-skene did not converge: it stopped at its iteration cap (3 iterations)');
  });

  it('writes per-annotator reliability to --reliability (with Dawid-Skene confusion matrices) instead of the summary', () => {
    const out = join(tmp, 'reliability.csv');
    const r = suture('consensus', '--method', 'dawid-skene', '--answers', quali, '--reliability', out);
    expect(r.code).toBe(0);
    const summary = lastJson(r.stdout);
    expect(summary.reliability).toBe(out);
    expect(summary.annotators).toBeUndefined();
    const library = runConsensusMethod('dawid-skene', rows(quali));
    const csv = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('annotator,answers,reliability,skill,confusion');
    expect(csv).toHaveLength(library.annotators.length + 1);
    const first = library.annotators[0] as CrowdConsensusResult['annotators'][number];
    expect(csv[1]).toBe(`${first.annotator},${first.answers},${first.reliability},,"${JSON.stringify(first.confusion)}"`);
    const mace = join(tmp, 'mace.csv');
    expect(suture('consensus', '--method', 'mace', '--answers', quali, '--reliability', mace, '--seed', '5').code).toBe(0);
    expect(readFileSync(mace, 'utf8').split('\n')[1]).toMatch(/^[^,]+,\d+,[0-9.e-]+,[0-9.e-]+,$/);
  });

  it('runs MACE with its options, deterministically for a seed', () => {
    const args = [
      'consensus',
      '--method',
      'mace',
      '--answers',
      join(crowd, 'weather_sentiment_cf/answer.csv'),
      '--restarts',
      '3',
      '--inference',
      'em',
      '--seed',
      'campaign-1',
      '--tolerance',
      '1e-7',
    ];
    const a = suture(...args);
    expect(a.code).toBe(0);
    expect(suture(...args).stdout).toBe(a.stdout);
    const library = runConsensusMethod('mace', rows(join(crowd, 'weather_sentiment_cf/answer.csv')), { restarts: 3, inference: 'em', seed: 'campaign-1', tolerance: 1e-7 });
    expect(lastJson(a.stdout).iterations).toBe(library.convergence.iterations);
    expect(a.stdout.split('\n').slice(0, 300)).toEqual(library.tasks.map((t) => `${t.task},${t.label}`));
  });

  it('rejects bad option values, options of other methods and single-category input, naming the flag, exit 2', () => {
    const cases: Array<[string[], string]> = [
      [['--method', 'dawid-skene', '--max-iterations', '0'], '--max-iterations: maxIterations must be an integer >= 1, got 0'],
      [['--method', 'dawid-skene', '--max-iterations', '2.5'], "--max-iterations must be an integer, got '2.5'"],
      [['--method', 'dawid-skene', '--tolerance', 'abc'], "--tolerance must be a number, got 'abc'"],
      [['--method', 'dawid-skene', '--tolerance', '-1'], '--tolerance: tolerance must be a finite number >= 0, got -1'],
      [['--method', 'dawid-skene', '--stop', 'loss'], "--stop must be one of elbo, log-likelihood, posterior; got 'loss'"],
      [['--method', 'dawid-skene', '--seed', '3'], '--seed does not apply to --method dawid-skene (its options: --max-iterations, --tolerance, --stop, --smoothing, --init)'],
      [['--method', 'wawa', '--smoothing', '1'], '--smoothing does not apply to --method wawa (it has no options)'],
      [['--method', 'zbs', '--learning-rate', '2'], '--learning-rate: learningRate must be a finite number > 0 and <= 1, got 2'],
      [['--method', 'glad', '--class-priors', '1,x'], "--class-priors must be comma-separated numbers, got '1,x'"],
      [['--method', 'kos', '--ties', 'random'], '--ties applies to --method majority only'],
      [['--method', 'majority', '--ties', 'random'], '--ties random needs --seed'],
    ];
    for (const [args, message] of cases) {
      const r = suture('consensus', ...args, '--answers', quali);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
    const one = file('one.csv', 'task,worker,label\nt1,w1,yes\nt2,w2,yes\n');
    const single = suture('consensus', '--method', 'dawid-skene', '--answers', one);
    expect(single.code).toBe(2);
    expect(single.stderr).toContain(`${one}: dawid-skene needs at least two categories; every answer is 'yes'`);
    expect(suture('consensus', '--method', 'dawid-skene', '--answers', one, '--categories', 'yes,no').stdout).toContain('t1,yes');
    const undeclared = suture('consensus', '--method', 'wawa', '--answers', one, '--categories', 'no,maybe');
    expect(undeclared.stderr).toContain("annotator 'w1' gave label for unknown category 'yes' on task 't1'");
  });

  it('lists every method with its options and defaults in the usage text', () => {
    const r = suture('--help');
    expect(r.code).toBe(0);
    for (const m of CONSENSUS_METHODS) {
      expect(r.stdout).toContain(`    ${m.name}: `);
      for (const o of m.options) expect(r.stdout).toContain(`(default ${o.default})`);
    }
    expect(r.stdout).toContain('--stop elbo|log-likelihood|posterior');
    expect(r.stdout).toContain('--init soft-majority|majority|wawa');
    expect(r.stdout).toContain('--max-iterations N');
  });
});

describe('suture quality agreement', () => {
  it("reproduces Krippendorff's 2011 example and Cohen's kappa from CSV answers", () => {
    const rows = ['unit,coder,value'];
    const data = [
      [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
      [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];
    data.forEach((row, c) => row.forEach((v, u) => v !== null && rows.push(`u${u},c${c},${v}`)));
    const path = file('kripp.csv', `${rows.join('\n')}\n`);
    const interval = suture('agreement', '--metric', 'krippendorff-alpha', '--level', 'interval', '--answers', path);
    expect(interval.code).toBe(0);
    expect(lastJson(interval.stdout).value).toBeCloseTo(0.849, 3);
    expect(lastJson(suture('agreement', '--metric', 'krippendorff-alpha', '--answers', path).stdout).value).toBeCloseTo(0.743, 3);
    const cohen = suture('agreement', '--metric', 'cohen-kappa', '--answers', path);
    expect(cohen.code).toBe(2);
    expect(cohen.stderr).toContain("Cohen's kappa needs exactly 2 annotators, got 4");
    const two = file('two.csv', `task,worker,label\n${[0, 1, 2, 3].map((t) => `t${t},a,${t % 2}\nt${t},b,${t < 3 ? t % 2 : 0}`).join('\n')}\n`);
    expect(lastJson(suture('agreement', '--metric', 'cohen-kappa', '--weights', 'quadratic', '--answers', two).stdout).value).toBeCloseTo(0.5, 12);
  });

  it('computes Fleiss kappa on D_PosSent (20 answers per task) and names the task when counts differ', () => {
    const r = suture('agreement', '--metric', 'fleiss-kappa', '--answers', join(crowd, 'd_possent/answer.csv'));
    expect(r.code).toBe(0);
    // Independent check (plain Python over the same file): 0.14925938326075816.
    expect(lastJson(r.stdout).value).toBeCloseTo(0.14925938326076, 10);
    const uneven = file('uneven.csv', 'task,worker,label\nt1,a,x\nt1,b,x\nt2,a,y\n');
    const bad = suture('agreement', '--metric', 'fleiss-kappa', '--answers', uneven);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("task 't2' has 1 answers but task 't1' has 2");
  });

  it('rejects non-numeric labels at interval level', () => {
    const path = file('words.csv', 'task,worker,label\nt1,a,red\nt1,b,blue\n');
    const r = suture('agreement', '--metric', 'krippendorff-alpha', '--level', 'interval', '--answers', path);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("value 'blue' is not a number");
    expect(readFileSync(path, 'utf8')).toContain('red');
  });
});
