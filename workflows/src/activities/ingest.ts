// Turns a quarantined original into the de-identified derivative annotators see.
// Images are re-encoded (which drops EXIF, XMP and every other metadata block).
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import type { Asset, PrismaClient } from '@suture/db';
import { appendAudit } from '../services/audit-log.ts';
import { readObject } from './prelabel.ts';

export interface IngestDeps {
  prisma: PrismaClient;
  s3: S3Client;
  bucket: string;
  sse?: 'AES256' | 'aws:kms' | undefined;
}

export const derivativeKeyFor = (asset: Pick<Asset, 'campaignId' | 'id'>, name: string): string => `derived/${asset.campaignId}/${asset.id}/${name}`;

class IngestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function deidentifyAsset(deps: IngestDeps, asset: Asset): Promise<'READY' | 'FAILED'> {
  try {
    const original = await readObject(deps.s3, deps.bucket, asset.key);
    if (original.byteLength === 0) throw new IngestError('EMPTY_FILE', 'the uploaded file is empty');
    let derivative: { name: string; body: Uint8Array; contentType: string; metadata: Record<string, number | string> };
    switch (asset.kind) {
      case 'IMAGE': {
        const image = sharp(original, { limitInputPixels: 100_000_000 });
        const meta = await image.metadata().catch(() => {
          throw new IngestError('UNREADABLE_IMAGE', 'the file is not a readable image');
        });
        const body = await image.rotate().png().toBuffer();
        derivative = { name: 'image.png', body, contentType: 'image/png', metadata: { width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0 } };
        break;
      }
      default:
        throw new IngestError('UNSUPPORTED_KIND', `de-identification of ${asset.kind} assets is not available in this pipeline`);
    }
    const key = derivativeKeyFor(asset, derivative.name);
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: derivative.body, ContentType: derivative.contentType, ...(deps.sse ? { ServerSideEncryption: deps.sse } : {}) }));
    await deps.prisma.$transaction(async (tx) => {
      await tx.asset.update({ where: { id: asset.id }, data: { status: 'READY', derivativeKey: key, metadata: derivative.metadata, errorCode: null, errorMessage: null } });
      await appendAudit(tx, { action: 'asset.deidentified', entityType: 'Asset', entityId: asset.id, data: { kind: asset.kind } });
    });
    // Raw originals never stay readable once a derivative exists.
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: asset.key }));
    return 'READY';
  } catch (error) {
    if (!(error instanceof IngestError)) throw error;
    await deps.prisma.$transaction(async (tx) => {
      await tx.asset.update({ where: { id: asset.id }, data: { status: 'FAILED', errorCode: error.code, errorMessage: error.message } });
      await appendAudit(tx, { action: 'asset.failed', entityType: 'Asset', entityId: asset.id, data: { code: error.code } });
    });
    return 'FAILED';
  }
}
