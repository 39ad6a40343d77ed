// `suture media probe FILE`, `suture media deidentify IN OUT` and `suture media restore-original ASSET_ID OUT`:
// JSON on stdout, errors on stderr (never a file name or anything read from a file: they may hold PHI).
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createPrisma } from '@suture/db';
import { deidentifyFile, deriveDeidKeys, isMediaError, validateAndProbe, createTextDetector } from '@suture/workflows/media';
import { EnvelopeError, decryptToFile, masterKeyId, parseEnvelopeRecord, parseMasterKey, rewrapRecord } from '@suture/workflows/media/envelope';
import { appendAudit } from '@suture/workflows/services/audit-log';
import { createS3 } from '@suture/workflows/services/s3';
import { existingLocalSecret, localDataDir } from './local-secrets.ts';

const usage = `usage:
  suture media probe FILE              validate a file and print its probe as JSON
  suture media deidentify IN OUT       write a de-identified copy and print the report as JSON
                                       (needs SUTURE_DEID_KEY, or the local install's secret from 'suture up')
  suture media restore-original ASSET_ID OUT
                                       decrypt an original kept by a RETAIN_ENCRYPTED campaign to OUT and
                                       verify its SHA-256 (needs DATABASE_URL, S3_BUCKET, S3_ACCESS_KEY_ID,
                                       S3_SECRET_ACCESS_KEY, S3_ENDPOINT if not AWS, SUTURE_ORIGINALS_KEY);
                                       the restore is recorded in the audit log
  suture media rewrap-originals      key rotation: re-wrap the data key of every retained original under a new
                                       master key (SUTURE_ORIGINALS_KEY = the new key, SUTURE_ORIGINALS_OLD_KEY = the
                                       old one, plus DATABASE_URL); the encrypted files stay as they are
options for deidentify:
  --no-ocr            do not scan pixels for burned-in text
  --clean-descriptors keep descriptions after removing identifying values (DICOM)
options for restore-original:
  --force             overwrite OUT if it exists`;

function fail(message: string, code = 1): number {
  process.stderr.write(`suture media: ${message}\n`);
  return code;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Decrypts a retained original to `out` (through `<out>.partial`), verified against the recorded SHA-256. */
async function restoreOriginal(assetId: string, out: string, env: Record<string, string | undefined>, force: boolean): Promise<number> {
  if (!UUID.test(assetId)) return fail('ASSET_ID must be an asset id (a UUID).', 2);
  const missing = ['DATABASE_URL', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'SUTURE_ORIGINALS_KEY'].filter((name) => !env[name]);
  if (missing.length) return fail(`restore-original needs ${missing.join(', ')} in the environment (the same values the worker runs with).`, 2);
  let masterKey: Buffer;
  try {
    masterKey = parseMasterKey(env.SUTURE_ORIGINALS_KEY!);
  } catch (error) {
    if (error instanceof EnvelopeError) return fail(`SUTURE_ORIGINALS_KEY: ${error.message}.`, 2);
    throw error;
  }
  if (existsSync(out) && !force) return fail('OUT already exists; choose another path or pass --force.', 2);
  const prisma = createPrisma(env.DATABASE_URL!, { max: 2 });
  const s3 = createS3({
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    region: env.S3_REGION || 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID!,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
    forcePathStyle: (env.S3_FORCE_PATH_STYLE ?? 'true') !== 'false',
  });
  try {
    const asset = await prisma.asset.findUnique({ where: { id: assetId }, select: { id: true, originalKey: true, sha256: true, metadata: true } });
    if (!asset) return fail(`asset ${assetId} does not exist.`);
    if (!asset.originalKey) return fail(`asset ${assetId} has no retained original: its campaign's media policy deletes originals, or its ingest has not finished.`);
    const record = parseEnvelopeRecord((asset.metadata as { original?: unknown } | null)?.original);
    let body: Readable;
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: env.S3_BUCKET!, Key: asset.originalKey }));
      if (!res.Body) return fail(`the encrypted original of asset ${assetId} is empty in S3.`);
      body = res.Body as Readable;
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'error';
      return fail(`the encrypted original of asset ${assetId} could not be read from S3 (${name}); it is expected at ${asset.originalKey}.`);
    }
    const restored = await decryptToFile(body, out, record, masterKey);
    // The record's SHA-256 was checked while decrypting; it must also be the hash ingest recorded for the upload.
    if (asset.sha256 && restored.sha256 !== asset.sha256) return fail(`the restored file's SHA-256 differs from the upload's recorded hash; OUT is not the original.`);
    await prisma.$transaction((tx) => appendAudit(tx, { action: 'asset.original-restored', entityType: 'Asset', entityId: asset.id, data: { bytes: restored.bytes, via: 'cli' } }));
    process.stdout.write(`${JSON.stringify({ assetId: asset.id, bytes: restored.bytes, sha256: restored.sha256, verified: true })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof EnvelopeError) return fail(`${error.code}: ${error.message}.`);
    throw error;
  } finally {
    s3.destroy();
    await prisma.$disconnect();
  }
}

/**
 * Rotates the originals master key: every asset whose retained original is wrapped under the old key gets
 * its record re-wrapped under the new one, one transaction per asset (a run can stop and start again), each
 * audited. Assets already under the new key are left alone.
 */
export async function rewrapOriginals(env: Record<string, string | undefined>): Promise<number> {
  const missing = ['DATABASE_URL', 'SUTURE_ORIGINALS_KEY', 'SUTURE_ORIGINALS_OLD_KEY'].filter((name) => !env[name]);
  if (missing.length) return fail(`rewrap-originals needs ${missing.join(', ')} in the environment.`, 2);
  let newKey: Buffer;
  let oldKey: Buffer;
  try {
    newKey = parseMasterKey(env.SUTURE_ORIGINALS_KEY!);
    oldKey = parseMasterKey(env.SUTURE_ORIGINALS_OLD_KEY!);
  } catch (error) {
    if (error instanceof EnvelopeError) return fail(`${error.message}.`, 2);
    throw error;
  }
  const prisma = createPrisma(env.DATABASE_URL!, { max: 2 });
  const from = masterKeyId(oldKey);
  let rewrapped = 0;
  let already = 0;
  try {
    const assets = await prisma.asset.findMany({ where: { originalKey: { not: null } }, select: { id: true }, orderBy: { id: 'asc' } });
    for (const { id } of assets) {
      const done = await prisma.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<Array<{ metadata: { original?: unknown } }>>`SELECT metadata FROM "Asset" WHERE id = ${id}::uuid FOR UPDATE`;
        const record = parseEnvelopeRecord(row?.metadata.original);
        if (record.masterKeyId !== from) return false;
        const next = rewrapRecord(record, oldKey, newKey);
        await tx.$executeRaw`UPDATE "Asset" SET metadata = jsonb_set(metadata, '{original}', ${JSON.stringify(next)}::jsonb) WHERE id = ${id}::uuid`;
        await appendAudit(tx, { action: 'asset.original-rewrapped', entityType: 'Asset', entityId: id, data: { from, to: next.masterKeyId } });
        return true;
      });
      if (done) rewrapped += 1;
      else already += 1;
    }
    process.stdout.write(`${JSON.stringify({ rewrapped, untouched: already, masterKeyId: masterKeyId(newKey) })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof EnvelopeError) return fail(`${error.code}: ${error.message} (nothing more was changed; assets done so far are under the new key).`);
    throw error;
  } finally {
    await prisma.$disconnect();
  }
}

export async function run(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
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
      // The environment's secret, or the one `suture up` generated for this local install.
      const secret = env.SUTURE_DEID_KEY ?? existingLocalSecret(localDataDir(env), 'deidKey');
      if (!secret)
        return fail('SUTURE_DEID_KEY is not set (and no local install secret was found): export the project de-identification secret (at least 16 characters) first.', 2);
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
    if (command === 'rewrap-originals') {
      if (rest.length !== 0) return fail(`rewrap-originals takes no arguments\n${usage}`, 2);
      return await rewrapOriginals(env);
    }
    if (command === 'restore-original') {
      if (rest.length !== 2) return fail(`restore-original takes ASSET_ID and OUT\n${usage}`, 2);
      return await restoreOriginal(rest[0]!, rest[1]!, env, flags.has('--force'));
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
