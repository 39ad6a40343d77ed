// Runs the real `suture quality` command on the public crowd files and on malformed temporary files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

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
    expect(lastJson(r.stdout)).toEqual({ accuracy: 1, evaluated: 1 });
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
    const choice = suture('consensus', '--method', 'glad', '--answers', 'x.csv');
    expect(choice.stderr).toContain("--method must be one of majority, dawid-skene; got 'glad'");
    expect(suture('consensus', '--answers', 'x.csv').stderr).toContain('missing required flag --method');
    const missing = suture('consensus', '--method', 'majority', '--answers', join(tmp, 'nope.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.csv: cannot read file (no such file)');
    expect(suture('frobnicate').code).toBe(2);
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
