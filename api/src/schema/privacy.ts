// The privacy gate: an asset's privacy state, the review queue of privacy officers, their boxes and decisions.
import { builder } from './builder.ts';
import { auditRead } from '../audit-reads.ts';
import { derivativeUrl } from '../services/media.ts';
import {
  PRIVACY_ACTORS,
  addRedactionBox,
  automaticBoxCount,
  automaticBoxes,
  boxesOf,
  derivativeKeyOf,
  framesOf,
  rejectAsset,
  releaseAsset,
  removeRedactionBox,
  reviewReasons,
  type PrivacyFrame,
  type RedactionBox,
} from '../services/privacy.ts';
import { MANAGES, hasRoleOn, requireRoleOn, visibleCampaigns } from '../services/tenancy.ts';

const PrivacyStatusEnum = builder.enumType('PrivacyStatus', {
  description: 'NOT_REQUIRED: de-identification cleared it; PENDING_REVIEW: waits for a privacy officer; RELEASED or REJECTED: their decision',
  values: ['NOT_REQUIRED', 'PENDING_REVIEW', 'RELEASED', 'REJECTED'] as const,
});

const RedactionBoxRef = builder.objectRef<Omit<RedactionBox, 'id'> & { id: string | null; automatic: boolean }>('RedactionBox').implement({
  description: 'A box blacked out on every frame, in the pixels of the sampled frames',
  fields: (t) => ({
    id: t.id({ nullable: true, description: 'Null for boxes de-identification blacked out by itself (they cannot be removed)', resolve: (b) => b.id }),
    x: t.exposeFloat('x'),
    y: t.exposeFloat('y'),
    width: t.exposeFloat('width'),
    height: t.exposeFloat('height'),
    automatic: t.exposeBoolean('automatic'),
  }),
});

const RedactionBoxInput = builder.inputType('RedactionBoxInput', {
  fields: (t) => ({ x: t.float(), y: t.float(), width: t.float(), height: t.float() }),
});

const PrivacyFrameRef = builder.objectRef<PrivacyFrame & { assetId: string; campaignId: string; kind: string; metadata: unknown }>('PrivacyFrame').implement({
  description: 'A sampled frame of the de-identified derivative as annotators would see it, rendered for the privacy officer',
  fields: (t) => ({
    frame: t.exposeInt('frame', { description: 'Frame number (DICOM frame; proxy frame of a video; 0 for an image)' }),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    url: t.string({
      description: 'Short-lived URL of the rendered frame (PNG); handing it out is audited as a media read',
      resolve: async (f, _args, ctx) => {
        const url = await derivativeUrl(ctx.services, derivativeKeyOf({ campaignId: f.campaignId, id: f.assetId }, f.name));
        auditRead(ctx, { action: 'media.url-presigned', entityType: 'Asset', entityId: f.assetId, data: { variant: 'privacy-frame' } });
        return url!;
      },
    }),
    automaticBoxes: t.field({
      type: [RedactionBoxRef],
      description: 'Boxes de-identification blacked out by itself on this frame',
      resolve: (f) => automaticBoxes({ kind: f.kind as 'IMAGE', metadata: f.metadata as never }, f).map((b) => ({ ...b, id: null, automatic: true })),
    }),
  }),
});

builder.prismaObject('PrivacyReview', {
  description: "A privacy officer's review of a flagged asset. Its managers see the decision; only privacy officers and admins see its frames.",
  authScopes: (r, ctx) => hasRoleOn(ctx, 'asset', r.assetId, [...PRIVACY_ACTORS, ...MANAGES]),
  fields: (t) => ({
    asset: t.relation('asset'),
    reasons: t.stringList({
      description: 'Why de-identification asked for a person (no PHI)',
      select: { asset: { select: { metadata: true } } },
      resolve: (r) => reviewReasons(r.asset),
    }),
    revision: t.exposeInt('revision', { description: 'Bumped by every change of the boxes' }),
    appliedRevision: t.exposeInt('appliedRevision', { description: 'The revision whose boxes the frames (and the derivative) show' }),
    applying: t.boolean({ description: 'Boxes changed and the worker is still blacking them out', resolve: (r) => r.appliedRevision < r.revision }),
    boxes: t.field({
      type: [RedactionBoxRef],
      description: 'Boxes privacy officers added, blacked out on every frame',
      resolve: (r) => boxesOf(r.boxes).map((b) => ({ ...b, automatic: false })),
    }),
    automaticBoxCount: t.int({ select: { asset: { select: { kind: true, metadata: true } } }, resolve: (r) => automaticBoxCount(r.asset) }),
    frames: t.field({
      type: [PrivacyFrameRef],
      description: 'Sampled frames of the current derivative; privacy officers and admins only',
      authScopes: (r, _args, ctx) => hasRoleOn(ctx, 'asset', r.assetId, PRIVACY_ACTORS),
      select: { asset: { select: { campaignId: true, kind: true, metadata: true } } },
      resolve: (r) => framesOf(r.frames).map((f) => ({ ...f, assetId: r.assetId, campaignId: r.asset.campaignId, kind: r.asset.kind, metadata: r.asset.metadata })),
    }),
    decidedBy: t.relation('decidedBy', { nullable: true }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it was rejected' }),
  }),
});

builder.prismaObjectFields('Asset', (t) => ({
  privacyStatus: t.field({
    type: PrivacyStatusEnum,
    description: 'The privacy gate: until RELEASED (or NOT_REQUIRED) nobody but privacy officers gets its media',
    resolve: (a) => a.privacyStatus,
  }),
  privacyReview: t.relation('privacyReview', { nullable: true }),
  campaign: t.relation('campaign'),
}));

builder.queryFields((t) => ({
  privacyReviewQueue: t.withAuth({ anyRole: [...PRIVACY_ACTORS] }).prismaField({
    type: ['PrivacyReview'],
    description: 'Assets waiting for a privacy officer, oldest first, in the campaigns where you are one (admins: every campaign of the organisation)',
    args: { campaignId: t.arg.id({ required: false }) },
    resolve: (query, _root, args, ctx) =>
      ctx.services.prisma.privacyReview.findMany({
        ...query,
        where: {
          asset: {
            privacyStatus: 'PENDING_REVIEW',
            campaign: visibleCampaigns(ctx.user, PRIVACY_ACTORS),
            ...(args.campaignId ? { campaignId: String(args.campaignId) } : {}),
          },
        },
        orderBy: { createdAt: 'asc' },
        take: 200,
      }),
  }),
  privacyReview: t.withAuth({ anyRole: [...PRIVACY_ACTORS] }).prismaField({
    type: 'PrivacyReview',
    nullable: true,
    errors: {},
    args: { assetId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), PRIVACY_ACTORS);
      return ctx.services.prisma.privacyReview.findUnique({ ...query, where: { assetId: String(args.assetId) } });
    },
  }),
}));

builder.mutationFields((t) => ({
  addRedactionBox: t.withAuth({ anyRole: [...PRIVACY_ACTORS] }).prismaField({
    type: 'PrivacyReview',
    errors: {},
    description: "Adds a box (sampled frames' pixels) to black out on every frame of a flagged asset; the worker applies it to the de-identified derivative",
    args: { assetId: t.arg.id(), box: t.arg({ type: RedactionBoxInput }) },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), PRIVACY_ACTORS);
      const assetId = await addRedactionBox(ctx.services, ctx.user, String(args.assetId), args.box);
      return ctx.services.prisma.privacyReview.findUniqueOrThrow({ ...query, where: { assetId } });
    },
  }),
  removeRedactionBox: t.withAuth({ anyRole: [...PRIVACY_ACTORS] }).prismaField({
    type: 'PrivacyReview',
    errors: {},
    description: 'Removes a box privacy officers added (automatic boxes stay)',
    args: { assetId: t.arg.id(), boxId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), PRIVACY_ACTORS);
      const assetId = await removeRedactionBox(ctx.services, ctx.user, String(args.assetId), String(args.boxId));
      return ctx.services.prisma.privacyReview.findUniqueOrThrow({ ...query, where: { assetId } });
    },
  }),
  releaseAsset: t.withAuth({ anyRole: [...PRIVACY_ACTORS] }).prismaField({
    type: 'Asset',
    errors: {},
    description: 'Releases a flagged asset to its annotators, with the boxes the frames show',
    args: { assetId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), PRIVACY_ACTORS);
      return ctx.services.prisma.asset.findUniqueOrThrow({ ...query, where: { id: await releaseAsset(ctx.services, ctx.user, String(args.assetId)) } });
    },
  }),
  rejectAsset: t.withAuth({ anyRole: [...PRIVACY_ACTORS] }).prismaField({
    type: 'Asset',
    errors: {},
    description: 'Rejects a flagged asset: its tasks leave their batches and its derivatives are deleted. The reason is required.',
    args: { assetId: t.arg.id(), reason: t.arg.string() },
    resolve: async (query, _root, args, ctx) => {
      await requireRoleOn(ctx, 'asset', String(args.assetId), PRIVACY_ACTORS);
      return ctx.services.prisma.asset.findUniqueOrThrow({ ...query, where: { id: await rejectAsset(ctx.services, ctx.user, String(args.assetId), args.reason) } });
    },
  }),
}));
