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
import type { AssetKind } from '@suture/db';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.ts';

/** Presigned URLs live this long: enough for one part or one view, short enough to be useless if leaked. */
export const PRESIGN_SECONDS = 300;
export const PART_SIZE = 16 * 1024 * 1024;
const MAX_SIZE = 50 * 1024 ** 3;

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

/** Creates the asset and a multipart upload into quarantine; the browser PUTs each part to its URL. */
export async function requestUpload(services: Services, actor: AuthUser, input: { campaignId: string; contentType: string; sizeBytes: number }): Promise<UploadPlan> {
  const kind = kindByType.find(([re]) => re.test(input.contentType))?.[1];
  if (!kind) throw new InvalidInputError(`content type '${input.contentType}' is not accepted; use PNG/JPEG/TIFF images, MP4/MOV/MKV/WebM video, DICOM or NIfTI`);
  if (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes <= 0) throw new InvalidInputError('sizeBytes must be a positive integer');
  if (input.sizeBytes > MAX_SIZE) throw new InvalidInputError(`files over ${MAX_SIZE / 1024 ** 3} GiB are not accepted`);
  const { prisma, s3, config } = services;
  const campaign = await prisma.campaign.findUnique({ where: { id: input.campaignId }, select: { id: true } });
  if (!campaign) throw new NotFoundError('campaign');
  const asset = await prisma.asset.create({
    data: { campaignId: campaign.id, kind, key: `pending/${crypto.randomUUID()}`, contentType: input.contentType, sizeBytes: BigInt(input.sizeBytes) },
  });
  // The key names the campaign and asset only: never a file name, which may carry PHI.
  const key = `quarantine/${campaign.id}/${asset.id}/original`;
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: config.S3_BUCKET, Key: key, ContentType: input.contentType }));
  const uploadId = created.UploadId!;
  await prisma.$transaction(async (tx) => {
    await tx.asset.update({ where: { id: asset.id }, data: { key, uploadId } });
    await appendAudit(tx, { actorId: actor.id, action: 'asset.upload-requested', entityType: 'Asset', entityId: asset.id, data: { kind, sizeBytes: input.sizeBytes } });
  });
  const count = Math.max(1, Math.ceil(input.sizeBytes / PART_SIZE));
  return { assetId: asset.id, uploadId, partSize: PART_SIZE, parts: await presignParts(services, key, uploadId, 1, count), expiresInSeconds: PRESIGN_SECONDS };
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
export async function resumeUpload(services: Services, assetId: string): Promise<{ uploaded: number[]; plan: UploadPlan }> {
  const asset = await services.prisma.asset.findUnique({ where: { id: assetId } });
  if (!asset || !asset.uploadId || asset.status !== 'AWAITING_UPLOAD') throw new NotFoundError('upload in progress for this asset');
  // Stores without ListParts (s3rver) report nothing: the client then skips the parts in its own checkpoint.
  const uploaded = (await listedParts(services, asset.key, asset.uploadId).catch(() => [])).map((p) => p.partNumber).sort((a, b) => a - b);
  const count = Math.max(1, Math.ceil(Number(asset.sizeBytes ?? 1) / PART_SIZE));
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !uploaded.includes(n));
  const parts: UploadPlan['parts'] = [];
  for (const n of missing) parts.push(...(await presignParts(services, asset.key, asset.uploadId, n, n)));
  return { uploaded, plan: { assetId, uploadId: asset.uploadId, partSize: PART_SIZE, parts, expiresInSeconds: PRESIGN_SECONDS } };
}

export async function completeUpload(services: Services, actor: AuthUser, input: { assetId: string; parts: Array<{ partNumber: number; etag: string }> }): Promise<string> {
  const { prisma, s3, config } = services;
  const asset = await prisma.asset.findUnique({ where: { id: input.assetId } });
  if (!asset) throw new NotFoundError('asset');
  if (asset.status !== 'AWAITING_UPLOAD' || !asset.uploadId) throw new DomainError('CONFLICT', 'this upload is already complete');
  // Without a part list (a resumed upload), S3's own list of received parts is used.
  const parts = input.parts.length > 0 ? input.parts : await listedParts(services, asset.key, asset.uploadId);
  if (parts.length === 0) throw new InvalidInputError('no part of this upload has arrived yet');
  const expectedParts = Math.max(1, Math.ceil(Number(asset.sizeBytes ?? 1) / PART_SIZE));
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

export async function abortUpload(services: Services, assetId: string): Promise<void> {
  const asset = await services.prisma.asset.findUnique({ where: { id: assetId } });
  if (!asset?.uploadId) return;
  await services.s3.send(new AbortMultipartUploadCommand({ Bucket: services.config.S3_BUCKET, Key: asset.key, UploadId: asset.uploadId }));
  await services.prisma.asset.update({ where: { id: assetId }, data: { status: 'FAILED', errorCode: 'ABORTED', errorMessage: 'the upload was aborted', uploadId: null } });
}

/** A short-lived URL to the de-identified derivative; originals are never signed for viewing. */
export async function derivativeUrl(services: Services, derivativeKey: string | null): Promise<string | null> {
  if (!derivativeKey) return null;
  return getSignedUrl(services.s3Presign, new GetObjectCommand({ Bucket: services.config.S3_BUCKET, Key: derivativeKey }), { expiresIn: PRESIGN_SECONDS });
}
