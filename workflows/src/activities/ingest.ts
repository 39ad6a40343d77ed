// Turns a quarantined original into the de-identified derivatives annotators see, with the media
// library: validate and probe, de-duplicate by hash, de-identify (PS3.15 profile for DICOM, header
// scrub for NIfTI, metadata strip and burned-in text redaction for video and images), render what the
// browser shows (PNG for DICOM/NIfTI, an H.264 proxy and frame index for video), then drop the original.
// A file that fails gets a specific error on its asset and never stops the rest of the batch.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Asset, AssetKind, Prisma, PrismaClient } from '@suture/db';
import { appendAudit } from '../services/audit-log.ts';
import {
  MediaError,
  deidentifyFile,
  deriveDeidKeys,
  niftiSlicePng,
  readDicom,
  readNifti,
  renderFramePng,
  sha256File,
  transcodeProxy,
  validateAndProbe,
  type TextDetector,
} from '../media/index.ts';

export interface IngestDeps {
  prisma: PrismaClient;
  s3: S3Client;
  bucket: string;
  sse?: 'AES256' | 'aws:kms' | undefined;
  /** The project's de-identification secret (UID remapping, pseudonyms, date shifts); from configuration. */
  deidSecret: string;
  textDetector?: TextDetector;
  heartbeat?: (details: unknown) => void;
}

export const derivativeKeyFor = (asset: Pick<Asset, 'campaignId' | 'id'>, name: string): string => `derived/${asset.campaignId}/${asset.id}/${name}`;

const kindOfProbe: Record<string, AssetKind> = { dicom: 'DICOM', nifti: 'NIFTI', video: 'VIDEO', image: 'IMAGE' };
const extension: Record<AssetKind, string> = { DICOM: 'dcm', NIFTI: 'nii.gz', VIDEO: 'mp4', IMAGE: 'png' };

async function download(s3: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!res.Body) throw new MediaError('EMPTY_FILE', 'The uploaded object has no content.');
  await pipeline(res.Body as Readable, createWriteStream(path));
}

async function upload(deps: IngestDeps, key: string, path: string, contentType: string): Promise<void> {
  const { size } = await stat(path);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: size,
      ContentType: contentType,
      ...(deps.sse ? { ServerSideEncryption: deps.sse } : {}),
    }),
  );
}

async function fail(deps: IngestDeps, asset: Asset, code: string, message: string, metadata?: Prisma.InputJsonValue): Promise<'FAILED'> {
  await deps.prisma.$transaction(async (tx) => {
    await tx.asset.update({ where: { id: asset.id }, data: { status: 'FAILED', errorCode: code, errorMessage: message, ...(metadata ? { metadata } : {}) } });
    await appendAudit(tx, { action: 'asset.failed', entityType: 'Asset', entityId: asset.id, data: { code } });
  });
  return 'FAILED';
}

export async function deidentifyAsset(deps: IngestDeps, asset: Asset): Promise<'READY' | 'FAILED'> {
  const dir = await mkdtemp(join(tmpdir(), 'suture-ingest-'));
  try {
    const original = join(dir, 'original');
    await download(deps.s3, deps.bucket, asset.key, original);
    if ((await stat(original)).size === 0) return await fail(deps, asset, 'EMPTY_FILE', 'The uploaded file is empty.');
    const sha256 = await sha256File(original);
    // Only a successfully ingested file counts as the original of a duplicate; the hash is recorded with success.
    const duplicate = await deps.prisma.asset.findFirst({ where: { campaignId: asset.campaignId, sha256, status: 'READY', id: { not: asset.id } }, select: { id: true } });
    if (duplicate) return await fail(deps, asset, 'DUPLICATE', `The same file was already uploaded to this campaign as asset ${duplicate.id}.`, { duplicateOf: duplicate.id });
    deps.heartbeat?.({ assetId: asset.id, step: 'probe' });

    const probe = await validateAndProbe(original);
    const kind = kindOfProbe[probe.kind]!;
    if (kind !== asset.kind) throw new MediaError('FORMAT_MISMATCH', `The file is ${probe.kind} but was announced as ${asset.kind.toLowerCase()}.`);

    const keys = deriveDeidKeys(Buffer.from(deps.deidSecret, 'utf8'));
    const deidentified = join(dir, `deidentified.${extension[kind]}`);
    deps.heartbeat?.({ assetId: asset.id, step: 'deidentify' });
    const report = await deidentifyFile(original, deidentified, {
      ...keys,
      cleanDescriptors: true,
      burnedInText: deps.textDetector ? 'auto' : 'never',
      ...(deps.textDetector ? { textDetector: deps.textDetector } : {}),
    });

    // What the browser shows: always made from the de-identified file, never from the original.
    const uploads: Array<{ name: string; path: string; contentType: string }> = [
      {
        name: `deidentified.${extension[kind]}`,
        path: deidentified,
        contentType: kind === 'IMAGE' ? 'image/png' : kind === 'VIDEO' ? 'video/mp4' : kind === 'DICOM' ? 'application/dicom' : 'application/gzip',
      },
    ];
    let display = uploads[0]!.name;
    const extra: Record<string, unknown> = {};
    if (kind === 'DICOM') {
      const file = readDicom(await readFile(deidentified));
      try {
        await writeFile(join(dir, 'display.png'), await renderFramePng(file, 0));
        uploads.push({ name: 'display.png', path: join(dir, 'display.png'), contentType: 'image/png' });
        display = 'display.png';
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        extra.displayError = error.code;
      }
    } else if (kind === 'NIFTI') {
      const volume = await readNifti(deidentified);
      const z = Math.floor((volume.header.dims[3] ?? 1) / 2);
      await writeFile(join(dir, 'display.png'), await niftiSlicePng(volume, { z }));
      uploads.push({ name: 'display.png', path: join(dir, 'display.png'), contentType: 'image/png' });
      display = 'display.png';
    } else if (kind === 'VIDEO') {
      deps.heartbeat?.({ assetId: asset.id, step: 'proxy' });
      const proxy = await transcodeProxy(deidentified, join(dir, 'proxy.mp4'));
      await writeFile(join(dir, 'frames.json'), JSON.stringify(proxy.index));
      uploads.push(
        { name: 'proxy.mp4', path: join(dir, 'proxy.mp4'), contentType: 'video/mp4' },
        { name: 'frames.json', path: join(dir, 'frames.json'), contentType: 'application/json' },
      );
      display = 'proxy.mp4';
      extra.proxyFps = proxy.fps;
    }
    for (const u of uploads) await upload(deps, derivativeKeyFor(asset, u.name), u.path, u.contentType);

    const needsHumanReview = 'needsHumanReview' in report ? report.needsHumanReview : false;
    const metadata = { probe, deid: summarize(report), needsHumanReview, ...extra } as unknown as Prisma.InputJsonValue;
    await deps.prisma.$transaction(async (tx) => {
      await tx.asset.update({
        where: { id: asset.id },
        data: { status: 'READY', sha256, derivativeKey: derivativeKeyFor(asset, display), metadata, errorCode: null, errorMessage: null },
      });
      await appendAudit(tx, { action: 'asset.deidentified', entityType: 'Asset', entityId: asset.id, data: { kind, needsHumanReview } });
    });
    // Raw originals never stay once a de-identified derivative exists.
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: asset.key }));
    return 'READY';
  } catch (error) {
    if (error instanceof MediaError) return fail(deps, asset, error.code, error.message);
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What changed, as counts and attribute names: the report never carries old values. */
function summarize(report: Awaited<ReturnType<typeof deidentifyFile>>): Record<string, unknown> {
  switch (report.kind) {
    case 'dicom':
      return { kind: report.kind, counts: report.counts, options: report.options, burnedIn: report.burnedIn, changes: report.changes.length };
    case 'video':
      return { kind: report.kind, metadataStripped: report.metadataStripped, framesScanned: report.framesScanned, redacted: report.redacted, reviewReasons: report.reviewReasons };
    default:
      return { kind: report.kind, changes: report.changes, reviewReasons: report.reviewReasons };
  }
}
