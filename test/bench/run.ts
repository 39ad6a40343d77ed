// `pnpm bench [suite ...]`: runs benchmark suites and writes results/latest.json and results/latest.md.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import type { BenchFigure, BenchSuite } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function loadSuites(): Promise<BenchSuite[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchSuite };
    suites.push(mod.default);
  }
  return suites;
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const suites = (await loadSuites()).filter((s) => wanted.length === 0 || wanted.includes(s.id));
  if (suites.length === 0) {
    console.error(`no benchmark suite matches ${wanted.join(', ')}`);
    process.exit(2);
  }
  const results: Array<{ suite: string; title: string; figures: BenchFigure[]; error?: string; environment?: Record<string, string | number> }> = [];
  for (const suite of suites) {
    console.log(`# ${suite.title}`);
    try {
      const figures = await suite.run();
      for (const f of figures) {
        console.log(
          `  ${f.name}: ${fmt(f.value)} ${f.unit} | ${f.baselineName}: ${fmt(f.baselineValue)} ${f.unit} | ratio ${fmt(f.ratio)}${f.target ? ` | target ${f.target}: ${f.met ? 'met' : 'NOT met'}` : ''}`,
        );
      }
      results.push({ suite: suite.id, title: suite.title, figures, ...(suite.environment ? { environment: suite.environment } : {}) });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`  failed: ${message}`);
      results.push({ suite: suite.id, title: suite.title, figures: [], error: message, ...(suite.environment ? { environment: suite.environment } : {}) });
    }
  }
  const outDir = join(here, 'results');
  await mkdir(outDir, { recursive: true });
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  const at = new Date().toISOString();
  await writeFile(join(outDir, 'latest.json'), JSON.stringify({ at, machine, results }, null, 2));
  const header = [`# Benchmark results (${at})`, '', `Machine: ${machine.cpus} cores, ${machine.cpu}, ${machine.memGiB} GiB, Node ${machine.node}`, ''];
  const suiteMarkdown = (r: (typeof results)[number]): string[] => [
    `## ${r.title}`,
    '',
    ...(r.error ? ['```', r.error, '```', ''] : []),
    ...(r.environment ? [...Object.entries(r.environment).map(([k, v]) => `- ${k}: ${v}`), ''] : []),
    '| figure | value | baseline | baseline value | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
    ...r.figures.map(
      (f) =>
        `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.baselineName} | ${fmt(f.baselineValue)} ${f.unit} | ${fmt(f.ratio)} | ${f.target ?? ''} | ${f.target ? (f.met ? 'yes' : 'no') : ''} |`,
    ),
    '',
  ];
  await writeFile(join(outDir, 'latest.md'), [...header, ...results.flatMap(suiteMarkdown)].join('\n'));
  // One file per suite as well, so running one suite never hides another suite's last figures.
  for (const r of results) {
    await writeFile(join(outDir, `${r.suite}.json`), JSON.stringify({ at, machine, ...r }, null, 2));
    await writeFile(join(outDir, `${r.suite}.md`), [...header, ...suiteMarkdown(r)].join('\n'));
  }
  console.log(`results written to ${join(outDir, 'latest.md')} and ${results.map((r) => `${r.suite}.md`).join(', ')}`);
  if (results.some((r) => r.error)) process.exit(1);
}

await main();
