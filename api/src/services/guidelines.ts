// Versioned campaign guidelines: publishing a version (with what changed), its history, an annotator's
// acknowledgement (claimSql in work.ts refuses labelling claims until the current version is acknowledged),
// and the pictures the markdown shows, stored in S3 and served only to the campaign's members.
import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Prisma } from '@suture/db';
import { freeText, MAX_GUIDELINES } from '@suture/workflows/domain/text';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Context, Services } from '../context.ts';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.ts';
import { campaignAccess, MANAGES, requireCampaignRole } from './tenancy.ts';

/** Longest changelog of one version, in characters. */
export const MAX_CHANGELOG = 5000;
/** Largest guideline picture, in bytes. */
export const MAX_GUIDELINE_IMAGE_BYTES = 5 * 1024 * 1024;

/** The path under which the console and the API serve a guideline picture; markdown refers to pictures by it. */
export const guidelineImagePath = (id: string) => `/api/guideline-images/${id}`;

function checkedText(max: number, value: string, what: string): string {
  const parsed = freeText(max).safeParse(value);
  if (!parsed.success)
    throw new InvalidInputError(
      `invalid ${what}`,
      parsed.error.issues.map((i) => `${what}: ${i.message}`),
    );
  return parsed.data;
}

/** Writes version 1 when a campaign is created (inside its transaction). */
export async function recordFirstGuidelines(tx: Prisma.TransactionClient, campaignId: string, body: string, actorId: string): Promise<void> {
  await tx.guidelineVersion.create({ data: { campaignId, version: 1, body, changelog: '', createdById: actorId } });
}

/**
 * Publishes the next version of a campaign's guidelines: a new GuidelineVersion and the campaign's mirror of it, in
 * one transaction. From version 2 on the changelog is required: it is what annotators read before acknowledging.
 */
export async function publishGuidelines(services: Services, actor: AuthUser, input: { campaignId: string; body: string; changelog?: string | null }): Promise<number> {
  const body = checkedText(MAX_GUIDELINES, input.body, 'guidelines');
  const changelog = checkedText(MAX_CHANGELOG, (input.changelog ?? '').trim(), 'changelog');
  return services.prisma.$transaction(async (tx) => {
    // The campaign row is locked so that two publications never take the same version number.
    const [campaign] = await tx.$queryRaw<Array<{ version: number; guidelines: string }>>`
      SELECT "guidelinesVersion" AS version, guidelines FROM "Campaign" WHERE id = ${input.campaignId}::uuid FOR UPDATE`;
    if (!campaign) throw new NotFoundError('campaign');
    const version = campaign.version + 1;
    if (changelog === '') throw new InvalidInputError(`say what changed: a changelog is required for version ${version} (annotators read it before they continue)`);
    // Campaigns created before versions were kept have no row for their current text: keep it as history.
    const current = await tx.guidelineVersion.findUnique({ where: { campaignId_version: { campaignId: input.campaignId, version: campaign.version } }, select: { id: true } });
    if (!current) await tx.guidelineVersion.create({ data: { campaignId: input.campaignId, version: campaign.version, body: campaign.guidelines, changelog: '' } });
    await tx.guidelineVersion.create({ data: { campaignId: input.campaignId, version, body, changelog, createdById: actor.id } });
    await tx.campaign.update({ where: { id: input.campaignId }, data: { guidelines: body, guidelinesVersion: version } });
    await appendAudit(tx, { actorId: actor.id, action: 'campaign.guidelines', entityType: 'Campaign', entityId: input.campaignId, data: { version } });
    return version;
  });
}

export interface GuidelineVersionView {
  version: number;
  body: string;
  changelog: string;
  createdAt: Date;
}

/** Every version of a campaign's guidelines, newest first (members of the campaign). */
export async function guidelineVersions(ctx: Context, campaignId: string): Promise<GuidelineVersionView[]> {
  if (!(await campaignAccess(ctx, campaignId))) throw new NotFoundError('campaign');
  return ctx.services.prisma.guidelineVersion.findMany({
    where: { campaignId },
    orderBy: { version: 'desc' },
    select: { version: true, body: true, changelog: true, createdAt: true },
  });
}

/** An annotator acknowledges the current version (and so every change up to it). */
export async function acknowledgeGuidelines(ctx: Context & { user: AuthUser }, campaignId: string, version: number): Promise<number> {
  await requireCampaignRole(ctx, campaignId, ['ANNOTATOR']);
  return ctx.services.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { guidelinesVersion: true } });
    if (version !== campaign.guidelinesVersion)
      throw new DomainError('CONFLICT', `version ${version} is not the current guidelines; read version ${campaign.guidelinesVersion} and acknowledge it`);
    await tx.guidelineAck.upsert({
      where: { campaignId_userId_version: { campaignId, userId: ctx.user.id, version } },
      create: { campaignId, userId: ctx.user.id, version },
      update: {},
    });
    await appendAudit(tx, { actorId: ctx.user.id, action: 'guidelines.acknowledged', entityType: 'Campaign', entityId: campaignId, data: { version } });
    return version;
  });
}

export interface MyGuidelinesView {
  campaignId: string;
  version: number;
  body: string;
  acknowledged: boolean;
  /** The newest version the caller acknowledged, if any. */
  acknowledgedVersion: number | null;
  /** What changed in every version after the one the caller last acknowledged (newest first); none when acknowledged. */
  changes: GuidelineVersionView[];
}

/** The current guidelines as the caller must read them: the body, and the changelogs since their last acknowledgement. */
export async function myGuidelines(ctx: Context & { user: AuthUser }, campaignId: string): Promise<MyGuidelinesView> {
  if (!(await campaignAccess(ctx, campaignId))) throw new NotFoundError('campaign');
  const { prisma } = ctx.services;
  const campaign = await prisma.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { guidelines: true, guidelinesVersion: true } });
  const lastAck = await prisma.guidelineAck.findFirst({ where: { campaignId, userId: ctx.user.id }, orderBy: { version: 'desc' }, select: { version: true } });
  const seen = lastAck?.version ?? 0;
  // Version 1 needs no acknowledgement (claimSql lets anyone claim it), so it counts as read.
  const acknowledged = campaign.guidelinesVersion <= 1 || seen >= campaign.guidelinesVersion;
  const changes = acknowledged
    ? []
    : await prisma.guidelineVersion.findMany({
        where: { campaignId, version: { gt: Math.max(seen, 1), lte: campaign.guidelinesVersion } },
        orderBy: { version: 'desc' },
        select: { version: true, body: true, changelog: true, createdAt: true },
      });
  return { campaignId, version: campaign.guidelinesVersion, body: campaign.guidelines, acknowledged, acknowledgedVersion: lastAck?.version ?? null, changes };
}

/** The picture types guidelines may show, recognised by their first bytes (never by what the client claims). */
function sniffImage(bytes: Buffer): 'image/png' | 'image/jpeg' | 'image/webp' | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** Stores a picture for a campaign's guidelines (its operations managers and admins); returns its id and URL. */
export async function uploadGuidelineImage(ctx: Context & { user: AuthUser }, campaignId: string, bytes: Buffer): Promise<{ id: string; url: string }> {
  await requireCampaignRole(ctx, campaignId, MANAGES);
  if (bytes.length === 0) throw new InvalidInputError('the picture is empty: send its bytes as the request body');
  if (bytes.length > MAX_GUIDELINE_IMAGE_BYTES) throw new InvalidInputError(`the picture is ${bytes.length} bytes; at most ${MAX_GUIDELINE_IMAGE_BYTES} (5 MB) are accepted`);
  const contentType = sniffImage(bytes);
  if (!contentType) throw new InvalidInputError('the file is not a PNG, JPEG or WebP picture');
  const { services, user } = ctx;
  const id = randomUUID();
  const key = `guidelines/${campaignId}/${id}`;
  await services.s3.send(
    new PutObjectCommand({
      Bucket: services.config.S3_BUCKET,
      Key: key,
      Body: bytes,
      ContentType: contentType,
      ...(services.config.S3_SSE ? { ServerSideEncryption: services.config.S3_SSE } : {}),
    }),
  );
  await services.prisma.$transaction(async (tx) => {
    await tx.guidelineImage.create({
      data: { id, campaignId, key, contentType, sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), createdById: user.id },
    });
    await appendAudit(tx, { actorId: user.id, action: 'guidelines.image-uploaded', entityType: 'Campaign', entityId: campaignId, data: { imageId: id, sizeBytes: bytes.length } });
  });
  return { id, url: guidelineImagePath(id) };
}

/** A guideline picture's bytes, for any member of its campaign and the organisation's admins. */
export async function readGuidelineImage(ctx: Context & { user: AuthUser }, imageId: string): Promise<{ contentType: string; bytes: Uint8Array }> {
  if (!/^[0-9a-f-]{36}$/i.test(imageId)) throw new NotFoundError('picture');
  const image = await ctx.services.prisma.guidelineImage.findUnique({ where: { id: imageId }, select: { campaignId: true, key: true, contentType: true } });
  // Someone outside the campaign learns nothing, not even that the picture exists.
  if (!image || !(await campaignAccess(ctx, image.campaignId))) throw new NotFoundError('picture');
  const object = await ctx.services.s3.send(new GetObjectCommand({ Bucket: ctx.services.config.S3_BUCKET, Key: image.key }));
  if (!object.Body) throw new NotFoundError('picture');
  return { contentType: image.contentType, bytes: await object.Body.transformToByteArray() };
}
