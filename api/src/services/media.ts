// Uploads and downloads through presigned S3 URLs: bytes never pass through the API.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Asset, AssetKind } from '@suture/db';
import { partCount, partSizeFor, quarantineKey } from '@suture/workflows/media/ingest';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.ts';

/** Presigned URLs live this long: enough for one part or one view, short enough to be useless if leaked. */
export const PRESIGN_SECONDS = 300;
/** Hour-long recordings run to tens of GB; S3 takes up to 5 TiB, in at most 10,000 parts. */
export const MAX_UPLOAD_BYTES = 50 * 1024 ** 3;

const kindByType: Array<[RegExp, AssetKind]> = [
  [/^image\/(png|jpeg|tiff|webp)$/, 'IMAGE'],
  [/^video\/(mp4|quicktime|x-matroska|webm)$/, 'VIDEO'],
  [/^application\/dicom$/, 'DICOM'],
  [/^application\/(x-nifti|gzip)$/, 'NIFTI'],
];

export interface UploadPlan {
  assetId: string;
  uploadId: string;
  partSize: number;
  parts: Array<{ partNumber: number; url: string }>;
  expiresInSeconds: number;
}

/** The parts of an upload of `sizeBytes`: always a multipart upload, so that any size resumes part by part. */
function partPlan(sizeBytes: number): { partSize: number; count: number } {
  const partSize = partSizeFor(sizeBytes);
  return { partSize, count: partCount(sizeBytes, partSize) };
}

/** Creates the asset and a multipart upload into quarantine; the browser PUTs each part to its URL. */
/** A file name as the console shows it: its last path segment, control characters out, at most 255 characters. */
export function cleanFileName(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (clean === '') return null;
  if (clean.length > 255) throw new InvalidInputError(`a file name has at most 255 characters (this one has ${clean.length})`);
  return clean;
}

export async function requestUpload(
  services: Services,
  actor: AuthUser,
  input: { campaignId: string; contentType: string; sizeBytes: number; fileName?: string | null },
): Promise<UploadPlan> {
  const kind = kindByType.find(([re]) => re.test(input.contentType))?.[1];
  if (!kind) throw new InvalidInputError(`content type '${input.contentType}' is not accepted; use PNG/JPEG/TIFF images, MP4/MOV/MKV/WebM video, DICOM or NIfTI`);
  // Sizes arrive as GraphQL Float (Int is 32-bit): a whole number of bytes is checked here.
  if (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes <= 0) throw new InvalidInputError(`sizeBytes must be a positive whole number of bytes (got ${input.sizeBytes})`);
  if (input.sizeBytes > MAX_UPLOAD_BYTES) throw new InvalidInputError(`files over ${MAX_UPLOAD_BYTES / 1024 ** 3} GiB are not accepted (this one has ${input.sizeBytes} bytes)`);
  const fileName = cleanFileName(input.fileName);
  const { prisma, s3, config } = services;
  const campaign = await prisma.campaign.findUnique({ where: { id: input.campaignId }, select: { id: true } });
  if (!campaign) throw new NotFoundError('campaign');
  const asset = await prisma.asset.create({
    data: { campaignId: campaign.id, kind, key: `pending/${crypto.randomUUID()}`, contentType: input.contentType, sizeBytes: BigInt(input.sizeBytes), fileName },
  });
  // The key names the campaign and asset only: never a file name, which may carry PHI.
  const key = quarantineKey(campaign.id, asset.id);
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: config.S3_BUCKET, Key: key, ContentType: input.contentType }));
  const uploadId = created.UploadId!;
  await prisma.$transaction(async (tx) => {
    await tx.asset.update({ where: { id: asset.id }, data: { key, uploadId } });
    await appendAudit(tx, { actorId: actor.id, action: 'asset.upload-requested', entityType: 'Asset', entityId: asset.id, data: { kind, sizeBytes: input.sizeBytes } });
  });
  const { partSize, count } = partPlan(input.sizeBytes);
  return { assetId: asset.id, uploadId, partSize, parts: await presignParts(services, key, uploadId, 1, count), expiresInSeconds: PRESIGN_SECONDS };
}

async function presignParts(services: Services, key: string, uploadId: string, from: number, to: number): Promise<UploadPlan['parts']> {
  const parts: UploadPlan['parts'] = [];
  for (let partNumber = from; partNumber <= to; partNumber++) {
    const url = await getSignedUrl(services.s3Presign, new UploadPartCommand({ Bucket: services.config.S3_BUCKET, Key: key, UploadId: uploadId, PartNumber: partNumber }), {
      expiresIn: PRESIGN_SECONDS,
    });
    parts.push({ partNumber, url });
  }
  return parts;
}

/** Resuming a broken upload: which parts S3 already has, and fresh URLs for the rest. */
export async function resumeUpload(services: Services, actor: AuthUser, assetId: string): Promise<{ uploaded: number[]; plan: UploadPlan }> {
  const asset = await services.prisma.asset.findUnique({ where: { id: assetId } });
  if (!asset || !asset.uploadId || asset.status !== 'AWAITING_UPLOAD') throw new NotFoundError('upload in progress for this asset');
  // Stores without ListParts (s3rver) report nothing: the client then skips the parts in its own checkpoint.
  const uploaded = (await listedParts(services, asset.key, asset.uploadId).catch(() => [])).map((p) => p.partNumber).sort((a, b) => a - b);
  const { partSize, count } = partPlan(Number(asset.sizeBytes ?? 1));
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !uploaded.includes(n));
  const parts: UploadPlan['parts'] = [];
  for (const n of missing) parts.push(...(await presignParts(services, asset.key, asset.uploadId, n, n)));
  await appendAudit(services.prisma, {
    actorId: actor.id,
    action: 'asset.upload-resumed',
    entityType: 'Asset',
    entityId: asset.id,
    data: { uploaded: uploaded.length, missing: missing.length },
  });
  return { uploaded, plan: { assetId, uploadId: asset.uploadId, partSize, parts, expiresInSeconds: PRESIGN_SECONDS } };
}

export async function completeUpload(services: Services, actor: AuthUser, input: { assetId: string; parts: Array<{ partNumber: number; etag: string }> }): Promise<string> {
  const { prisma, s3, config } = services;
  const asset = await prisma.asset.findUnique({ where: { id: input.assetId } });
  if (!asset) throw new NotFoundError('asset');
  if (asset.status !== 'AWAITING_UPLOAD' || !asset.uploadId) throw new DomainError('CONFLICT', 'this upload is already complete');
  // Without a part list (a resumed upload), S3's own list of received parts is used.
  const parts = input.parts.length > 0 ? input.parts : await listedParts(services, asset.key, asset.uploadId);
  if (parts.length === 0) throw new InvalidInputError('no part of this upload has arrived yet');
  const expectedParts = partPlan(Number(asset.sizeBytes ?? 1)).count;
  if (parts.length !== expectedParts) throw new InvalidInputError(`${parts.length} of ${expectedParts} parts have arrived; resume the upload to send the rest`);
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: config.S3_BUCKET,
        Key: asset.key,
        UploadId: asset.uploadId,
        MultipartUpload: { Parts: [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
  } catch (error) {
    throw new InvalidInputError(`S3 refused to assemble the parts (${(error as Error).name}); resume the upload and send every part`);
  }
  const head = await s3.send(new HeadObjectCommand({ Bucket: config.S3_BUCKET, Key: asset.key }));
  if (asset.sizeBytes !== null && BigInt(head.ContentLength ?? -1) !== asset.sizeBytes) {
    throw new InvalidInputError(`the uploaded object has ${head.ContentLength} bytes but ${asset.sizeBytes} were announced`);
  }
  await prisma.$transaction(async (tx) => {
    await tx.asset.update({ where: { id: asset.id }, data: { status: 'QUARANTINED', uploadId: null } });
    await appendAudit(tx, { actorId: actor.id, action: 'asset.uploaded', entityType: 'Asset', entityId: asset.id, data: { parts: parts.length } });
  });
  return asset.id;
}

async function listedParts(services: Services, key: string, uploadId: string): Promise<Array<{ partNumber: number; etag: string }>> {
  const listed = await services.s3.send(new ListPartsCommand({ Bucket: services.config.S3_BUCKET, Key: key, UploadId: uploadId }));
  return (listed.Parts ?? []).map((p) => ({ partNumber: p.PartNumber!, etag: p.ETag! }));
}

export async function abortUpload(services: Services, actor: AuthUser, assetId: string): Promise<void> {
  const asset = await services.prisma.asset.findUnique({ where: { id: assetId } });
  if (!asset?.uploadId) return;
  // A store that refuses the abort (s3rver has none) leaves the parts to the bucket's lifecycle rule
  // (AbortIncompleteMultipartUpload); the asset is failed all the same, so it is never ingested.
  const s3Aborted = await services.s3
    .send(new AbortMultipartUploadCommand({ Bucket: services.config.S3_BUCKET, Key: asset.key, UploadId: asset.uploadId }))
    .then(() => true)
    .catch((error: unknown) => {
      services.log('warn', 'S3 refused to abort the multipart upload', { assetId, error: (error as Error).name });
      return false;
    });
  await services.prisma.$transaction(async (tx) => {
    await tx.asset.update({ where: { id: assetId }, data: { status: 'FAILED', errorCode: 'ABORTED', errorMessage: 'the upload was aborted', uploadId: null } });
    await appendAudit(tx, { actorId: actor.id, action: 'asset.upload-aborted', entityType: 'Asset', entityId: asset.id, data: { s3Aborted } });
  });
}

/** A short-lived URL to the de-identified derivative; originals are never signed for viewing. */
export async function derivativeUrl(services: Services, derivativeKey: string | null): Promise<string | null> {
  if (!derivativeKey) return null;
  return getSignedUrl(services.s3Presign, new GetObjectCommand({ Bucket: services.config.S3_BUCKET, Key: derivativeKey }), { expiresIn: PRESIGN_SECONDS });
}

type AssetForUrls = Pick<Asset, 'kind' | 'status' | 'derivativeKey' | 'metadata'>;

const metadataOf = (asset: Pick<Asset, 'metadata'>): Record<string, unknown> =>
  asset.metadata !== null && typeof asset.metadata === 'object' && !Array.isArray(asset.metadata) ? (asset.metadata as Record<string, unknown>) : {};

/** Another derivative of a READY video beside its proxy (ingest writes them all under one prefix). */
function videoDerivativeKey(asset: AssetForUrls, name: string): string | null {
  if (asset.status !== 'READY' || asset.kind !== 'VIDEO' || !asset.derivativeKey) return null;
  return `${asset.derivativeKey.slice(0, asset.derivativeKey.lastIndexOf('/') + 1)}${name}`;
}

/** The timeline's sprite strip (sprite.jpg) of a READY video; null for other assets and videos ingested before sprites. */
export function spriteUrl(services: Services, asset: AssetForUrls): Promise<string | null> {
  return derivativeUrl(services, metadataOf(asset).sprite ? videoDerivativeKey(asset, 'sprite.jpg') : null);
}

/**
 * The volume of a READY NIfTI or DICOM asset for volume editors, beside its display slice: the de-identified
 * NIfTI (deidentified.nii.gz), or the de-identified DICOM's frames as NIfTI (metadata.volume, columns × rows ×
 * frames; DICOM ingested before it, or colour or undecodable DICOM, have none).
 */
export function volumeUrl(services: Services, asset: AssetForUrls): Promise<string | null> {
  if (asset.status !== 'READY' || !asset.derivativeKey) return Promise.resolve(null);
  const name = asset.kind === 'NIFTI' ? 'deidentified.nii.gz' : asset.kind === 'DICOM' && metadataOf(asset).volume === 'volume.nii.gz' ? 'volume.nii.gz' : null;
  if (!name) return Promise.resolve(null);
  return derivativeUrl(services, `${asset.derivativeKey.slice(0, asset.derivativeKey.lastIndexOf('/') + 1)}${name}`);
}

/** frames.json of a READY video: each proxy frame's presentation time and the source frame it shows. */
export function frameIndexUrl(services: Services, asset: AssetForUrls): Promise<string | null> {
  return derivativeUrl(services, videoDerivativeKey(asset, 'frames.json'));
}

export function needsHumanReview(asset: Pick<Asset, 'metadata'>): boolean {
  return metadataOf(asset).needsHumanReview === true;
}

/**
 * Asset.metadata as clients see it: the retained original's encryption record (IVs, tags, wrapped key)
 * stays on the server; only that it is retained, how, and its size are shown.
 */
export function publicMetadata(asset: Pick<Asset, 'metadata'>): unknown {
  const metadata = metadataOf(asset);
  const original = metadata.original as { algorithm?: unknown; plaintextBytes?: unknown; sse?: unknown } | undefined;
  if (!original || typeof original !== 'object') return asset.metadata;
  return { ...metadata, original: { retained: true, algorithm: original.algorithm ?? null, bytes: original.plaintextBytes ?? null, sse: original.sse ?? null } };
}

/**
 * The set-up time to cut from a video before annotators see it: the proxy covers [startSeconds,
 * endSeconds) of the source (either end open: from the start / to the end; both null clears the trim).
 * Only before ingest starts: once the asset is READY (or ingest began) the proxy is made.
 */
export async function setAssetTrim(services: Services, actor: AuthUser, input: { assetId: string; startSeconds: number | null; endSeconds: number | null }): Promise<string> {
  const { startSeconds, endSeconds } = input;
  if (startSeconds !== null && !(Number.isFinite(startSeconds) && startSeconds >= 0)) throw new InvalidInputError(`startSeconds must be a number >= 0 (got ${startSeconds})`);
  if (endSeconds !== null && !(Number.isFinite(endSeconds) && endSeconds > 0)) throw new InvalidInputError(`endSeconds must be a number > 0 (got ${endSeconds})`);
  if (startSeconds !== null && endSeconds !== null && !(endSeconds > startSeconds)) {
    throw new InvalidInputError(`endSeconds (${endSeconds}) must be after startSeconds (${startSeconds})`);
  }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.assetId)) throw new NotFoundError('asset');
  return services.prisma.$transaction(async (tx) => {
    // Locked against the ingest activity, which records its first step before it reads the trim.
    const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Asset" WHERE id = ${input.assetId}::uuid FOR UPDATE`;
    if (!locked) throw new NotFoundError('asset');
    const asset = await tx.asset.findUniqueOrThrow({ where: { id: input.assetId }, select: { id: true, kind: true, status: true, ingestStep: true } });
    if (asset.kind !== 'VIDEO') throw new InvalidInputError(`only video assets can be trimmed; asset ${asset.id} is ${asset.kind}`);
    if (asset.status !== 'AWAITING_UPLOAD' && asset.status !== 'QUARANTINED') {
      throw new DomainError(
        'CONFLICT',
        `asset ${asset.id} is ${asset.status}: its proxy is already made (or ingest gave up), so the trim can no longer change; set the trim while the asset is AWAITING_UPLOAD or QUARANTINED`,
      );
    }
    if (asset.ingestStep !== null) {
      throw new DomainError('CONFLICT', `ingest of asset ${asset.id} has started (step ${asset.ingestStep}), so the trim can no longer change`);
    }
    await tx.asset.update({ where: { id: asset.id }, data: { trimStartSeconds: startSeconds, trimEndSeconds: endSeconds } });
    await appendAudit(tx, { actorId: actor.id, action: 'asset.trim-set', entityType: 'Asset', entityId: asset.id, data: { startSeconds, endSeconds } });
    return asset.id;
  });
}
