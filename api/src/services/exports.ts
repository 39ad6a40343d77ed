// Label exports on request: checks the caller and the format against the campaign, streams the export into
// S3 (workflows/src/export) and hands back a short-lived download URL. Bytes never pass through the API.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { labelSchemaSchema } from '@suture/workflows/domain/label-schema';
import { ExportError, formatsFor } from '@suture/workflows/export/registry';
import { runExport } from '@suture/workflows/export/run';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { PRESIGN_SECONDS } from './media.ts';

export interface ExportFormatInfo {
  id: string;
  title: string;
  extension: string;
  contentType: string;
}

export interface LabelExport {
  key: string;
  format: string;
  bytes: number;
  items: number;
  url: string;
  expiresInSeconds: number;
}

async function campaignKind(services: Services, campaignId: string) {
  const campaign = await services.prisma.campaign.findUnique({ where: { id: campaignId }, select: { labelSchema: true } });
  if (!campaign) throw new NotFoundError('campaign');
  return labelSchemaSchema.parse(campaign.labelSchema).geometry;
}

/** The formats that can hold the campaign's labels. */
export async function exportFormatsFor(services: Services, campaignId: string): Promise<ExportFormatInfo[]> {
  return formatsFor(await campaignKind(services, campaignId)).map((f) => ({ id: f.id, title: f.title, extension: f.extension, contentType: f.contentType }));
}

export async function exportLabels(services: Services, actor: AuthUser, input: { campaignId: string; batchId: string | null; format: string }): Promise<LabelExport> {
  const secret = services.config.SUTURE_DEID_KEY;
  if (!secret) throw new DomainError('CONFLICT', 'exports are not configured on this API: set SUTURE_DEID_KEY (the deployment secret that keys annotator pseudonyms)');
  await campaignKind(services, input.campaignId);
  // The blind rule wins over every role: an export holds every individual label, so whoever labelled a task of
  // the campaign exports none of it (another ops manager or admin does).
  const labelled = await services.prisma.assignment.count({
    where: { userId: actor.id, kind: { in: ['LABEL', 'REWORK'] }, task: { campaignId: input.campaignId, ...(input.batchId ? { batchId: input.batchId } : {}) } },
  });
  if (labelled > 0) throw new ForbiddenError('you labelled tasks of this campaign, so its labels stay hidden from you: another ops manager or admin must export them');
  let result;
  try {
    result = await runExport(
      { prisma: services.prisma, s3: services.s3, bucket: services.config.S3_BUCKET, sse: services.config.S3_SSE, pseudonymSecret: secret },
      { campaignId: input.campaignId, batchId: input.batchId, format: input.format },
    );
  } catch (error) {
    if (error instanceof ExportError) throw new InvalidInputError(error.message);
    throw error;
  }
  await services.prisma.$transaction((tx) =>
    appendAudit(tx, {
      actorId: actor.id,
      action: 'labels.exported',
      entityType: input.batchId ? 'Batch' : 'Campaign',
      entityId: input.batchId ?? input.campaignId,
      data: { format: input.format, key: result.key, items: result.items, bytes: result.bytes },
    }),
  );
  const url = await getSignedUrl(services.s3Presign, new GetObjectCommand({ Bucket: services.config.S3_BUCKET, Key: result.key }), { expiresIn: PRESIGN_SECONDS });
  return { key: result.key, format: input.format, bytes: result.bytes, items: result.items, url, expiresInSeconds: PRESIGN_SECONDS };
}
