import { builder } from './builder.ts';
import { auditRead } from '../audit-reads.ts';
import type { Context } from '../context.ts';
import { batchProgress, createBatch, lifecycleState, startBatch, type BatchProgress } from '../services/batches.ts';
import {
  abortUpload,
  completeUpload,
  derivativeUrl,
  frameIndexUrl,
  needsHumanReview,
  publicMetadata,
  requestUpload,
  resumeUpload,
  setAssetTrim,
  spriteUrl,
  volumeUrl,
  type UploadPlan,
} from '../services/media.ts';

import { mayReadMedia } from '../services/privacy.ts';
import { hasCampaignRole, MANAGES, requireCampaignRole, requireRoleOn, visibleCampaigns } from '../services/tenancy.ts';
import type { Asset } from '@suture/db';

const OPS = ['ADMIN', 'OPS_MANAGER'] as const;
const OVERSEES = ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] as const;

/**
 * A presigned media URL handed out: recorded (who got a URL to which asset), never the URL itself. The privacy
 * gate first: an asset waiting for (or refused by) a privacy officer gives its URLs to no one else.
 */
async function presigned(ctx: Context, asset: Pick<Asset, 'id' | 'campaignId' | 'privacyStatus'>, variant: string, url: () => Promise<string | null>): Promise<string | null> {
  if (!(await mayReadMedia(ctx, asset))) return null;
  const signed = await url();
  const assetId = asset.id;
  if (signed) auditRead(ctx, { action: 'media.url-presigned', entityType: 'Asset', entityId: assetId, data: { variant } });
  return signed;
}

builder.prismaObject('Asset', {
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind'),
    status: t.exposeString('status'),
    contentType: t.exposeString('contentType'),
    fileName: t.string({
      nullable: true,
      description: "The uploader's file name; it may hold PHI, so only the campaign's managers and privacy officers see it (null for everyone else)",
      resolve: async (a, _args, ctx) => ((await hasCampaignRole(ctx, a.campaignId, [...MANAGES, 'PRIVACY_OFFICER'])) ? a.fileName : null),
    }),
    metadata: t.field({ type: 'JSON', description: 'Probe, de-identification summary, proxy, trim; never PHI, never key material', resolve: (a) => publicMetadata(a) }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    /** Short-lived URL of the de-identified derivative; null until ingest made one, and while the privacy gate holds it. */
    url: t.string({
      nullable: true,
      resolve: (a, _args, ctx) => presigned(ctx, a, 'derivative', () => derivativeUrl(ctx.services, a.status === 'READY' ? a.derivativeKey : null)),
    }),
    spriteUrl: t.string({
      nullable: true,
      description: "Short-lived URL of the timeline's sprite strip (JPEG, thumbnails side by side; metadata.sprite says how many and their interval); null until a video is READY",
      resolve: (a, _args, ctx) => presigned(ctx, a, 'sprite', () => spriteUrl(ctx.services, a)),
    }),
    frameIndexUrl: t.string({
      nullable: true,
      description: "Short-lived URL of frames.json: each proxy frame's presentation time and the source frame it shows; null unless a READY video",
      resolve: (a, _args, ctx) => presigned(ctx, a, 'frameIndex', () => frameIndexUrl(ctx.services, a)),
    }),
    volumeUrl: t.string({
      nullable: true,
      description:
        'Short-lived URL of the de-identified volume (NIfTI, gzipped) of a READY NIfTI asset, or of a READY grey DICOM as NIfTI (columns × rows × frames), for the volume editor; null otherwise',
      resolve: (a, _args, ctx) => presigned(ctx, a, 'volume', () => volumeUrl(ctx.services, a)),
    }),
    trimStartSeconds: t.exposeFloat('trimStartSeconds', { nullable: true }),
    trimEndSeconds: t.exposeFloat('trimEndSeconds', { nullable: true }),
    ingestStep: t.exposeString('ingestStep', {
      nullable: true,
      description: 'download, hash, probe, deidentify, proxy, derivatives, then done or failed; null before ingest starts',
    }),
    ingestProgress: t.exposeFloat('ingestProgress', { nullable: true, description: 'Progress within ingestStep, 0..1; null where unknown' }),
    needsHumanReview: t.boolean({ description: 'De-identification asks a person to confirm (e.g. burned-in text was redacted)', resolve: (a) => needsHumanReview(a) }),
    originalRetained: t.boolean({ description: 'The original is kept envelope-encrypted (campaign media policy RETAIN_ENCRYPTED)', resolve: (a) => a.originalKey !== null }),
  }),
});

const BatchProgressRef = builder.objectRef<BatchProgress>('BatchProgress').implement({
  fields: (t) => ({
    total: t.exposeInt('total'),
    pending: t.exposeInt('pending'),
    open: t.exposeInt('open'),
    labeled: t.exposeInt('labeled'),
    inReview: t.exposeInt('inReview'),
    accepted: t.exposeInt('accepted'),
    excluded: t.exposeInt('excluded'),
    labelsSubmitted: t.exposeInt('labelsSubmitted'),
    labelsNeeded: t.exposeInt('labelsNeeded'),
    qaSampled: t.exposeInt('qaSampled'),
    qaAudited: t.exposeInt('qaAudited'),
    qaFailed: t.exposeInt('qaFailed'),
    privacyWaiting: t.exposeInt('privacyWaiting', { description: 'Assets of the batch waiting for a privacy officer: their tasks stay PENDING until released' }),
  }),
});

builder.prismaObject('Batch', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    status: t.exposeString('status'),
    stage: t.exposeString('stage'),
    qaRound: t.exposeInt('qaRound'),
    qaHistory: t.expose('qaHistory', { type: 'JSON' }),
    prelabelNote: t.exposeString('prelabelNote', { nullable: true }),
    exportKey: t.exposeString('exportKey', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    campaign: t.relation('campaign'),
    progress: t.field({ type: BatchProgressRef, resolve: (b, _args, ctx) => batchProgress(ctx.services, b.id) }),
    workflowStage: t.string({ nullable: true, resolve: async (b, _args, ctx) => (await lifecycleState(ctx.services, b.id))?.stage ?? null }),
  }),
});

const UploadPart = builder.objectRef<UploadPlan['parts'][number]>('UploadPart').implement({
  fields: (t) => ({ partNumber: t.exposeInt('partNumber'), url: t.exposeString('url') }),
});
const UploadPlanRef = builder.objectRef<UploadPlan & { uploaded?: number[] }>('UploadPlan').implement({
  fields: (t) => ({
    assetId: t.exposeID('assetId'),
    uploadId: t.exposeString('uploadId'),
    partSize: t.exposeInt('partSize'),
    parts: t.field({ type: [UploadPart], resolve: (p) => p.parts }),
    uploadedParts: t.intList({ resolve: (p) => p.uploaded ?? [] }),
    expiresInSeconds: t.exposeInt('expiresInSeconds'),
  }),
});
const CompletedPart = builder.inputType('CompletedPartInput', { fields: (t) => ({ partNumber: t.int(), etag: t.string() }) });

builder.queryFields((t) => ({
  batch: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] }).prismaField({
    type: 'Batch',
    nullable: true,
    args: { id: t.arg.id() },
    resolve: (query, _root, args, ctx) => ctx.services.prisma.batch.findFirst({ ...query, where: { id: String(args.id), campaign: visibleCampaigns(ctx.user, OVERSEES) } }),
  }),
  batches: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] }).prismaField({
    type: ['Batch'],
    args: { campaignId: t.arg.id({ required: false }) },
    resolve: (query, _root, args, ctx) =>
      ctx.services.prisma.batch.findMany({
        ...query,
        where: { campaign: visibleCampaigns(ctx.user, OVERSEES), ...(args.campaignId ? { campaignId: String(args.campaignId) } : {}) },
        orderBy: { createdAt: 'desc' },
        take: 200,
      }),
  }),
  assets: t.withAuth({ anyRole: [...OPS] }).prismaField({
    type: ['Asset'],
    args: { campaignId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), MANAGES);
      return ctx.services.prisma.asset.findMany({ ...query, where: { campaignId: String(args.campaignId) }, orderBy: { createdAt: 'desc' }, take: 1000 });
    },
  }),
}));

builder.mutationFields((t) => ({
  requestAssetUpload: t.withAuth({ anyRole: [...OPS] }).field({
    type: UploadPlanRef,
    errors: {},
    description: 'Creates an asset and a presigned multipart upload into quarantine. PUT each part to its URL, then completeAssetUpload.',
    args: {
      campaignId: t.arg.id(),
      contentType: t.arg.string(),
      // Float, not Int: GraphQL's Int is 32-bit and recordings run past 2 GiB; the service takes whole numbers up to 2^53.
      sizeBytes: t.arg.float({ description: 'Size of the file in bytes: a whole number up to 50 GiB, as a Float since GraphQL Int stops at 2 GiB' }),
      fileName: t.arg.string({
        required: false,
        description: "The file's name, shown to the campaign's managers to tell media apart; never to annotators, never in keys, logs or audit events",
      }),
    },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), MANAGES);
      return requestUpload(ctx.services, ctx.user, {
        campaignId: String(args.campaignId),
        contentType: args.contentType,
        sizeBytes: args.sizeBytes,
        fileName: args.fileName ?? null,
      });
    },
  }),
  resumeAssetUpload: t.withAuth({ anyRole: [...OPS] }).field({
    type: UploadPlanRef,
    errors: {},
    args: { assetId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), MANAGES);
      const { uploaded, plan } = await resumeUpload(ctx.services, ctx.user, String(args.assetId));
      return { ...plan, uploaded };
    },
  }),
  completeAssetUpload: t.withAuth({ anyRole: [...OPS] }).prismaField({
    type: 'Asset',
    errors: {},
    args: {
      assetId: t.arg.id(),
      parts: t.arg({ type: [CompletedPart], required: false, description: 'ETags of the parts; omit after a resumed upload to use the parts S3 received' }),
    },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), MANAGES);
      return ctx.services.prisma.asset.findUniqueOrThrow({
        ...query,
        where: { id: await completeUpload(ctx.services, ctx.user, { assetId: String(args.assetId), parts: args.parts ?? [] }) },
      });
    },
  }),
  setAssetTrim: t.withAuth({ anyRole: [...OPS] }).prismaField({
    type: 'Asset',
    errors: {},
    description: 'Cuts set-up time from a video before ingest: the proxy covers [startSeconds, endSeconds) of the source. Only before ingest (AWAITING_UPLOAD or QUARANTINED).',
    args: { assetId: t.arg.id(), startSeconds: t.arg.float({ required: false }), endSeconds: t.arg.float({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), MANAGES);
      return ctx.services.prisma.asset.findUniqueOrThrow({
        ...query,
        where: { id: await setAssetTrim(ctx.services, ctx.user, { assetId: String(args.assetId), startSeconds: args.startSeconds ?? null, endSeconds: args.endSeconds ?? null }) },
      });
    },
  }),
  abortAssetUpload: t.withAuth({ anyRole: [...OPS] }).boolean({
    args: { assetId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), MANAGES);
      await abortUpload(ctx.services, ctx.user, String(args.assetId));
      return true;
    },
  }),
  createBatch: t.withAuth({ anyRole: [...OPS] }).prismaField({
    type: 'Batch',
    errors: {},
    args: {
      campaignId: t.arg.id(),
      name: t.arg.string(),
      assetIds: t.arg.idList(),
      frames: t.arg.intList({ required: false }),
      pilot: t.arg.boolean({ required: false, description: 'A pilot batch: a small first lot whose agreement report guides the guidelines before the campaign scales' }),
    },
    resolve: async (query, _root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), MANAGES);
      return ctx.services.prisma.batch.findUniqueOrThrow({
        ...query,
        where: {
          id: await createBatch(ctx.services, ctx.user, {
            campaignId: String(args.campaignId),
            name: args.name,
            assetIds: args.assetIds.map(String),
            frames: args.frames ?? null,
            pilot: args.pilot ?? false,
          }),
        },
      });
    },
  }),
  startBatch: t.withAuth({ anyRole: [...OPS] }).prismaField({
    type: 'Batch',
    errors: {},
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'batch', String(args.id), MANAGES);
      return ctx.services.prisma.batch.findUniqueOrThrow({ ...query, where: { id: await startBatch(ctx.services, ctx.user, String(args.id)) } });
    },
  }),
}));
