// Where exports read from: a campaign's (or one batch's) accepted tasks out of PostgreSQL, page by page
// (keyset on task id), with every submitted label of the accepted round under a pseudonymous annotator id,
// and the media facts a format needs (frames.json of a video, the header of a de-identified volume) from S3.
import { createHmac } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { PrismaClient } from '@suture/db';
import { derivativeKeyFor, type ProxyFrameMap } from '../activities/ingest.ts';
import { mediaBoundsOf } from '../annotation/media-bounds.ts';
import { consensusMethods, effectiveCrowdMethod } from '../annotation/registry.ts';
import { labelSchemaSchema, type LabelSchema } from '../domain/label-schema.ts';
import { campaignConsensus, fitCampaignCrowd } from '../lifecycle/crowd.ts';
import { MediaError } from '../media/errors.ts';
import { readDicom } from '../media/dicom/parse.ts';
import { ExportError, identityFrames, type AssetKind, type ExportAsset, type ExportConsensus, type ExportSource, type ExportTask, type FrameMapping } from './format.ts';
import { frameMappingOf } from './frames.ts';

export const EXPORT_PAGE = 2_000;
/** frames.json mappings kept at once: a campaign's tasks are in id order, not grouped by video. */
const FRAME_CACHE = 256;

/**
 * The pseudonymous id of a person in exports: HMAC-SHA256 of the user id under the deployment's secret
 * (SUTURE_DEID_KEY). Stable across exports, not reversible without the secret; never a name or email.
 */
export function annotatorPseudonym(secret: string, userId: string): string {
  if (secret.length < 16) throw new Error('the pseudonym secret must be at least 16 characters (SUTURE_DEID_KEY)');
  return `ann-${createHmac('sha256', secret).update('suture/export/annotator\0').update(userId).digest('hex').slice(0, 20)}`;
}

export interface SourceDeps {
  prisma: PrismaClient;
  s3: S3Client;
  bucket: string;
  pseudonymSecret: string;
  /** Called after each page read (heartbeats). */
  onPage?: (read: number) => void;
}

export async function createExportSource(deps: SourceDeps, input: { campaignId: string; batchId?: string | null }): Promise<ExportSource> {
  const { prisma } = deps;
  const campaign = await prisma.campaign.findUnique({
    where: { id: input.campaignId },
    select: { id: true, name: true, labelSchema: true, guidelinesVersion: true, prelabelModelKey: true, qaSettings: true },
  });
  if (!campaign) throw new ExportError('FORMAT_MISMATCH', `campaign ${input.campaignId} does not exist`);
  const batchId = input.batchId ?? null;
  if (batchId) {
    const batch = await prisma.batch.findUnique({ where: { id: batchId }, select: { campaignId: true } });
    if (!batch || batch.campaignId !== campaign.id) throw new ExportError('FORMAT_MISMATCH', `batch ${batchId} is not a batch of campaign ${campaign.id}`);
  }
  const schema = labelSchemaSchema.parse(campaign.labelSchema);
  const pseudonym = (userId: string) => annotatorPseudonym(deps.pseudonymSecret, userId);
  const frameCache = new Map<string, Promise<FrameMapping>>();
  const consensus = await exportConsensus(prisma, campaign, schema, pseudonym);

  async function* tasks(): AsyncIterable<ExportTask> {
    let read = 0;
    for (let after: string | undefined; ;) {
      const page = await prisma.task.findMany({
        where: { campaignId: campaign!.id, status: 'ACCEPTED', ...(batchId ? { batchId } : {}), ...(after ? { id: { gt: after } } : {}) },
        select: {
          id: true,
          batchId: true,
          frameIndex: true,
          round: true,
          agreement: true,
          agreementMetric: true,
          consensus: true,
          consensusMethod: true,
          prelabel: true,
          asset: { select: { id: true, kind: true, metadata: true } },
          annotations: {
            where: { submitted: true, assignment: { kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' } },
            select: { id: true, userId: true, data: true, guidelineVersion: true, assignment: { select: { round: true } } },
            orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          },
          reviews: { select: { round: true, decision: true, reviewerId: true, chosenAnnotationId: true } },
        },
        orderBy: { id: 'asc' },
        take: EXPORT_PAGE,
      });
      for (const t of page) {
        const labels = t.annotations.filter((a) => a.assignment.round === t.round);
        const review = t.reviews.find((r) => r.round === t.round);
        const chosen = review?.chosenAnnotationId ? labels.find((l) => l.id === review.chosenAnnotationId) : undefined;
        yield {
          id: t.id,
          batchId: t.batchId,
          asset: t.asset ? exportAsset(t.asset) : null,
          frame: t.frameIndex,
          round: t.round,
          consensus: t.consensus,
          consensusMethod: t.consensusMethod,
          agreement: t.agreement,
          agreementMetric: t.agreementMetric,
          labels: labels.map((l) => ({ annotator: pseudonym(l.userId), data: l.data, guidelineVersion: l.guidelineVersion })),
          review: review ? { decision: review.decision, reviewer: pseudonym(review.reviewerId), chosenAnnotator: chosen ? pseudonym(chosen.userId) : null } : null,
          prelabeled: t.prelabel !== null,
        };
      }
      read += page.length;
      deps.onPage?.(read);
      if (page.length < EXPORT_PAGE) return;
      after = page[page.length - 1]!.id;
    }
  }

  async function readObject(key: string, what: string): Promise<Readable> {
    try {
      const res = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
      return res.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
        throw new ExportError('MEDIA_MISSING', `${what} is missing (${key}); ingest the asset before exporting`);
      throw error;
    }
  }

  async function loadFrames(asset: ExportAsset): Promise<FrameMapping> {
    const body = await readObject(derivativeKeyFor({ campaignId: campaign!.id, id: asset.id }, 'frames.json'), `the frame index of video ${asset.id}`);
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
    return frameMappingOf(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProxyFrameMap);
  }

  return {
    campaign: { id: campaign.id, name: campaign.name, schema, guidelinesVersion: campaign.guidelinesVersion, prelabelModelKey: campaign.prelabelModelKey, consensus },
    batchId,
    tasks,
    frames(asset) {
      if (asset.kind !== 'VIDEO') return Promise.resolve(identityFrames);
      let cached = frameCache.get(asset.id);
      if (!cached) {
        if (frameCache.size >= FRAME_CACHE) frameCache.delete(frameCache.keys().next().value!);
        cached = loadFrames(asset);
        // A failed read is not kept: the next task of the asset tries again.
        cached.catch(() => frameCache.delete(asset.id));
        frameCache.set(asset.id, cached);
      }
      return cached;
    },
    async niftiHeader(asset) {
      if (asset.kind !== 'NIFTI') throw new ExportError('FORMAT_MISMATCH', `asset ${asset.id} is ${asset.kind.toLowerCase()}, not a NIfTI volume`);
      const body = await readObject(derivativeKeyFor({ campaignId: campaign!.id, id: asset.id }, 'deidentified.nii.gz'), `the de-identified volume of asset ${asset.id}`);
      // Only the header is needed: stop reading once 540 decompressed bytes (a NIfTI-2 header) are in.
      const gunzip = body.pipe(createGunzip());
      const chunks: Buffer[] = [];
      let length = 0;
      try {
        for await (const chunk of gunzip as AsyncIterable<Buffer>) {
          chunks.push(chunk);
          length += chunk.length;
          if (length >= 540) break;
        }
      } finally {
        gunzip.destroy();
        body.destroy();
      }
      return new Uint8Array(Buffer.concat(chunks));
    },
    async dicomHeader(asset) {
      if (asset.kind !== 'DICOM') throw new ExportError('FORMAT_MISMATCH', `asset ${asset.id} is ${asset.kind.toLowerCase()}, not a DICOM file`);
      const body = await readObject(derivativeKeyFor({ campaignId: campaign!.id, id: asset.id }, 'deidentified.dcm'), `the de-identified DICOM of asset ${asset.id}`);
      try {
        return await dicomHeaderOf(body as AsyncIterable<Uint8Array>);
      } finally {
        body.destroy();
      }
    },
  };
}

/**
 * The campaign's consensus as an export records it: the configured method and the annotators' reliability
 * fitted on the campaign's labels now, under pseudonyms. The same labels give the same record (no time in it).
 */
export async function exportConsensus(
  prisma: PrismaClient,
  campaign: { id: string; qaSettings: unknown },
  schema: LabelSchema,
  pseudonym: (userId: string) => string,
): Promise<ExportConsensus> {
  const resolved = campaignConsensus(schema, campaign.qaSettings);
  if (!resolved.ok) {
    const method = consensusMethods(schema).default;
    return {
      method,
      title: method,
      minTasks: null,
      seed: null,
      options: {},
      effectiveMethod: method,
      categories: [],
      annotators: [],
      convergence: null,
      problems: resolved.problems,
    };
  }
  const c = resolved.value;
  const fitted = c.choice.crowd !== undefined && c.choice.crowd !== 'majority';
  const model = await fitCampaignCrowd(prisma, campaign.id, schema, c, new Date(0));
  return {
    method: c.method,
    title: c.choice.title,
    minTasks: fitted ? c.minTasks : null,
    seed: c.seed ?? null,
    options: c.options,
    effectiveMethod: model?.method ?? effectiveCrowdMethod(c, 0) ?? c.method,
    categories: model?.categories ?? [],
    annotators: model
      ? [...model.annotators.entries()]
          .map(([userId, a]) => ({
            annotator: pseudonym(userId),
            answers: a.answers,
            reliability: a.reliability,
            ...(a.confusion ? { confusion: a.confusion } : {}),
            ...(a.skill !== undefined ? { skill: a.skill } : {}),
          }))
          .sort((x, y) => (x.annotator < y.annotator ? -1 : x.annotator > y.annotator ? 1 : 0))
      : [],
    convergence: model ? { iterations: model.convergence.iterations, converged: model.convergence.converged } : null,
  };
}

function exportAsset(a: { id: string; kind: string; metadata: unknown }): ExportAsset {
  const bounds = mediaBoundsOf(a);
  return {
    id: a.id,
    kind: a.kind as AssetKind,
    // Suture keeps no upload file name (names may carry PHI).
    fileName: null,
    width: bounds.width ?? null,
    height: bounds.height ?? null,
    frameCount: bounds.frameCount ?? null,
    volume: bounds.volume ?? null,
  };
}

/**
 * The bytes of a DICOM file before its pixel data, read from a stream that is left as soon as they are in
 * (a volume's pixels may be hundreds of MB). A deflated file is read whole: its offsets are not the file's.
 */
export async function dicomHeaderOf(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  let tryAt = 64 * 1024;
  const attempt = (bytes: Uint8Array, whole: boolean): Uint8Array | null => {
    try {
      const file = readDicom(bytes, { stopAtPixelData: true });
      if (file.pixelDataOffset !== undefined) return bytes.subarray(0, file.pixelDataOffset);
      if (whole) return bytes;
      return null;
    } catch (error) {
      if (!whole && error instanceof MediaError && error.code === 'TRUNCATED') return null;
      throw new ExportError('MEDIA_MISSING', `the de-identified DICOM cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
    if (length < tryAt) continue;
    const header = attempt(Buffer.concat(parts), false);
    if (header) return header;
    tryAt = length * 2;
  }
  return attempt(Buffer.concat(parts), true)!;
}
