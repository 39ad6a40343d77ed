// The privacy gate on the worker's side. An asset whose de-identification asked for a person waits in
// PENDING_REVIEW (set by ingest.ts); here the worker prepares its review (the derivatives as ingest made them
// are kept under privacy/base/, sampled frames are rendered for the officer), blacks out the boxes the
// officer adds on the de-identified derivatives with the media library's own code (never on an original:
// the original is gone, or encrypted, by then), and once the officer has decided, lets the batch go on:
// released assets' tasks open, rejected assets' tasks leave the batch and their derivatives are deleted.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ApplicationFailure } from '@temporalio/common';
import type { Asset, Prisma, PrismaClient } from '@suture/db';
import sharp from 'sharp';
import { appendAudit } from '../services/audit-log.ts';
import { dicomVolumeNifti } from '../media/dicom/volume.ts';
import { setString } from '../media/dicom/parse.ts';
import {
  DicomTags as T,
  MediaError,
  TS,
  decodeFrame,
  deidentifyImage,
  displaySupport,
  extractFrame,
  fillBoxes,
  frameIndexOf,
  pixelModule,
  readDicom,
  renderFramePng,
  spriteStrip,
  transcodeProxy,
  writeDicom,
  type Box,
  type DecodedFrame,
} from '../media/index.ts';
import { DICOM_VOLUME, derivativeKeyFor } from './ingest.ts';

export interface PrivacyDeps {
  prisma: PrismaClient;
  s3: S3Client;
  bucket: string;
  sse?: 'AES256' | 'aws:kms' | undefined;
  heartbeat?: (details: unknown) => void;
}

/** A box the officer added: blacked out on every frame, in the pixels of the sampled frames. */
export interface RedactionBox extends Box {
  id: string;
}

/** One sampled frame rendered for the officer: frame number (DICOM frame, proxy frame of a video), its derivative name and size. */
export interface PrivacyFrame {
  frame: number;
  name: string;
  width: number;
  height: number;
}

/** Frames rendered for the officer per asset at most: first, last and evenly between. */
export const PRIVACY_SAMPLED_FRAMES = 6;

/** The derivatives an officer's boxes rewrite (the others, e.g. frames.json, do not change). */
function rewrittenDerivatives(asset: Pick<Asset, 'kind' | 'derivativeKey' | 'metadata'>): string[] {
  const metadata = (asset.metadata ?? {}) as Record<string, unknown>;
  switch (asset.kind) {
    case 'IMAGE':
      return ['deidentified.png'];
    case 'DICOM':
      return ['deidentified.dcm', ...(asset.derivativeKey?.endsWith('/display.png') ? ['display.png'] : []), ...(metadata.volume === DICOM_VOLUME ? [DICOM_VOLUME] : [])];
    case 'VIDEO':
      return ['deidentified.mp4', 'proxy.mp4', ...(metadata.sprite ? ['sprite.jpg'] : [])];
    case 'NIFTI':
      return [];
  }
}

/** Where ingest's own version of a derivative is kept while the asset is under review. */
const baseName = (name: string): string => `privacy/base/${name}`;
const frameName = (frame: number): string => `privacy/frame-${frame}.png`;

// The folders of a derivative's key: derived/<campaign>/<asset>/ and its privacy/base/.
const folderOf = (key: string): string => key.slice(0, key.lastIndexOf('/') + 1);
const derivedFolder = (asset: Pick<Asset, 'campaignId' | 'id'>): string => folderOf(derivativeKeyFor(asset, 'deidentified.png'));
const baseFolder = (asset: Pick<Asset, 'campaignId' | 'id'>): string => folderOf(derivativeKeyFor(asset, baseName('deidentified.png')));

/** `count` frame numbers of 0..total-1: the first, the last and evenly spaced between. */
export function sampledFrames(total: number, count = PRIVACY_SAMPLED_FRAMES): number[] {
  if (total <= 0) return [];
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  return [...new Set(Array.from({ length: count }, (_, k) => Math.round((k * (total - 1)) / (count - 1))))];
}

/** The officer's boxes as stored (PrivacyReview.boxes), checked: anything else is a bug, not input. */
export function parseBoxes(value: Prisma.JsonValue): RedactionBox[] {
  if (!Array.isArray(value)) throw new Error('PrivacyReview.boxes is not a list');
  return value.map((v) => {
    const b = v as Record<string, unknown>;
    if (typeof b.id !== 'string' || ![b.x, b.y, b.width, b.height].every((n) => typeof n === 'number' && Number.isFinite(n))) {
      throw new Error('PrivacyReview.boxes holds a malformed box');
    }
    return { id: b.id, x: b.x as number, y: b.y as number, width: b.width as number, height: b.height as number };
  });
}

/** Heartbeats every 10 s while long steps (a download, a whole-video re-encode) report nothing; call the result to stop. */
function keepAlive(deps: PrivacyDeps, assetId: string): () => void {
  const timer = setInterval(() => deps.heartbeat?.({ assetId }), 10_000);
  timer.unref();
  return () => clearInterval(timer);
}

async function download(deps: PrivacyDeps, key: string, path: string): Promise<void> {
  const res = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  if (!res.Body) throw new Error(`object ${key} has no body`);
  await pipeline(res.Body as Readable, createWriteStream(path));
}

/** Streams a file to S3 (multipart when large: a redacted hour-long proxy is several GB). */
async function upload(deps: PrivacyDeps, key: string, path: string, contentType: string): Promise<void> {
  await new Upload({
    client: deps.s3,
    params: { Bucket: deps.bucket, Key: key, Body: createReadStream(path), ContentType: contentType, ...(deps.sse ? { ServerSideEncryption: deps.sse } : {}) },
    partSize: 16 * 2 ** 20,
    queueSize: 2,
    leavePartsOnError: false,
  }).done();
}

async function copy(deps: PrivacyDeps, from: string, to: string): Promise<void> {
  await deps.s3.send(new CopyObjectCommand({ Bucket: deps.bucket, CopySource: `${deps.bucket}/${from}`, Key: to, ...(deps.sse ? { ServerSideEncryption: deps.sse } : {}) }));
}

const contentTypeOf = (name: string): string =>
  name.endsWith('.png')
    ? 'image/png'
    : name.endsWith('.jpg')
      ? 'image/jpeg'
      : name.endsWith('.mp4')
        ? 'video/mp4'
        : name.endsWith('.dcm')
          ? 'application/dicom'
          : 'application/gzip';

/** Native little-endian bytes of a decoded frame (16-bit samples as two bytes each). */
function frameToBytes(frame: DecodedFrame): Uint8Array {
  if (frame.data instanceof Uint8Array) return frame.data;
  const out = new Uint8Array(frame.data.length * 2);
  const view = new DataView(out.buffer);
  frame.data.forEach((v, i) => (frame.signed ? view.setInt16(i * 2, v, true) : view.setUint16(i * 2, v, true)));
  return out;
}

/**
 * Blacks out `boxes` on every frame of a de-identified DICOM with the media library's decoder and fill
 * (fillBoxes, as de-identification does); only Pixel Data and the attributes describing it change, the
 * header stays as de-identification wrote it. Encapsulated frames are stored uncompressed afterwards.
 */
export async function blackOutDicom(bytes: Uint8Array, boxes: Box[]): Promise<Uint8Array> {
  const file = readDicom(bytes);
  const ds = file.dataset;
  const pixel = ds.get(T.PixelData);
  if (!pixel) throw new MediaError('DECODE_FAILED', 'The data set has no Pixel Data (7FE0,0010): there is nothing to black out.');
  const support = displaySupport(file.transferSyntaxUID);
  if (!support.displayable) throw new MediaError('UNSUPPORTED_TRANSFER_SYNTAX', `Frames in ${support.transferSyntaxName} cannot be decoded, so no box can be blacked out on them.`);
  const pm = pixelModule(file);
  if (pm.bitsAllocated === 1) throw new MediaError('UNSUPPORTED_TRANSFER_SYNTAX', 'Single-bit pixel data cannot be rewritten with boxes blacked out.');
  const frames: DecodedFrame[] = [];
  for (let i = 0; i < pm.numberOfFrames; i++) {
    const frame = await decodeFrame(file, i);
    fillBoxes(frame, boxes);
    frames.push(frame);
  }
  const native = frames.map(frameToBytes);
  const total = native.reduce((n, f) => n + f.length, 0);
  const data = new Uint8Array(total + (total % 2));
  let offset = 0;
  for (const f of native) {
    data.set(f, offset);
    offset += f.length;
  }
  const first = frames[0]!;
  let transferSyntaxUID = file.transferSyntaxUID;
  if (pixel.fragments) {
    transferSyntaxUID = TS.ExplicitLE;
    const bits = new Uint8Array(2);
    new DataView(bits.buffer).setUint16(0, first.bitsAllocated, true);
    ds.set(T.BitsAllocated, { tag: T.BitsAllocated, vr: 'US', value: bits });
    ds.delete(T.ExtendedOffsetTable);
    ds.delete(T.ExtendedOffsetTableLengths);
  }
  // Decoded frames are interleaved and, for 4:2:2 and compressed colour, no longer in the stored photometric.
  setString(ds, T.PhotometricInterpretation, 'CS', first.photometricInterpretation);
  if (first.samplesPerPixel > 1) ds.set(T.PlanarConfiguration, { tag: T.PlanarConfiguration, vr: 'US', value: new Uint8Array(2) });
  if (!file.littleEndian && first.bitsAllocated > 8) for (let i = 0; i + 1 < data.length; i += 2) [data[i], data[i + 1]] = [data[i + 1]!, data[i]!];
  ds.set(T.PixelData, { tag: T.PixelData, vr: first.bitsAllocated > 8 ? 'OW' : 'OB', value: data });
  return writeDicom(file, { transferSyntaxUID });
}

/** Renders the sampled frames of the asset's current derivatives into privacy/frame-<n>.png and uploads them. */
async function renderSampledFrames(deps: PrivacyDeps, asset: Asset, dir: string): Promise<PrivacyFrame[]> {
  const frames: PrivacyFrame[] = [];
  const put = async (frame: number, png: Buffer): Promise<void> => {
    const { width, height } = await sharp(png).metadata();
    const path = join(dir, `frame-${frame}.png`);
    await writeFile(path, png);
    await upload(deps, derivativeKeyFor(asset, frameName(frame)), path, 'image/png');
    frames.push({ frame, name: frameName(frame), width: width ?? 0, height: height ?? 0 });
  };
  switch (asset.kind) {
    case 'IMAGE': {
      const path = join(dir, 'sample.png');
      await download(deps, derivativeKeyFor(asset, 'deidentified.png'), path);
      await put(0, await readFile(path));
      break;
    }
    case 'DICOM': {
      const path = join(dir, 'sample.dcm');
      await download(deps, derivativeKeyFor(asset, 'deidentified.dcm'), path);
      const file = readDicom(await readFile(path));
      try {
        for (const n of sampledFrames(pixelModule(file).numberOfFrames)) await put(n, await renderFramePng(file, n));
      } catch (error) {
        // Undecodable pixel data: the officer judges by the report (and may only release or reject).
        if (!(error instanceof MediaError)) throw error;
        frames.length = 0;
      }
      break;
    }
    case 'VIDEO': {
      const proxy = join(dir, 'sample.mp4');
      await download(deps, derivativeKeyFor(asset, 'proxy.mp4'), proxy);
      const index = await frameIndexOf(proxy);
      for (const n of sampledFrames(index.frameCount)) {
        const out = join(dir, `extract-${n}.png`);
        await extractFrame(proxy, index, n, out);
        await put(n, await readFile(out));
        deps.heartbeat?.({ assetId: asset.id, frame: n });
      }
      break;
    }
    case 'NIFTI':
      break;
  }
  return frames;
}

/**
 * Prepares the review of a flagged, ingested asset: keeps ingest's derivatives under privacy/base/ (the
 * officer's boxes are always applied to these, so a box removed is a box no longer blacked out) and renders
 * the sampled frames. Idempotent: a prepared review is left as it is.
 */
export async function preparePrivacyReview(deps: PrivacyDeps, assetId: string): Promise<boolean> {
  const asset = await deps.prisma.asset.findUniqueOrThrow({ where: { id: assetId }, include: { privacyReview: { select: { assetId: true } } } });
  if (asset.status !== 'READY' || asset.privacyStatus !== 'PENDING_REVIEW' || asset.privacyReview) return false;
  const dir = await mkdtemp(join(tmpdir(), 'suture-privacy-'));
  const stop = keepAlive(deps, assetId);
  try {
    for (const name of rewrittenDerivatives(asset)) await copy(deps, derivativeKeyFor(asset, name), derivativeKeyFor(asset, baseName(name)));
    const frames = await renderSampledFrames(deps, asset, dir);
    await deps.prisma.$transaction(async (tx) => {
      await tx.privacyReview.upsert({
        where: { assetId },
        create: { assetId, frames: frames as unknown as Prisma.InputJsonValue },
        update: {},
      });
      await appendAudit(tx, { action: 'privacy.review-prepared', entityType: 'Asset', entityId: assetId, data: { kind: asset.kind, frames: frames.length } });
    });
    return true;
  } finally {
    stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What one application of the officer's boxes did: the revision it applied and the latest one (newer edits may wait). */
export interface AppliedBoxes {
  appliedRevision: number;
  revision: number;
}

/**
 * Blacks out the officer's current boxes on ingest's derivatives (privacy/base/) and writes the result where
 * annotators will read it once released, with the same media code ingest uses: the image re-encoded with the
 * boxes filled (deidentifyImage), every DICOM frame filled (fillBoxes) with its display PNG and volume made
 * again, a video's de-identified file and proxy re-encoded with the boxes drawn over their whole length
 * (transcodeProxy, as de-identification redacts) and its sprite made again. Then the sampled frames are
 * rendered again. Runs one at a time per asset (the privacyRedaction workflow); a revision already applied is
 * a no-op.
 */
export async function applyPrivacyBoxes(deps: PrivacyDeps, assetId: string): Promise<AppliedBoxes> {
  const review = await deps.prisma.privacyReview.findUnique({ where: { assetId }, include: { asset: true } });
  if (!review) throw ApplicationFailure.nonRetryable(`asset ${assetId} has no privacy review`, 'NO_PRIVACY_REVIEW');
  const { asset } = review;
  const target = review.revision;
  if (asset.privacyStatus !== 'PENDING_REVIEW' || review.appliedRevision >= target) return { appliedRevision: review.appliedRevision, revision: target };
  const boxes = parseBoxes(review.boxes);
  const dir = await mkdtemp(join(tmpdir(), 'suture-privacy-'));
  const stop = keepAlive(deps, assetId);
  try {
    const fetchBase = async (name: string): Promise<string> => {
      const path = join(dir, `base-${name}`);
      await download(deps, derivativeKeyFor(asset, baseName(name)), path);
      return path;
    };
    const outputs: Array<{ name: string; path: string }> = [];
    const names = rewrittenDerivatives(asset);
    if (boxes.length === 0) {
      // Nothing of the officer's left: ingest's versions as they were.
      for (const name of names) await copy(deps, derivativeKeyFor(asset, baseName(name)), derivativeKeyFor(asset, name));
    } else if (asset.kind === 'IMAGE') {
      const out = join(dir, 'deidentified.png');
      await deidentifyImage(await fetchBase('deidentified.png'), out, { redactRegions: boxes });
      outputs.push({ name: 'deidentified.png', path: out });
    } else if (asset.kind === 'DICOM') {
      const bytes = await blackOutDicom(await readFile(await fetchBase('deidentified.dcm')), boxes);
      await writeFile(join(dir, 'deidentified.dcm'), bytes);
      outputs.push({ name: 'deidentified.dcm', path: join(dir, 'deidentified.dcm') });
      const file = readDicom(bytes);
      if (names.includes('display.png')) {
        await writeFile(join(dir, 'display.png'), await renderFramePng(file, 0));
        outputs.push({ name: 'display.png', path: join(dir, 'display.png') });
      }
      if (names.includes(DICOM_VOLUME)) {
        await writeFile(join(dir, DICOM_VOLUME), gzipSync(await dicomVolumeNifti(file)));
        outputs.push({ name: DICOM_VOLUME, path: join(dir, DICOM_VOLUME) });
      }
    } else if (asset.kind === 'VIDEO') {
      const metadata = asset.metadata as {
        probe?: { width?: number; duration?: number };
        proxy?: { fps: number; frameCount: number; width: number; height: number; duration: number };
      };
      const proxyMeta = metadata.proxy;
      if (!proxyMeta || !metadata.probe?.width) throw ApplicationFailure.nonRetryable(`video ${assetId} has no proxy metadata`, 'NO_PROXY_METADATA');
      // Boxes are drawn on the proxy's frames; the de-identified file has the source's size.
      const scale = metadata.probe.width / proxyMeta.width;
      const whole = (duration: number, scaleBy: number) => [
        { start: 0, end: duration + 1, boxes: boxes.map((b) => ({ x: b.x * scaleBy, y: b.y * scaleBy, width: b.width * scaleBy, height: b.height * scaleBy })) },
      ];
      const deidentified = join(dir, 'deidentified.mp4');
      const proxy = join(dir, 'proxy.mp4');
      const sourceHeight = Math.round(proxyMeta.height * scale);
      await transcodeProxy(await fetchBase('deidentified.mp4'), deidentified, {
        redact: whole(metadata.probe.duration ?? proxyMeta.duration, scale),
        maxHeight: Math.max(sourceHeight, 2),
      });
      deps.heartbeat?.({ assetId, step: 'deidentified' });
      const made = await transcodeProxy(await fetchBase('proxy.mp4'), proxy, {
        redact: whole(proxyMeta.duration, 1),
        fps: proxyMeta.fps,
        maxHeight: Math.max(proxyMeta.height, 2),
      });
      // frames.json maps the proxy's frames to source frames: the redacted proxy must keep every frame where it was.
      if (made.index.frameCount !== proxyMeta.frameCount) {
        throw ApplicationFailure.nonRetryable(
          `the redacted proxy of video ${assetId} has ${made.index.frameCount} frames instead of ${proxyMeta.frameCount}`,
          'PROXY_FRAMES_CHANGED',
        );
      }
      outputs.push({ name: 'deidentified.mp4', path: deidentified }, { name: 'proxy.mp4', path: proxy });
      if (names.includes('sprite.jpg')) {
        await spriteStrip(proxy, join(dir, 'sprite.jpg'));
        outputs.push({ name: 'sprite.jpg', path: join(dir, 'sprite.jpg') });
      }
    }
    for (const o of outputs) await upload(deps, derivativeKeyFor(asset, o.name), o.path, contentTypeOf(o.name));
    const frames = await renderSampledFrames(deps, asset, dir);
    // Rejected meanwhile: its batches may already have deleted its derivatives; what was written here goes too.
    const now = await deps.prisma.asset.findUniqueOrThrow({ where: { id: assetId }, select: { privacyStatus: true } });
    if (now.privacyStatus === 'REJECTED') {
      await deletePrefix(deps, derivedFolder(asset));
      return { appliedRevision: review.appliedRevision, revision: target };
    }
    await deps.prisma.$transaction(async (tx) => {
      // Never backwards: a later revision may have been applied by a retry of this workflow meanwhile.
      await tx.privacyReview.updateMany({
        where: { assetId, appliedRevision: { lt: target } },
        data: { appliedRevision: target, frames: frames as unknown as Prisma.InputJsonValue },
      });
      await appendAudit(tx, { action: 'privacy.boxes-applied', entityType: 'Asset', entityId: assetId, data: { revision: target, boxes: boxes.length, frames: frames.length } });
    });
    const latest = await deps.prisma.privacyReview.findUniqueOrThrow({ where: { assetId }, select: { revision: true, appliedRevision: true } });
    return { appliedRevision: latest.appliedRevision, revision: latest.revision };
  } finally {
    stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function deletePrefix(deps: PrivacyDeps, prefix: string): Promise<number> {
  let deleted = 0;
  for (let token: string | undefined; ;) {
    const listed = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    const keys = (listed.Contents ?? []).map((c) => ({ Key: c.Key! }));
    if (keys.length > 0) {
      await deps.s3.send(new DeleteObjectsCommand({ Bucket: deps.bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
    if (!listed.IsTruncated) return deleted;
    token = listed.NextContinuationToken;
  }
}

/** The privacy gate of one batch as the workflow sees it after applying the officers' decisions. */
export interface PrivacyGate {
  /** Assets of the batch still waiting for a privacy officer. */
  waiting: number;
  /** Tasks opened now because their asset was released. */
  opened: number;
  /** Tasks taken out of the batch now because their asset was rejected. */
  excluded: number;
  /** Rejected assets of the batch (all time). */
  rejected: number;
}

/**
 * Applies the decided reviews to a batch's waiting tasks: a released asset's tasks are opened through
 * `open` (the batch's own opening: workflow first, then OPEN), a rejected asset's tasks leave the batch
 * (EXCLUDED, any claim released) and its derivatives are deleted; decided assets lose their privacy/base/
 * copies. Idempotent.
 */
export async function applyPrivacyDecisions(deps: PrivacyDeps, batchId: string, open: (taskIds: Array<{ id: string; round: number }>) => Promise<number>): Promise<PrivacyGate> {
  const { prisma } = deps;
  const rows = await prisma.$queryRaw<Array<{ id: string; campaignId: string; privacyStatus: string; derivativeKey: string | null; waitingTasks: bigint }>>`
    SELECT a.id::text AS id, a."campaignId"::text AS "campaignId", a."privacyStatus"::text AS "privacyStatus", a."derivativeKey",
           count(*) FILTER (WHERE t.status IN ('PENDING', 'OPEN'))::bigint AS "waitingTasks"
    FROM "Asset" a JOIN "Task" t ON t."assetId" = a.id
    WHERE t."batchId" = ${batchId}::uuid AND a."privacyStatus" IN ('PENDING_REVIEW', 'RELEASED', 'REJECTED')
    GROUP BY a.id`;
  let opened = 0;
  let excluded = 0;
  for (const asset of rows.filter((r) => r.privacyStatus === 'RELEASED')) {
    const tasks = await prisma.task.findMany({ where: { batchId, assetId: asset.id, status: 'PENDING' }, select: { id: true, round: true }, orderBy: { id: 'asc' } });
    if (tasks.length === 0) continue;
    // Ingest's versions without the officer's boxes go before any annotator can be given the asset.
    await deletePrefix(deps, baseFolder(asset));
    const n = await open(tasks);
    opened += n;
    await prisma.$transaction((tx) => appendAudit(tx, { action: 'batch.privacy-released', entityType: 'Batch', entityId: batchId, data: { assetId: asset.id, tasks: n } }));
  }
  for (const asset of rows.filter((r) => r.privacyStatus === 'REJECTED' && r.waitingTasks > 0n)) {
    excluded += await prisma.$transaction(async (tx) => {
      // Never opened (the gate kept them PENDING); a claim on one would be a bug, released all the same.
      const claimed = await tx.$queryRaw<Array<{ taskId: string }>>`
        UPDATE "Assignment" a SET status = 'RELEASED' FROM "Task" t
        WHERE a."taskId" = t.id AND t."batchId" = ${batchId}::uuid AND t."assetId" = ${asset.id}::uuid AND a.status = 'ACTIVE'
        RETURNING a."taskId" AS "taskId"`;
      const res = await tx.task.updateMany({ where: { batchId, assetId: asset.id, status: { in: ['PENDING', 'OPEN'] } }, data: { status: 'EXCLUDED', openSlots: 0 } });
      if (res.count > 0)
        await appendAudit(tx, {
          action: 'batch.tasks-excluded',
          entityType: 'Batch',
          entityId: batchId,
          data: { tasks: res.count, assetId: asset.id, reason: 'rejected by privacy review', claimsReleased: claimed.length },
        });
      return res.count;
    });
  }
  // A rejected asset keeps nothing in storage; derivativeKey goes null once its objects are gone.
  for (const asset of rows.filter((r) => r.privacyStatus === 'REJECTED' && r.derivativeKey !== null)) {
    const deleted = await deletePrefix(deps, derivedFolder(asset));
    await prisma.$transaction(async (tx) => {
      // Another batch of the same asset may have done it at the same time: recorded once.
      const cleared = await tx.asset.updateMany({ where: { id: asset.id, derivativeKey: { not: null } }, data: { derivativeKey: null } });
      if (cleared.count > 0) await appendAudit(tx, { action: 'privacy.derivatives-deleted', entityType: 'Asset', entityId: asset.id, data: { objects: deleted } });
    });
  }
  return {
    waiting: rows.filter((r) => r.privacyStatus === 'PENDING_REVIEW').length,
    opened,
    excluded,
    rejected: rows.filter((r) => r.privacyStatus === 'REJECTED').length,
  };
}
