// Turns a quarantined original into the de-identified derivatives annotators see, with the media
// library: validate and probe, de-duplicate by hash, de-identify (PS3.15 profile for DICOM, header
// scrub for NIfTI, metadata strip and burned-in text redaction for video and images), render what the
// browser shows (PNG for DICOM/NIfTI; for video an H.264 proxy of the ops manager's trim range, its
// frame index mapped to source frames and a sprite strip), keep the original envelope-encrypted when
// the campaign's media policy says so, then drop the quarantined upload.
// A file that fails gets a specific error on its asset and never stops the rest of the batch.
// The asset's ingestStep/ingestProgress follow the work (throttled writes) for the console.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Asset, AssetKind, Prisma, PrismaClient } from '@suture/db';
import { mediaPolicyProblems, mediaPolicySchema, type MediaPolicy } from '../domain/media-policy.ts';
import { encryptFileStream, type EnvelopeRecord } from '../media/envelope.ts';
import { appendAudit } from '../services/audit-log.ts';
import { dicomVolumeNifti } from '../media/dicom/volume.ts';
import {
  MediaError,
  deidentifyFile,
  deidentifyVideo,
  deriveDeidKeys,
  frameAtTime,
  frameIndexOf,
  niftiSlicePng,
  readDicom,
  readNifti,
  renderFramePng,
  spriteStrip,
  timeOfFrame,
  transcodeProxy,
  trimFrames,
  validateAndProbe,
  type FrameIndex,
  type TextDetector,
  type VideoProbe,
} from '../media/index.ts';

export interface IngestDeps {
  prisma: PrismaClient;
  s3: S3Client;
  bucket: string;
  /** The deployment's server-side encryption (S3_SSE); a campaign's media policy may override it. */
  sse?: 'AES256' | 'aws:kms' | undefined;
  /** The project's de-identification secret (UID remapping, pseudonyms, date shifts); from configuration. */
  deidSecret: string;
  /** Master key (32 bytes, SUTURE_ORIGINALS_KEY) wrapping the data keys of originals kept encrypted. */
  originalsKey?: Buffer | undefined;
  textDetector?: TextDetector;
  heartbeat?: (details: unknown) => void;
  /** Least time between two progress writes of one asset (default 1000 ms). */
  progressIntervalMs?: number;
}

export type IngestStep = 'download' | 'hash' | 'probe' | 'deidentify' | 'proxy' | 'derivatives' | 'done' | 'failed';

export const derivativeKeyFor = (asset: Pick<Asset, 'campaignId' | 'id'>, name: string): string => `derived/${asset.campaignId}/${asset.id}/${name}`;
/** Where a retained original lives, envelope-encrypted (never signed for viewing). */
export const originalKeyFor = (asset: Pick<Asset, 'campaignId' | 'id'>): string => `originals/${asset.campaignId}/${asset.id}/original.enc`;

const kindOfProbe: Record<string, AssetKind> = { dicom: 'DICOM', nifti: 'NIFTI', video: 'VIDEO', image: 'IMAGE' };
/** The de-identified DICOM as a NIfTI volume for the browser's viewer, beside its display slice (metadata.volume names it). */
export const DICOM_VOLUME = 'volume.nii.gz';
const extension: Record<AssetKind, string> = { DICOM: 'dcm', NIFTI: 'nii.gz', VIDEO: 'mp4', IMAGE: 'png' };
/** Seconds between frames scanned for burned-in text (the media library's default). */
const TEXT_SCAN_INTERVAL = 1;
const ENCRYPTED_PART_SIZE = 16 * 2 ** 20;

/** An expected failure of the ingest itself (not of the media): the asset fails with this code. */
class IngestFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IngestFailure';
  }
}

/**
 * The asset's ingest step and progress: every report goes to the Temporal heartbeat (at most every
 * 500 ms, and on each step change), writes to the asset row at most once per interval (the last state
 * is written when the interval has passed), and a keep-alive heartbeat covers long steps that report
 * nothing (a trim, a sprite, a large upload).
 */
class IngestProgress {
  private step: IngestStep = 'download';
  private fraction: number | null = 0;
  private lastWrite = 0;
  private lastBeat = 0;
  private dirty = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly interval: number;

  constructor(
    private readonly deps: IngestDeps,
    private readonly assetId: string,
  ) {
    this.interval = deps.progressIntervalMs ?? 1000;
    this.keepAlive = setInterval(() => this.beat(), 10_000);
    this.keepAlive.unref();
  }

  private details() {
    return { assetId: this.assetId, step: this.step, progress: this.fraction };
  }

  private beat(): void {
    this.lastBeat = Date.now();
    this.deps.heartbeat?.(this.details());
  }

  /** Enters the first step and waits until the row says so (from then on the trim can no longer change). */
  async start(): Promise<void> {
    this.beat();
    this.lastWrite = Date.now();
    await this.deps.prisma.asset.updateMany({ where: { id: this.assetId, status: 'QUARANTINED' }, data: { ingestStep: this.step, ingestProgress: this.fraction } });
  }

  report(step: IngestStep, fraction: number | null = 0): void {
    if (this.closed) return;
    const changed = step !== this.step;
    this.step = step;
    this.fraction = fraction === null ? null : Math.min(1, Math.max(0, fraction));
    if (changed || Date.now() - this.lastBeat >= 500) this.beat();
    this.dirty = true;
    if (this.timer) return;
    const wait = this.lastWrite + this.interval - Date.now();
    if (wait <= 0) this.flush();
    else {
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref();
    }
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    this.lastWrite = Date.now();
    const data = { ingestStep: this.step, ingestProgress: this.fraction };
    // Progress is advisory: a failed write never fails the ingest. Only a quarantined asset is touched.
    this.writing = this.writing
      .then(() => this.deps.prisma.asset.updateMany({ where: { id: this.assetId, status: 'QUARANTINED' }, data }))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  /**
   * Stops reporting and waits for a write in flight, so that the final state the caller writes next
   * stays the last one; heartbeats that final state. Idempotent.
   */
  async close(final?: 'done' | 'failed'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (!final) return;
    this.step = final;
    this.fraction = final === 'done' ? 1 : null;
    this.beat();
  }
}

/** Counts the bytes that stream through. */
function counter(onBytes: (bytes: number) => void): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
}

async function download(deps: IngestDeps, key: string, path: string, expectedBytes: number | null, onFraction: (f: number) => void): Promise<void> {
  const res = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  if (!res.Body) throw new MediaError('EMPTY_FILE', 'The uploaded object has no content.');
  const total = res.ContentLength ?? expectedBytes ?? 0;
  await pipeline(
    res.Body as Readable,
    counter((n) => total > 0 && onFraction(n / total)),
    createWriteStream(path),
  );
}

async function hashFile(path: string, size: number, onFraction: (f: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 2 ** 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    done += chunk.length;
    if (size > 0) onFraction(done / size);
  }
  return hash.digest('hex');
}

async function upload(deps: IngestDeps, sse: IngestDeps['sse'], key: string, path: string, contentType: string): Promise<void> {
  const { size } = await stat(path);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: size,
      ContentType: contentType,
      ...(sse ? { ServerSideEncryption: sse } : {}),
    }),
  );
}

/**
 * Streams the original through AES-256-GCM straight into S3 (multipart for large files): neither the
 * plaintext nor the ciphertext is ever whole in memory or written to disk.
 */
async function uploadEncryptedOriginal(deps: IngestDeps, sse: IngestDeps['sse'], asset: Asset, path: string, masterKey: Buffer): Promise<EnvelopeRecord> {
  const body = new PassThrough();
  const uploading = new Upload({
    client: deps.s3,
    params: {
      Bucket: deps.bucket,
      Key: originalKeyFor(asset),
      Body: body,
      ContentType: 'application/octet-stream',
      ...(sse ? { ServerSideEncryption: sse } : {}),
    },
    partSize: ENCRYPTED_PART_SIZE,
    queueSize: 2,
    leavePartsOnError: false,
  }).done();
  // A failed upload stops the encryption (its sink is gone); a failed read fails the upload.
  uploading.catch((error: unknown) => body.destroy(error instanceof Error ? error : new Error('upload of the encrypted original failed')));
  const encrypting = encryptFileStream(path, body, masterKey, { context: asset.id });
  const [record, uploaded] = await Promise.allSettled([encrypting, uploading]);
  if (uploaded.status === 'rejected') throw uploaded.reason;
  if (record.status === 'rejected') throw record.reason;
  return record.value;
}

async function fail(deps: IngestDeps, progress: IngestProgress, asset: Asset, code: string, message: string, metadata?: Prisma.InputJsonValue): Promise<'FAILED'> {
  await progress.close('failed');
  await deps.prisma.$transaction(async (tx) => {
    await tx.asset.update({
      where: { id: asset.id },
      data: { status: 'FAILED', errorCode: code, errorMessage: message, ingestStep: 'failed', ingestProgress: null, ...(metadata ? { metadata } : {}) },
    });
    await appendAudit(tx, { action: 'asset.failed', entityType: 'Asset', entityId: asset.id, data: { code } });
  });
  return 'FAILED';
}

const seconds = (s: number): string => String(Math.round(s * 1000) / 1000);

/** The trim range to apply, checked against the probed duration; null when the whole video is wanted. */
export function resolveTrim(trim: { trimStartSeconds: number | null; trimEndSeconds: number | null }, duration: number): { startSeconds: number; endSeconds: number } | null {
  if (trim.trimStartSeconds === null && trim.trimEndSeconds === null) return null;
  const startSeconds = trim.trimStartSeconds ?? 0;
  const endSeconds = trim.trimEndSeconds ?? duration;
  const range = `${seconds(startSeconds)}-${seconds(endSeconds)} s`;
  // The container's duration is rounded to milliseconds: an end within 1 ms past it is the end.
  if (startSeconds >= duration || endSeconds > duration + 0.001) {
    throw new IngestFailure(
      'INVALID_TRIM',
      `The trim range ${range} lies outside the video, which is ${seconds(duration)} s long; set a range within it with setAssetTrim and ingest again.`,
    );
  }
  if (!(startSeconds >= 0) || !(endSeconds > startSeconds)) {
    throw new IngestFailure('INVALID_TRIM', `The trim range ${range} is empty or negative; set a start >= 0 before the end with setAssetTrim.`);
  }
  return { startSeconds, endSeconds: Math.min(endSeconds, duration) };
}

/** Seconds of frame n after the file's first frame. */
const relativeTime = (index: FrameIndex, n: number): number => timeOfFrame(index, n) - timeOfFrame(index, 0);

/**
 * Frames of a file shown in [start, end) seconds after its first frame: the frame on screen at `start`
 * through the last frame that starts before `end`. Null when the range holds none.
 */
export function framesInRange(index: FrameIndex, start: number, end: number): { first: number; last: number } | null {
  if (index.frameCount === 0) return null;
  const t0 = timeOfFrame(index, 0);
  const first = frameAtTime(index, t0 + start);
  let last = frameAtTime(index, t0 + end);
  if (relativeTime(index, last) >= end - 1e-9) last -= 1;
  return last >= first ? { first, last } : null;
}

/** [firstProxyFrame, firstSourceFrame, step, count]: proxy frames first..first+count-1 show source frames firstSource + step·k. */
export type SourceFrameRun = [firstFrame: number, firstSourceFrame: number, step: number, count: number];

/** frames.json: the proxy's frame index (presentation times) and, for each proxy frame, the source frame it shows. */
export interface ProxyFrameMap extends FrameIndex {
  version: 2;
  /** the proxy's constant frame rate */
  fps: number;
  source: { frameCount: number; runs: SourceFrameRun[] };
  trim: { startSeconds: number; endSeconds: number; firstSourceFrame: number; lastSourceFrame: number } | null;
}

function runLength(values: number[]): SourceFrameRun[] {
  const runs: SourceFrameRun[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const last = runs[runs.length - 1];
    if (last) {
      const [, firstValue, step, count] = last;
      if (count === 1) {
        last[2] = v - firstValue;
        last[3] = 2;
        continue;
      }
      if (v === firstValue + step * count) {
        last[3] = count + 1;
        continue;
      }
    }
    runs.push([i, v, 0, 1]);
  }
  return runs;
}

/**
 * For each proxy frame, the source frame on screen at the same moment: the proxy starts `offset`
 * seconds after the source's first frame, and the proxy's frame-rate conversion picks the source frame
 * nearest its own time (a tolerance just under half a proxy frame).
 */
export function proxyFrameMap(proxy: FrameIndex, fps: number, source: FrameIndex, offset: number, trim: { startSeconds: number; endSeconds: number } | null): ProxyFrameMap {
  const s0 = timeOfFrame(source, 0);
  const tolerance = 0.49 / fps;
  const sourceFrames = Array.from({ length: proxy.frameCount }, (_, n) => frameAtTime(source, s0 + offset + relativeTime(proxy, n) + tolerance));
  return {
    version: 2,
    ...proxy,
    fps,
    source: { frameCount: source.frameCount, runs: runLength(sourceFrames) },
    trim: trim && sourceFrames.length > 0 ? { ...trim, firstSourceFrame: sourceFrames[0]!, lastSourceFrame: sourceFrames[sourceFrames.length - 1]! } : null,
  };
}

/** The source frame that proxy frame n shows (from frames.json). */
export function sourceFrameOf(map: Pick<ProxyFrameMap, 'frameCount' | 'source'>, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n >= map.frameCount) throw new RangeError(`proxy frame ${n} is out of range (0..${map.frameCount - 1})`);
  const runs = map.source.runs;
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]![0] <= n) lo = mid;
    else hi = mid - 1;
  }
  const [first, firstSource, step] = runs[lo]!;
  return firstSource + step * (n - first);
}

export async function deidentifyAsset(deps: IngestDeps, asset: Asset): Promise<'READY' | 'FAILED'> {
  const progress = new IngestProgress(deps, asset.id);
  const dir = await mkdtemp(join(tmpdir(), 'suture-ingest-'));
  try {
    // The policy as it is now: the campaign may have changed it since the batch was made.
    const campaign = await deps.prisma.campaign.findUniqueOrThrow({ where: { id: asset.campaignId }, select: { mediaPolicy: true } });
    const parsedPolicy = mediaPolicySchema.safeParse(campaign.mediaPolicy);
    if (!parsedPolicy.success) {
      return await fail(
        deps,
        progress,
        asset,
        'INVALID_MEDIA_POLICY',
        `The campaign's media policy is invalid (${mediaPolicyProblems(campaign.mediaPolicy).join('; ')}); fix it with setCampaignMediaPolicy and ingest again.`,
      );
    }
    const policy: MediaPolicy = parsedPolicy.data;
    const sse = policy.sse ?? deps.sse;
    const masterKey = deps.originalsKey;
    if (policy.originals === 'RETAIN_ENCRYPTED' && !masterKey) {
      // Before anything is read or written: the upload stays in quarantine for a retry once configured.
      return await fail(
        deps,
        progress,
        asset,
        'ORIGINALS_KEY_MISSING',
        'The campaign keeps originals encrypted (media policy RETAIN_ENCRYPTED) but this worker has no SUTURE_ORIGINALS_KEY configured. Configure the master key (32 random bytes, base64 or hex) on the worker and ingest again; the upload is kept in quarantine and nothing was stored.',
      );
    }

    await progress.start();
    // Read after the step is recorded: from now on setAssetTrim refuses, so this is the trim that applies.
    const { trimStartSeconds, trimEndSeconds } = await deps.prisma.asset.findUniqueOrThrow({ where: { id: asset.id }, select: { trimStartSeconds: true, trimEndSeconds: true } });

    const downloaded = join(dir, 'original');
    await download(deps, asset.key, downloaded, asset.sizeBytes === null ? null : Number(asset.sizeBytes), (f) => progress.report('download', f));
    // Uploads carry no file name: a NIfTI volume gets the name its content calls for (.nii.gz when gzipped),
    // since gzip is accepted only as a compressed NIfTI.
    const original = asset.kind === 'NIFTI' ? join(dir, (await isGzip(downloaded)) ? 'original.nii.gz' : 'original.nii') : downloaded;
    if (original !== downloaded) await rename(downloaded, original);
    const size = (await stat(original)).size;
    if (size === 0) return await fail(deps, progress, asset, 'EMPTY_FILE', 'The uploaded file is empty.');
    progress.report('hash', 0);
    const sha256 = await hashFile(original, size, (f) => progress.report('hash', f));
    // Only a successfully ingested file counts as the original of a duplicate; the hash is recorded with success.
    const duplicate = await deps.prisma.asset.findFirst({ where: { campaignId: asset.campaignId, sha256, status: 'READY', id: { not: asset.id } }, select: { id: true } });
    if (duplicate)
      return await fail(deps, progress, asset, 'DUPLICATE', `The same file was already uploaded to this campaign as asset ${duplicate.id}.`, { duplicateOf: duplicate.id });

    progress.report('probe', null);
    const probe = await validateAndProbe(original);
    const kind = kindOfProbe[probe.kind]!;
    if (kind !== asset.kind) throw new MediaError('FORMAT_MISMATCH', `The file is ${probe.kind} but was announced as ${asset.kind.toLowerCase()}.`);
    const trim = kind === 'VIDEO' ? resolveTrim({ trimStartSeconds, trimEndSeconds }, (probe as VideoProbe).duration) : null;

    const keys = deriveDeidKeys(Buffer.from(deps.deidSecret, 'utf8'));
    const deidentified = join(dir, `deidentified.${extension[kind]}`);
    progress.report('deidentify', kind === 'VIDEO' ? 0 : null);
    let report: Awaited<ReturnType<typeof deidentifyFile>>;
    if (kind === 'VIDEO') {
      // Video de-identification is long: the text scan (one frame per second) and the re-mux or redaction report progress.
      const duration = Math.max((probe as VideoProbe).duration, 1e-3);
      const detector = deps.textDetector;
      let scanned = 0;
      const counting: TextDetector | undefined = detector
        ? (image) => {
            scanned += 1;
            progress.report('deidentify', 0.5 * Math.min(1, (scanned * TEXT_SCAN_INTERVAL) / duration));
            return detector(image);
          }
        : undefined;
      report = await deidentifyVideo(original, deidentified, {
        ...(counting ? { textDetector: counting, sampleInterval: TEXT_SCAN_INTERVAL } : {}),
        onProgress: (f) => progress.report('deidentify', counting ? 0.5 + 0.5 * f : f),
      });
    } else {
      report = await deidentifyFile(original, deidentified, {
        ...keys,
        // Free text is scrubbed rather than dropped, structured reports keep their (cleaned) content and
        // presentation states their (cleaned) graphics: annotators need them, PHI is taken out of them.
        cleanDescriptors: true,
        cleanStructuredContent: true,
        cleanGraphics: true,
        burnedInText: deps.textDetector ? 'auto' : 'never',
        ...(deps.textDetector ? { textDetector: deps.textDetector } : {}),
      });
    }

    // What the browser shows: always made from the de-identified file, never from the original.
    const uploads: Array<{ name: string; path: string; contentType: string }> = [
      {
        name: `deidentified.${extension[kind]}`,
        path: deidentified,
        contentType: kind === 'IMAGE' ? 'image/png' : kind === 'VIDEO' ? 'video/mp4' : kind === 'DICOM' ? 'application/dicom' : 'application/gzip',
      },
    ];
    let display = uploads[0]!.name;
    const extra: Record<string, unknown> = {};
    if (kind === 'DICOM') {
      const file = readDicom(await readFile(deidentified));
      try {
        await writeFile(join(dir, 'display.png'), await renderFramePng(file, 0));
        uploads.push({ name: 'display.png', path: join(dir, 'display.png'), contentType: 'image/png' });
        display = 'display.png';
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        extra.displayError = error.code;
      }
      // The volume viewer's copy: columns × rows × frames as NIfTI (grey objects that decode; else none).
      try {
        await writeFile(join(dir, DICOM_VOLUME), gzipSync(await dicomVolumeNifti(file)));
        uploads.push({ name: DICOM_VOLUME, path: join(dir, DICOM_VOLUME), contentType: 'application/gzip' });
        extra.volume = DICOM_VOLUME;
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        extra.volumeError = error.code;
      }
    } else if (kind === 'NIFTI') {
      const volume = await readNifti(deidentified);
      const z = Math.floor((volume.header.dims[3] ?? 1) / 2);
      await writeFile(join(dir, 'display.png'), await niftiSlicePng(volume, { z }));
      uploads.push({ name: 'display.png', path: join(dir, 'display.png'), contentType: 'image/png' });
      display = 'display.png';
    } else if (kind === 'VIDEO') {
      progress.report('proxy', 0);
      // Source frame numbers are those of the uploaded file, the one exports refer to.
      const sourceIndex = await frameIndexOf(original);
      let proxyInput = deidentified;
      let offset = 0;
      if (trim) {
        // Cut the de-identified video frame-exactly first, so that only the range is transcoded.
        const deidIndex = await frameIndexOf(deidentified);
        const range = framesInRange(deidIndex, trim.startSeconds, trim.endSeconds);
        if (!range) {
          throw new IngestFailure(
            'INVALID_TRIM',
            `The trim range ${seconds(trim.startSeconds)}-${seconds(trim.endSeconds)} s holds no frame of the video; widen it with setAssetTrim.`,
          );
        }
        proxyInput = join(dir, 'trimmed.mp4');
        await trimFrames(deidentified, proxyInput, range.first, range.last, { crf: 16 });
        offset = relativeTime(deidIndex, range.first);
        progress.report('proxy', 0.2);
      }
      const proxy = await transcodeProxy(proxyInput, join(dir, 'proxy.mp4'), {
        ...(policy.normalizeBrightness ? { normalize: policy.normalizeBrightness } : {}),
        onProgress: (f) => progress.report('proxy', trim ? 0.2 + 0.8 * f : f),
      });
      const map = proxyFrameMap(proxy.index, proxy.fps, sourceIndex, offset, trim);
      await writeFile(join(dir, 'frames.json'), JSON.stringify(map));
      progress.report('derivatives', 0);
      const sprite = await spriteStrip(join(dir, 'proxy.mp4'), join(dir, 'sprite.jpg'));
      uploads.push(
        { name: 'proxy.mp4', path: join(dir, 'proxy.mp4'), contentType: 'video/mp4' },
        { name: 'frames.json', path: join(dir, 'frames.json'), contentType: 'application/json' },
        { name: 'sprite.jpg', path: join(dir, 'sprite.jpg'), contentType: 'image/jpeg' },
      );
      display = 'proxy.mp4';
      extra.proxyFps = proxy.fps;
      extra.proxy = { fps: proxy.fps, frameCount: proxy.index.frameCount, width: proxy.probe.width, height: proxy.probe.height, duration: proxy.probe.duration };
      extra.sprite = sprite;
      if (policy.normalizeBrightness) extra.normalized = policy.normalizeBrightness;
      if (map.trim) extra.trim = map.trim;
    }
    progress.report('derivatives', 0);
    let uploaded = 0;
    for (const u of uploads) {
      await upload(deps, sse, derivativeKeyFor(asset, u.name), u.path, u.contentType);
      progress.report('derivatives', ++uploaded / (uploads.length + (policy.originals === 'RETAIN_ENCRYPTED' ? 1 : 0)));
    }

    let originalKey: string | null = null;
    if (policy.originals === 'RETAIN_ENCRYPTED' && masterKey) {
      const record = await uploadEncryptedOriginal(deps, sse, asset, original, masterKey);
      originalKey = originalKeyFor(asset);
      extra.original = { key: originalKey, sse: sse ?? null, ...record };
    }

    const needsHumanReview = 'needsHumanReview' in report ? report.needsHumanReview : false;
    const metadata = { probe, deid: summarize(report), needsHumanReview, ...extra } as unknown as Prisma.InputJsonValue;
    await progress.close('done');
    await deps.prisma.$transaction(async (tx) => {
      await tx.asset.update({
        where: { id: asset.id },
        data: {
          status: 'READY',
          sha256,
          derivativeKey: derivativeKeyFor(asset, display),
          metadata,
          originalKey,
          errorCode: null,
          errorMessage: null,
          ingestStep: 'done',
          ingestProgress: 1,
        },
      });
      await appendAudit(tx, {
        action: 'asset.deidentified',
        entityType: 'Asset',
        entityId: asset.id,
        data: { kind, needsHumanReview, originalRetained: originalKey !== null, trimmed: trim !== null },
      });
    });
    // Raw uploads never stay once a de-identified derivative exists (a retained original is encrypted).
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: asset.key }));
    return 'READY';
  } catch (error) {
    if (error instanceof MediaError || error instanceof IngestFailure) return await fail(deps, progress, asset, error.code, error.message);
    // Anything else (S3 or the database unreachable) is retried by Temporal: the asset stays quarantined.
    throw error;
  } finally {
    await progress.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What changed, as counts and attribute names: the report never carries old values. */
function summarize(report: Awaited<ReturnType<typeof deidentifyFile>>): Record<string, unknown> {
  switch (report.kind) {
    case 'dicom':
      return { kind: report.kind, counts: report.counts, options: report.options, burnedIn: report.burnedIn, changes: report.changes.length };
    case 'video':
      return { kind: report.kind, metadataStripped: report.metadataStripped, framesScanned: report.framesScanned, redacted: report.redacted, reviewReasons: report.reviewReasons };
    default:
      return { kind: report.kind, changes: report.changes, reviewReasons: report.reviewReasons };
  }
}

/** Whether a file starts with the gzip magic bytes. */
async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}
