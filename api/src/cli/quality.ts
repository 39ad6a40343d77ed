// `suture quality`: agreement and consensus on CSV answer files (task, worker, label), for audits and benchmarks.
import { readFile } from 'node:fs/promises';
import {
  QualityInputError,
  cohenKappaFromAnswers,
  dawidSkene,
  fleissKappaFromAnswers,
  krippendorffAlpha,
  majorityVote,
  percentAgreement,
  type CategoricalAnswer,
  type KappaWeights,
  type MeasurementLevel,
  type TiePolicy,
} from '@suture/workflows/quality';

const USAGE = `usage:
  suture quality consensus --method majority|dawid-skene --answers A.csv [--truth T.csv]
                           [--ties lowest|random|unresolved] [--seed S]
  suture quality agreement --metric cohen-kappa|fleiss-kappa|krippendorff-alpha|percent-agreement
                           [--level nominal|ordinal|interval|ratio] [--weights linear|quadratic] --answers A.csv

Answer files: CSV with a header row; the first three columns are task, worker, label (further columns are
ignored). Truth files: CSV with a header row; columns task, truth. Quoted fields, CRLF and a BOM are accepted.
consensus prints one "task,label" line per task and, with --truth, {"accuracy": ...} as its last line
(accuracy over tasks that have a truth). agreement prints {"value": ...} as its last line.
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

async function consensus(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { method: ['majority', 'dawid-skene'], answers: null, truth: null, ties: ['lowest', 'random', 'unresolved'], seed: null });
  const method = required(flags, 'method');
  const answersFile = required(flags, 'answers');
  const truthFile = flags.get('truth');
  const answers = await readAnswers(answersFile);
  const truth = truthFile === undefined ? undefined : await readTruth(truthFile);
  let labels: Array<{ task: string; label: string | null }>;
  if (method === 'majority') {
    const ties = (flags.get('ties') ?? 'lowest') as TiePolicy;
    const seed = flags.get('seed');
    if (ties === 'random' && seed === undefined) throw new CliError('--ties random needs --seed');
    labels = majorityVote(answers, { tiePolicy: ties, ...(seed === undefined ? {} : { seed }) }).tasks;
  } else {
    if (flags.has('ties') || flags.has('seed')) throw new CliError('--ties and --seed apply to --method majority only');
    labels = dawidSkene(answers).tasks;
  }
  const out: string[] = labels.map((t) => `${csvField(t.task)},${t.label === null ? '' : csvField(t.label)}`);
  if (truth) {
    let evaluated = 0;
    let correct = 0;
    for (const t of labels) {
      const expected = truth.get(t.task);
      if (expected === undefined) continue;
      evaluated++;
      if (t.label === expected) correct++;
    }
    out.push(JSON.stringify({ accuracy: evaluated === 0 ? null : correct / evaluated, evaluated }));
  }
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
