// The privacy gate in the API. An asset whose de-identification asked for a person (ingest sets it
// PENDING_REVIEW) reaches no annotator, expert or auditor until a privacy officer of its campaign (or an admin)
// has looked at its sampled frames and the redaction boxes, added or removed boxes of their own (the worker
// blacks them out on the de-identified derivative: workflows/src/activities/privacy.ts) and released it; or
// rejected it, with a reason. Every change goes through one locked, audited transaction; audit events hold ids,
// counts and the decision, never the media or the reason's text.
import type { Asset, Prisma, Role } from '@suture/db';
import { freeText } from '@suture/workflows/domain/text';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Context, Services } from '../context.ts';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.ts';
import { nudgeBatch, requestPrivacyRedaction } from './temporal.ts';
import { hasCampaignRole } from './tenancy.ts';

/** Who acts on the privacy gate of a campaign: its privacy officers, and the organisation's admins. */
export const PRIVACY_ACTORS: readonly Role[] = ['PRIVACY_OFFICER', 'ADMIN'];
/** Boxes one officer may add to one asset. */
export const MAX_PRIVACY_BOXES = 200;
/** Smallest side of a box, in pixels. */
export const MIN_BOX_SIDE = 2;
/** Longest rejection reason, in characters. */
export const MAX_REASON = 1000;

export interface RedactionBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PrivacyFrame {
  frame: number;
  name: string;
  width: number;
  height: number;
}

const CLEARED: ReadonlySet<Asset['privacyStatus']> = new Set(['NOT_REQUIRED', 'RELEASED']);

/** Whether the privacy gate lets the asset's media reach people at large (annotators, experts, QA, ops). */
export const privacyCleared = (asset: Pick<Asset, 'privacyStatus'>): boolean => CLEARED.has(asset.privacyStatus);

/**
 * Whether the caller may be given URLs of an asset's media: anyone who may see the asset once it is cleared;
 * while it waits, only the privacy officers and admins of its campaign; a rejected asset's media to no one.
 */
export async function mayReadMedia(ctx: Context, asset: Pick<Asset, 'campaignId' | 'privacyStatus'>): Promise<boolean> {
  if (privacyCleared(asset)) return true;
  return asset.privacyStatus === 'PENDING_REVIEW' && hasCampaignRole(ctx, asset.campaignId, PRIVACY_ACTORS);
}

/** Where a derivative of an asset is stored (as workflows/src/activities/ingest.ts derivativeKeyFor writes it). */
export const derivativeKeyOf = (asset: Pick<Asset, 'campaignId' | 'id'>, name: string): string => `derived/${asset.campaignId}/${asset.id}/${name}`;

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const boxesIn = (value: unknown): Array<{ x: number; y: number; width: number; height: number; frame?: number }> =>
  (Array.isArray(value) ? value : []).filter((b): b is { x: number; y: number; width: number; height: number; frame?: number } => {
    const r = record(b);
    return [r.x, r.y, r.width, r.height].every((n) => typeof n === 'number' && Number.isFinite(n));
  });

/** Why de-identification asked for a person (its review reasons; never PHI). */
export function reviewReasons(asset: Pick<Asset, 'metadata'>): string[] {
  const reasons = record(record(asset.metadata).deid).reviewReasons;
  if (Array.isArray(reasons)) return reasons.filter((r): r is string => typeof r === 'string');
  // Assets ingested before the reasons were kept: the flag alone.
  return record(asset.metadata).needsHumanReview === true ? ['de-identification asked for a human check'] : [];
}

/**
 * The boxes de-identification blacked out by itself, in the pixels of one sampled frame: DICOM regions of that
 * frame, an image's regions, or a video's boxes of every time window (found on the source, scaled to the proxy).
 */
export function automaticBoxes(asset: Pick<Asset, 'kind' | 'metadata'>, frame: Pick<PrivacyFrame, 'frame' | 'width'>): Array<Omit<RedactionBox, 'id'>> {
  const metadata = record(asset.metadata);
  const deid = record(metadata.deid);
  const plain = (b: { x: number; y: number; width: number; height: number }, scale = 1) => ({ x: b.x * scale, y: b.y * scale, width: b.width * scale, height: b.height * scale });
  switch (asset.kind) {
    case 'DICOM':
      return boxesIn(record(deid.burnedIn).regions)
        .filter((b) => b.frame === undefined || b.frame === frame.frame)
        .map((b) => plain(b));
    case 'IMAGE':
      return boxesIn(deid.regions).map((b) => plain(b));
    case 'VIDEO': {
      const sourceWidth = Number(record(metadata.probe).width);
      const scale = sourceWidth > 0 && frame.width > 0 ? frame.width / sourceWidth : 1;
      return (Array.isArray(deid.windows) ? deid.windows : []).flatMap((w) => boxesIn(record(w).boxes).map((b) => plain(b, scale)));
    }
    case 'NIFTI':
      return [];
  }
}

/** How many boxes de-identification blacked out by itself (for the audit: counts, not coordinates). */
export function automaticBoxCount(asset: Pick<Asset, 'kind' | 'metadata'>): number {
  const deid = record(record(asset.metadata).deid);
  if (asset.kind === 'DICOM') return boxesIn(record(deid.burnedIn).regions).length;
  if (asset.kind === 'IMAGE') return boxesIn(deid.regions).length;
  if (asset.kind === 'VIDEO') return (Array.isArray(deid.windows) ? deid.windows : []).reduce((n: number, w) => n + boxesIn(record(w).boxes).length, 0);
  return 0;
}

export function framesOf(value: Prisma.JsonValue): PrivacyFrame[] {
  return (Array.isArray(value) ? value : []).map((f) => {
    const r = record(f);
    return { frame: Number(r.frame), name: String(r.name), width: Number(r.width), height: Number(r.height) };
  });
}

export function boxesOf(value: Prisma.JsonValue): RedactionBox[] {
  return boxesIn(value).map((b) => ({ id: String(record(b).id), x: b.x, y: b.y, width: b.width, height: b.height }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The asset and its review, the asset row locked: decisions and box edits of one asset happen one after the
 * other. Only an asset still waiting may change.
 */
async function lockedPendingReview(tx: Prisma.TransactionClient, assetId: string) {
  if (!UUID.test(assetId)) throw new NotFoundError('asset');
  const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Asset" WHERE id = ${assetId}::uuid FOR UPDATE`;
  if (!locked) throw new NotFoundError('asset');
  const asset = await tx.asset.findUniqueOrThrow({ where: { id: assetId }, include: { privacyReview: true } });
  if (asset.privacyStatus !== 'PENDING_REVIEW') {
    const state = asset.privacyStatus === 'NOT_REQUIRED' ? 'needs no privacy review' : `was already ${asset.privacyStatus === 'RELEASED' ? 'released' : 'rejected'}`;
    throw new DomainError('CONFLICT', `asset ${asset.id} ${state}; decisions are final`);
  }
  return asset;
}

/** The checked box: finite, at least MIN_BOX_SIDE pixels a side, inside the sampled frames. */
function checkedBox(box: Omit<RedactionBox, 'id'>, frame: PrivacyFrame): Omit<RedactionBox, 'id'> {
  const problems: string[] = [];
  for (const key of ['x', 'y', 'width', 'height'] as const) if (!Number.isFinite(box[key])) problems.push(`${key} must be a finite number`);
  if (problems.length) throw new InvalidInputError('the box is not a box', problems);
  if (box.width < MIN_BOX_SIDE) problems.push(`width must be at least ${MIN_BOX_SIDE} pixels (got ${box.width})`);
  if (box.height < MIN_BOX_SIDE) problems.push(`height must be at least ${MIN_BOX_SIDE} pixels (got ${box.height})`);
  if (box.x < 0 || box.y < 0) problems.push(`x and y must be >= 0 (got ${box.x}, ${box.y})`);
  if (box.x + box.width > frame.width) problems.push(`x + width (${box.x + box.width}) is past the frame's width of ${frame.width} pixels`);
  if (box.y + box.height > frame.height) problems.push(`y + height (${box.y + box.height}) is past the frame's height of ${frame.height} pixels`);
  if (problems.length) throw new InvalidInputError('the box does not fit the frames', problems);
  return { x: box.x, y: box.y, width: box.width, height: box.height };
}

async function changeBoxes(
  services: Services,
  actor: AuthUser,
  assetId: string,
  change: (boxes: RedactionBox[], frame: PrivacyFrame) => { boxes: RedactionBox[]; action: string; boxId: string },
): Promise<string> {
  await services.prisma.$transaction(async (tx) => {
    const asset = await lockedPendingReview(tx, assetId);
    const review = asset.privacyReview;
    if (!review) throw new DomainError('CONFLICT', `the review of asset ${asset.id} is still being prepared (its sampled frames are being rendered); try again in a moment`);
    const frame = framesOf(review.frames)[0];
    if (!frame) {
      throw new DomainError('CONFLICT', `no frame of asset ${asset.id} could be rendered, so no box can be blacked out on it: release it as it is or reject it`);
    }
    const { boxes, action, boxId } = change(boxesOf(review.boxes), frame);
    const updated = await tx.privacyReview.update({
      where: { assetId: asset.id },
      data: { boxes: boxes as unknown as Prisma.InputJsonValue, revision: { increment: 1 } },
      select: { revision: true },
    });
    await appendAudit(tx, {
      actorId: actor.id,
      action,
      entityType: 'Asset',
      entityId: asset.id,
      data: { boxId, boxes: boxes.length, automaticBoxes: automaticBoxCount(asset), revision: updated.revision },
    });
  });
  await requestPrivacyRedaction(services, assetId);
  return assetId;
}

/** Adds a box to black out on every frame (in the sampled frames' pixels); the worker applies it to the de-identified derivative. */
export function addRedactionBox(services: Services, actor: AuthUser, assetId: string, box: Omit<RedactionBox, 'id'>): Promise<string> {
  return changeBoxes(services, actor, assetId, (boxes, frame) => {
    if (boxes.length >= MAX_PRIVACY_BOXES) throw new InvalidInputError(`an asset takes at most ${MAX_PRIVACY_BOXES} boxes; reject it if more is identifying`);
    const added = { id: crypto.randomUUID(), ...checkedBox(box, frame) };
    return { boxes: [...boxes, added], action: 'privacy.box-added', boxId: added.id };
  });
}

/** Removes a box the officers added (the worker restores ingest's pixels under it); automatic boxes stay. */
export function removeRedactionBox(services: Services, actor: AuthUser, assetId: string, boxId: string): Promise<string> {
  return changeBoxes(services, actor, assetId, (boxes) => {
    if (!boxes.some((b) => b.id === boxId)) {
      throw new NotFoundError(`box ${boxId} among the boxes officers added to this asset (automatic boxes are part of the de-identified derivative and stay)`);
    }
    return { boxes: boxes.filter((b) => b.id !== boxId), action: 'privacy.box-removed', boxId };
  });
}

/** The batches an asset's tasks belong to are told the gate moved (they re-read the database). */
async function nudgeBatchesOf(services: Services, assetId: string): Promise<void> {
  const batches = await services.prisma.task.findMany({ where: { assetId, batch: { status: 'RUNNING' } }, distinct: ['batchId'], select: { batchId: true } });
  for (const b of batches) await nudgeBatch(services, b.batchId);
}

/**
 * Releases an asset to its annotators: the boxes the officer sees are the boxes applied (a change still being
 * applied is refused), the review records who decided and when, and the asset's batches open its tasks.
 */
export async function releaseAsset(services: Services, actor: AuthUser, assetId: string): Promise<string> {
  await services.prisma.$transaction(async (tx) => {
    const asset = await lockedPendingReview(tx, assetId);
    const review = asset.privacyReview;
    if (!review) throw new DomainError('CONFLICT', `the review of asset ${asset.id} is still being prepared; release it once its sampled frames are shown`);
    if (review.appliedRevision < review.revision) {
      throw new DomainError('CONFLICT', `the boxes of asset ${asset.id} are still being blacked out on its derivative; release it once the frames show them`);
    }
    const now = new Date();
    await tx.asset.update({ where: { id: asset.id }, data: { privacyStatus: 'RELEASED' } });
    await tx.privacyReview.update({ where: { assetId: asset.id }, data: { decidedById: actor.id, decidedAt: now } });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'privacy.released',
      entityType: 'Asset',
      entityId: asset.id,
      data: { decision: 'RELEASED', boxes: boxesOf(review.boxes).length, automaticBoxes: automaticBoxCount(asset), revision: review.revision },
    });
  });
  await nudgeBatchesOf(services, assetId);
  return assetId;
}

/**
 * Rejects an asset: nothing of it reaches anyone; its batches take its tasks out (with the reason "rejected by
 * privacy review") and delete its derivatives. The reason is kept on the review for the campaign's managers;
 * the audit event records its length only (people may type anything into it).
 */
export async function rejectAsset(services: Services, actor: AuthUser, assetId: string, reason: string): Promise<string> {
  const parsed = freeText(MAX_REASON).safeParse(reason.trim());
  if (!parsed.success) throw new InvalidInputError(`reason ${parsed.error.issues[0]?.message ?? 'is not acceptable'}`);
  if (parsed.data.length < 3) throw new InvalidInputError('give a reason for the rejection (at least 3 characters): the operations manager needs to know what to fix');
  await services.prisma.$transaction(async (tx) => {
    const asset = await lockedPendingReview(tx, assetId);
    const now = new Date();
    await tx.asset.update({ where: { id: asset.id }, data: { privacyStatus: 'REJECTED' } });
    await tx.privacyReview.upsert({
      where: { assetId: asset.id },
      create: { assetId: asset.id, decidedById: actor.id, decidedAt: now, reason: parsed.data },
      update: { decidedById: actor.id, decidedAt: now, reason: parsed.data },
    });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'privacy.rejected',
      entityType: 'Asset',
      entityId: asset.id,
      data: { decision: 'REJECTED', boxes: boxesOf(asset.privacyReview?.boxes ?? []).length, automaticBoxes: automaticBoxCount(asset), reasonLength: parsed.data.length },
    });
  });
  await nudgeBatchesOf(services, assetId);
  return assetId;
}
