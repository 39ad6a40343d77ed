// `suture media probe FILE` and `suture media deidentify IN OUT`: JSON on stdout, errors on stderr.
import { deidentifyFile, deriveDeidKeys, isMediaError, validateAndProbe, createTextDetector } from '@suture/workflows/media';

const usage = `usage:
  suture media probe FILE              validate a file and print its probe as JSON
  suture media deidentify IN OUT       write a de-identified copy and print the report as JSON
                                       (needs SUTURE_DEID_KEY, the project's de-identification secret)
options for deidentify:
  --no-ocr            do not scan pixels for burned-in text
  --clean-descriptors keep descriptions after removing identifying values (DICOM)`;

function fail(message: string, code = 1): number {
  process.stderr.write(`suture media: ${message}\n`);
  return code;
}

export async function run(argv: string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const args = argv.filter((a) => !a.startsWith('--'));
  const [command, ...rest] = args;
  if (!command || flags.has('--help')) {
    process.stdout.write(`${usage}\n`);
    return command || flags.has('--help') ? 0 : 2;
  }
  try {
    if (command === 'probe') {
      if (rest.length !== 1) return fail(`probe takes one FILE\n${usage}`, 2);
      const probe = await validateAndProbe(rest[0]!);
      process.stdout.write(`${JSON.stringify(probe, null, 2)}\n`);
      return 0;
    }
    if (command === 'deidentify') {
      if (rest.length !== 2) return fail(`deidentify takes IN and OUT\n${usage}`, 2);
      const secret = process.env.SUTURE_DEID_KEY;
      if (!secret) return fail('SUTURE_DEID_KEY is not set: export the project de-identification secret (at least 16 characters) first.', 2);
      if (secret.length < 16) return fail('SUTURE_DEID_KEY is too short: use at least 16 characters.', 2);
      const [input, output] = rest as [string, string];
      if (input === output) return fail('IN and OUT must differ.', 2);
      await validateAndProbe(input);
      const keys = deriveDeidKeys(secret);
      const report = await deidentifyFile(input, output, {
        uidKey: keys.uidKey,
        patientKey: keys.patientKey,
        dateShiftKey: keys.dateShiftKey,
        cleanDescriptors: flags.has('--clean-descriptors'),
        burnedInText: flags.has('--no-ocr') ? 'never' : 'auto',
        ...(flags.has('--no-ocr') ? {} : { textDetector: createTextDetector() }),
      });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    return fail(`unknown command '${command}'\n${usage}`, 2);
  } catch (error) {
    if (isMediaError(error)) return fail(`${error.code}: ${error.message}`);
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return fail('the input file does not exist.');
    if (code === 'EACCES') return fail('permission denied.');
    return fail(`unexpected error (${error instanceof Error ? error.name : 'unknown'}).`);
  }
}
