// `suture quality`: agreement and consensus on CSV answer files (task, worker, label), for audits and benchmarks.
import { readFile, writeFile } from 'node:fs/promises';
import {
  CONSENSUS_METHOD_NAMES,
  CONSENSUS_METHODS,
  QualityInputError,
  cohenKappaFromAnswers,
  fleissKappaFromAnswers,
  isConsensusMethod,
  krippendorffAlpha,
  majorityVote,
  percentAgreement,
  runConsensusMethod,
  type CategoricalAnswer,
  type CrowdConsensusResult,
  type KappaWeights,
  type MeasurementLevel,
  type MethodOptionDoc,
} from '@suture/workflows/quality';

/** `maxIterations` → `max-iterations`. */
function flagOf(option: string): string {
  return option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function optionUsage(o: MethodOptionDoc): string {
  const value = o.type === 'choice' ? (o.choices ?? []).join('|') : o.type === 'numbers' ? 'X,Y,...' : o.type === 'seed' ? 'S' : o.type === 'integer' ? 'N' : 'X';
  return `      --${flagOf(o.name)} ${value}  ${o.description} (default ${o.default})`;
}

const METHOD_USAGE = CONSENSUS_METHODS.map((m) =>
  [`    ${m.name}: ${m.title} (${m.reference})${m.options.length === 0 ? '; no options' : ''}`, ...m.options.map(optionUsage)].join('\n'),
).join('\n');

const USAGE = `usage:
  suture quality consensus --method ${CONSENSUS_METHOD_NAMES.join('|')} --answers A.csv [--truth T.csv]
                           [--categories A,B,...] [--duplicates count|reject] [--reliability OUT.csv]
                           [method options below]
  suture quality agreement --metric cohen-kappa|fleiss-kappa|krippendorff-alpha|percent-agreement
                           [--level nominal|ordinal|interval|ratio] [--weights linear|quadratic] --answers A.csv

Answer files: CSV with a header row; the first three columns are task, worker, label (further columns are
ignored). Truth files: CSV with a header row; columns task, truth. Quoted fields, CRLF and a BOM are accepted.

consensus prints one "task,label" line per task, then one JSON summary line: method, tasks, converged,
iterations, stoppedBy, objective, with --truth accuracy and evaluated (tasks that have a truth), and each
annotator's estimated reliability (annotator, answers, reliability, skill) unless --reliability writes them to a
CSV file (annotator,answers,reliability,skill,confusion; confusion = Dawid-Skene's matrix as JSON, rows = true
category). An iterative method that stops at its iteration cap prints a warning on stderr and "converged": false.
--categories declares the categories in order (labels outside them are rejected). --ties is the majority tie
policy (lowest|random|unresolved; random needs --seed; unresolved prints an empty label for tied tasks and
counts "unresolved" in the summary, whose reliabilities then treat ties as the lowest category).
Seeds that are integers are used as numbers, anything else as a string.

Method options (flags are the kebab-case option names of runConsensusMethod):
${METHOD_USAGE}

agreement prints {"value": ...} as its last line.
Exit codes: 0 success, 2 bad usage or bad input.`;

/** A usage or input problem: printed on stderr, exit code 2. */
class CliError extends Error {}

interface CsvRecord {
  line: number;
  fields: string[];
}

/** RFC 4180 CSV: quoted fields (with "" escapes and embedded newlines), LF/CRLF/CR line ends, optional BOM. */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let atRecordStart = true;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    atRecordStart = true;
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (atRecordStart) {
      recordLine = line;
      atRecordStart = false;
    }
    if (ch === '"' && field === '') {
      const openLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new CliError(`${file}:${openLine}: unterminated quoted field`);
        const c = text[i] as string;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CliError(`${file}:${line}: unexpected character after closing quote`);
      }
      continue;
    }
    if (ch === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      endRecord();
      line++;
    } else {
      field += ch;
      i++;
    }
  }
  if (!atRecordStart || field !== '' || fields.length > 0) endRecord();
  return records;
}

async function readCsv(file: string): Promise<CsvRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`${file}: cannot read file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(error))})`);
  }
  const records = parseCsv(text, file);
  if (records.length === 0) throw new CliError(`${file}: file is empty (expected a header row)`);
  return records;
}

async function readAnswers(file: string): Promise<CategoricalAnswer[]> {
  const [, ...rows] = await readCsv(file);
  if (rows.length === 0) throw new CliError(`${file}: no answers after the header row`);
  return rows.map(({ line, fields }) => {
    if (fields.length < 3) throw new CliError(`${file}:${line}: expected at least 3 columns (task, worker, label), got ${fields.length}`);
    const [task, worker, label] = fields.map((f) => f.trim()) as [string, string, string];
    if (task === '') throw new CliError(`${file}:${line}: empty task`);
    if (worker === '') throw new CliError(`${file}:${line}: empty worker`);
    if (label === '') throw new CliError(`${file}:${line}: empty label`);
    return { task, annotator: worker, label };
  });
}

async function readTruth(file: string): Promise<Map<string, string>> {
  const [, ...rows] = await readCsv(file);
  const truth = new Map<string, string>();
  for (const { line, fields } of rows) {
    if (fields.length < 2) throw new CliError(`${file}:${line}: expected at least 2 columns (task, truth), got ${fields.length}`);
    const [task, label] = fields.map((f) => f.trim()) as [string, string];
    if (task === '' || label === '') throw new CliError(`${file}:${line}: empty ${task === '' ? 'task' : 'truth'}`);
    const previous = truth.get(task);
    if (previous !== undefined && previous !== label) throw new CliError(`${file}:${line}: task '${task}' already has truth '${previous}'`);
    truth.set(task, label);
  }
  return truth;
}

type Flags = Map<string, string>;

function parseFlags(argv: readonly string[], allowed: Record<string, readonly string[] | null>): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new CliError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!(name in allowed)) throw new CliError(`unknown flag --${name}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new CliError(`flag --${name} needs a value`);
    const choices = allowed[name];
    if (choices && !choices.includes(value)) throw new CliError(`--${name} must be one of ${choices.join(', ')}; got '${value}'`);
    if (flags.has(name)) throw new CliError(`flag --${name} given twice`);
    flags.set(name, value);
  }
  return flags;
}

function required(flags: Flags, name: string): string {
  const value = flags.get(name);
  if (value === undefined) throw new CliError(`missing required flag --${name}`);
  return value;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

const CONSENSUS_FLAGS = ['method', 'answers', 'truth', 'categories', 'duplicates', 'reliability', 'ties'] as const;

/** Parses one method option's text by its documented type. */
function optionValue(o: MethodOptionDoc, text: string): unknown {
  const flag = `--${flagOf(o.name)}`;
  if (o.type === 'integer') {
    const v = Number(text);
    if (text.trim() === '' || !Number.isInteger(v)) throw new CliError(`${flag} must be an integer, got '${text}'`);
    return v;
  }
  if (o.type === 'number') {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v)) throw new CliError(`${flag} must be a number, got '${text}'`);
    return v;
  }
  if (o.type === 'numbers') {
    return text.split(',').map((part) => {
      const v = Number(part);
      if (part.trim() === '' || !Number.isFinite(v)) throw new CliError(`${flag} must be comma-separated numbers, got '${text}'`);
      return v;
    });
  }
  if (o.type === 'choice') {
    if (!(o.choices ?? []).includes(text)) throw new CliError(`${flag} must be one of ${(o.choices ?? []).join(', ')}; got '${text}'`);
    return text;
  }
  return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

function reliabilityCsv(result: CrowdConsensusResult): string {
  const rows = result.annotators.map((a) =>
    [csvField(a.annotator), String(a.answers), String(a.reliability), a.skill === undefined ? '' : String(a.skill), a.confusion ? csvField(JSON.stringify(a.confusion)) : ''].join(
      ',',
    ),
  );
  return `${['annotator,answers,reliability,skill,confusion', ...rows].join('\n')}\n`;
}

async function consensus(argv: readonly string[]): Promise<number> {
  const optionFlags = new Set(CONSENSUS_METHODS.flatMap((m) => m.options.map((o) => flagOf(o.name))));
  const flags = parseFlags(
    argv,
    Object.fromEntries([...CONSENSUS_FLAGS, ...optionFlags].map((f) => [f, f === 'duplicates' ? ['count', 'reject'] : f === 'ties' ? ['lowest', 'random', 'unresolved'] : null])),
  );
  const method = required(flags, 'method');
  if (!isConsensusMethod(method)) throw new CliError(`--method must be one of ${CONSENSUS_METHOD_NAMES.join(', ')}; got '${method}'`);
  const doc = CONSENSUS_METHODS.find((m) => m.name === method) as (typeof CONSENSUS_METHODS)[number];
  const options: Record<string, unknown> = {};
  for (const [flag, text] of flags) {
    if ((CONSENSUS_FLAGS as readonly string[]).includes(flag)) continue;
    const o = doc.options.find((x) => flagOf(x.name) === flag);
    if (!o) {
      const own = doc.options.map((x) => `--${flagOf(x.name)}`);
      throw new CliError(`--${flag} does not apply to --method ${method} (${own.length === 0 ? 'it has no options' : `its options: ${own.join(', ')}`})`);
    }
    options[o.name] = optionValue(o, text);
  }
  const ties = flags.get('ties');
  if (ties !== undefined && method !== 'majority') throw new CliError(`--ties applies to --method majority only`);
  if (ties !== undefined && flags.has('tie-policy')) throw new CliError('give --ties or --tie-policy, not both');
  if (ties === 'random' || ties === 'lowest') options.tiePolicy = ties;
  if ((options.tiePolicy === 'random' || ties === 'random') && options.seed === undefined) throw new CliError('--ties random needs --seed');
  const categories = flags.get('categories');
  if (categories !== undefined) {
    const list = categories.split(',').map((c) => c.trim());
    if (list.some((c) => c === '')) throw new CliError(`--categories has an empty category: '${categories}'`);
    options.categories = list;
  }
  const duplicates = flags.get('duplicates');
  if (duplicates !== undefined) options.duplicates = duplicates;
  const answersFile = required(flags, 'answers');
  const truthFile = flags.get('truth');
  const reliabilityFile = flags.get('reliability');
  const answers = await readAnswers(answersFile);
  const truth = truthFile === undefined ? undefined : await readTruth(truthFile);
  let result: CrowdConsensusResult;
  try {
    result = runConsensusMethod(method, answers, options);
  } catch (error) {
    // Bad option values are the command line's fault, not the answer file's: name the flag.
    const option = error instanceof QualityInputError ? doc.options.find((o) => error.message.startsWith(`${o.name} `)) : undefined;
    if (option) throw new CliError(`--${flagOf(option.name)}: ${(error as Error).message}`);
    throw error;
  }
  let labels: Array<{ task: string; label: string | null }> = result.tasks;
  let unresolved: number | undefined;
  if (ties === 'unresolved') {
    labels = majorityVote(answers, {
      tiePolicy: 'unresolved',
      ...(options.categories ? { categories: options.categories as string[] } : {}),
      duplicates: (duplicates ?? 'count') as 'count' | 'reject',
    }).tasks;
    unresolved = labels.filter((t) => t.label === null).length;
  }
  const out: string[] = labels.map((t) => `${csvField(t.task)},${t.label === null ? '' : csvField(t.label)}`);
  const { convergence } = result;
  const summary: Record<string, unknown> = {
    method,
    tasks: result.tasks.length,
    converged: convergence.converged,
    iterations: convergence.iterations,
    stoppedBy: convergence.stoppedBy,
    ...(convergence.objective === undefined || !Number.isFinite(convergence.objective) ? {} : { objective: convergence.objective }),
    ...(unresolved === undefined ? {} : { unresolved }),
  };
  if (truth) {
    let evaluated = 0;
    let correct = 0;
    for (const t of labels) {
      const expected = truth.get(t.task);
      if (expected === undefined) continue;
      evaluated++;
      if (t.label === expected) correct++;
    }
    summary.accuracy = evaluated === 0 ? null : correct / evaluated;
    summary.evaluated = evaluated;
  }
  if (reliabilityFile !== undefined) {
    try {
      await writeFile(reliabilityFile, reliabilityCsv(result));
    } catch (error) {
      throw new CliError(`${reliabilityFile}: cannot write file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    summary.reliability = reliabilityFile;
  } else {
    summary.annotators = result.annotators.map((a) => ({
      annotator: a.annotator,
      answers: a.answers,
      reliability: a.reliability,
      ...(a.skill === undefined ? {} : { skill: a.skill }),
    }));
  }
  if (!convergence.converged) {
    process.stderr.write(
      `suture quality: warning: ${method} did not converge: it stopped at its iteration cap (${convergence.iterations} iterations); the labels are those of the last iteration. Raise --max-iterations or loosen --tolerance.\n`,
    );
  }
  out.push(JSON.stringify(summary));
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

async function agreement(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, {
    metric: ['cohen-kappa', 'fleiss-kappa', 'krippendorff-alpha', 'percent-agreement'],
    level: ['nominal', 'ordinal', 'interval', 'ratio'],
    weights: ['none', 'linear', 'quadratic'],
    answers: null,
  });
  const metric = required(flags, 'metric');
  const answers = await readAnswers(required(flags, 'answers'));
  if (flags.has('weights') && metric !== 'cohen-kappa') throw new CliError('--weights applies to --metric cohen-kappa only');
  if (flags.has('level') && metric !== 'krippendorff-alpha') throw new CliError('--level applies to --metric krippendorff-alpha only');
  let value: number;
  if (metric === 'cohen-kappa') value = cohenKappaFromAnswers(answers, { weights: (flags.get('weights') ?? 'none') as KappaWeights });
  else if (metric === 'fleiss-kappa') value = fleissKappaFromAnswers(answers);
  else if (metric === 'krippendorff-alpha') value = krippendorffAlpha(answers, (flags.get('level') ?? 'nominal') as MeasurementLevel);
  else value = percentAgreement(answers);
  process.stdout.write(`${JSON.stringify({ value })}\n`);
  return 0;
}

/** Entry point used by the `suture` dispatcher; returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      (sub === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
      return sub === undefined ? 2 : 0;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (sub === 'consensus') return await consensus(rest);
    if (sub === 'agreement') return await agreement(rest);
    throw new CliError(`unknown subcommand '${sub}'`);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(
        `suture quality: ${error.message}\n${error.message.startsWith('unknown') || error.message.startsWith('missing') || error.message.startsWith('unexpected argument') ? `\n${USAGE}\n` : ''}`,
      );
      return 2;
    }
    if (error instanceof QualityInputError) {
      const file = argv[argv.indexOf('--answers') + 1];
      process.stderr.write(`suture quality: ${file ? `${file}: ` : ''}${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
