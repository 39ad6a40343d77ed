// Turns a quarantined original into the de-identified derivatives annotators see, with the media
// library: validate and probe, de-duplicate by hash, de-identify (PS3.15 profile for DICOM, header
// scrub for NIfTI, metadata strip and burned-in text redaction for video and images), render what the
// browser shows (PNG for DICOM/NIfTI; for video an H.264 proxy of the ops manager's trim range, its
// frame index mapped to source frames and a sprite strip), keep the original envelope-encrypted when
// the campaign's media policy says so, then drop the quarantined upload.
// A file that fails gets a specific error on its asset and never stops the rest of the batch.
// The asset's ingestStep/ingestProgress follow the work (throttled writes) for the console.
// Every step checkpoints what it finished (the asset's workspace on disk, its state also in S3, the
// de-identified outputs under derived/): an ingest retried after the worker was killed resumes after the
// last finished step, without downloading the original again on the same machine.
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { PassThrough } from 'node:stream';
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Asset, AssetKind, Prisma, PrismaClient } from '@suture/db';
import { mediaPolicyProblems, mediaPolicySchema, type MediaPolicy } from '../domain/media-policy.ts';
import { encryptFileStream, type EnvelopeRecord } from '../media/envelope.ts';
import { appendAudit } from '../services/audit-log.ts';
import { dicomVolumeNifti } from '../media/dicom/volume.ts';
import {
  IngestWorkspace,
  MediaError,
  deidentifyFile,
  deidentifyVideo,
  deriveDeidKeys,
  derivedKey,
  downloadObject,
  frameAtTime,
  frameIndexOf,
  niftiSlicePng,
  originalKey,
  readDicom,
  readNifti,
  renderFramePng,
  spriteStrip,
  timeOfFrame,
  transcodeProxy,
  trimFrames,
  uploadFile,
  validateAndProbe,
  type FrameIndex,
  type MediaProbe,
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
  /** Where assets' ingest workspaces live (they outlive the process, for a retry); default <tmpdir>/suture-ingest. */
  workRoot?: string | undefined;
}

export type IngestStep = 'download' | 'hash' | 'probe' | 'deidentify' | 'proxy' | 'derivatives' | 'done' | 'failed';

/** derived/<campaign>/<asset>/<name>: the media library's key layout, the one the API presigns. */
export const derivativeKeyFor = (asset: Pick<Asset, 'campaignId' | 'id'>, name: string): string => derivedKey(asset.campaignId, asset.id, name);
/** Where a retained original lives, envelope-encrypted (never signed for viewing). */
export const originalKeyFor = (asset: Pick<Asset, 'campaignId' | 'id'>): string => originalKey(asset.campaignId, asset.id);

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

/**
 * What the finished steps of one ingest found: the checkpoint a retried ingest resumes from (kept in the
 * asset's workspace and in S3 under work/; never PHI: hashes, probe, de-identification summary, names).
 */
interface IngestState {
  version: 1;
  /** download: the original, hashed while it streamed to disk */
  original?: { etag: string; size: number; sha256: string; file: string };
  /** probe: what the file is; for video, the source's frame index (frame numbers refer to the upload) */
  probe?: { probe: MediaProbe; sourceIndex: FrameIndex | null };
  /** deidentify: the de-identified file (also in S3 under derived/ from then on) */
  deidentify?: { file: string; contentType: string; summary: Record<string, unknown>; needsHumanReview: boolean };
  /** proxy (video) and the other renders: what the browser shows, and what metadata says of it */
  renders?: { display: string; files: Array<{ name: string; contentType: string }>; extra: Record<string, unknown> };
  /** derivatives already stored under derived/ */
  uploaded: string[];
  /** attempts that reached the workspace, and the steps later attempts found finished */
  attempts: number;
  resumed: IngestStep[];
}

const freshState = (): IngestState => ({ version: 1, uploaded: [], attempts: 0, resumed: [] });

export async function deidentifyAsset(deps: IngestDeps, asset: Asset): Promise<'READY' | 'FAILED'> {
  const progress = new IngestProgress(deps, asset.id);
  let work: IngestWorkspace<IngestState> | undefined;
  let state = freshState();
  /** Once READY or FAILED the workspace goes; without an outcome (a fault Temporal retries) it stays for the retry. */
  const end: { outcome: 'READY' | 'FAILED' | null } = { outcome: null };
  const failWith = async (code: string, message: string, metadata?: Prisma.InputJsonValue): Promise<'FAILED'> => {
    end.outcome = await fail(deps, progress, asset, code, message, metadata);
    return end.outcome;
  };
  try {
    // The policy as it is now: the campaign may have changed it since the batch was made.
    const campaign = await deps.prisma.campaign.findUniqueOrThrow({ where: { id: asset.campaignId }, select: { mediaPolicy: true } });
    const parsedPolicy = mediaPolicySchema.safeParse(campaign.mediaPolicy);
    if (!parsedPolicy.success) {
      return await failWith(
        'INVALID_MEDIA_POLICY',
        `The campaign's media policy is invalid (${mediaPolicyProblems(campaign.mediaPolicy).join('; ')}); fix it with setCampaignMediaPolicy and ingest again.`,
      );
    }
    const policy: MediaPolicy = parsedPolicy.data;
    const sse = policy.sse ?? deps.sse;
    const masterKey = deps.originalsKey;
    if (policy.originals === 'RETAIN_ENCRYPTED' && !masterKey) {
      // Before anything is read or written: the upload stays in quarantine for a retry once configured.
      return await failWith(
        'ORIGINALS_KEY_MISSING',
        'The campaign keeps originals encrypted (media policy RETAIN_ENCRYPTED) but this worker has no SUTURE_ORIGINALS_KEY configured. Configure the master key (32 random bytes, base64 or hex) on the worker and ingest again; the upload is kept in quarantine and nothing was stored.',
      );
    }

    const workspace = await IngestWorkspace.open<IngestState>({ s3: deps.s3, bucket: deps.bucket, campaignId: asset.campaignId, assetId: asset.id, root: deps.workRoot });
    work = workspace;
    const saved = await workspace.load();
    if (saved?.version === 1) state = saved;
    if (state.original) {
      // Checkpoints are of one upload: an original that is not the one they were made from starts over.
      const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: asset.key }));
      if (head.ETag !== state.original.etag) state = freshState();
    }
    state.attempts += 1;
    const save = (): Promise<void> => workspace.save(state);
    const resumed = (step: IngestStep): void => {
      if (state.attempts > 1 && !state.resumed.includes(step)) state.resumed.push(step);
    };

    await progress.start();
    // Read after the step is recorded: from now on setAssetTrim refuses, so this is the trim that applies.
    const { trimStartSeconds, trimEndSeconds } = await deps.prisma.asset.findUniqueOrThrow({ where: { id: asset.id }, select: { trimStartSeconds: true, trimEndSeconds: true } });

    // download (and hash, in the same pass)
    if (!state.original) {
      const downloaded = await downloadObject(deps.s3, {
        bucket: deps.bucket,
        key: asset.key,
        path: workspace.path('original'),
        onProgress: (bytes, total) => progress.report('download', total ? bytes / total : null),
      });
      if (downloaded.size === 0) return await failWith('EMPTY_FILE', 'The uploaded file is empty.');
      // Uploads carry no file name: a NIfTI volume gets the name its content calls for (.nii.gz when gzipped),
      // since gzip is accepted only as a compressed NIfTI.
      const file = asset.kind === 'NIFTI' ? ((await isGzip(workspace.path('original'))) ? 'original.nii.gz' : 'original.nii') : 'original';
      if (file !== 'original') await rename(workspace.path('original'), workspace.path(file));
      state.original = { etag: downloaded.etag, size: downloaded.size, sha256: downloaded.sha256, file };
      await save();
    } else resumed('download');
    const { sha256 } = state.original;
    /** The original on this machine; a retry on another machine fetches it again only for a step that reads it. */
    const original = async (): Promise<string> => {
      const { file } = state.original!;
      if (!(await workspace.has(file))) {
        await downloadObject(deps.s3, {
          bucket: deps.bucket,
          key: asset.key,
          path: workspace.path(file),
          onProgress: (bytes, total) => progress.report('download', total ? bytes / total : null),
        });
      }
      return workspace.path(file);
    };
    /** A derivative on this machine: made here, or fetched from where an earlier attempt stored it. */
    const derivative = async (name: string): Promise<string> => {
      if (!(await workspace.has(name))) await downloadObject(deps.s3, { bucket: deps.bucket, key: derivativeKeyFor(asset, name), path: workspace.path(name) });
      return workspace.path(name);
    };
    /** Stores a derivative under derived/ once (later steps and retries elsewhere start from it). */
    const publish = async (name: string, contentType: string): Promise<void> => {
      if (state.uploaded.includes(name)) return;
      await uploadFile(deps.s3, { bucket: deps.bucket, key: derivativeKeyFor(asset, name), path: workspace.path(name), contentType, serverSideEncryption: sse });
      state.uploaded.push(name);
    };

    // The hash was taken in the download's stream; what is left of its step is the duplicate check.
    progress.report('hash', 1);
    // Only a successfully ingested file counts as the original of a duplicate; the hash is recorded with success.
    const duplicate = await deps.prisma.asset.findFirst({ where: { campaignId: asset.campaignId, sha256, status: 'READY', id: { not: asset.id } }, select: { id: true } });
    if (duplicate) return await failWith('DUPLICATE', `The same file was already uploaded to this campaign as asset ${duplicate.id}.`, { duplicateOf: duplicate.id });

    // probe
    if (!state.probe) {
      progress.report('probe', null);
      const path = await original();
      const probed = await validateAndProbe(path);
      if (kindOfProbe[probed.kind] !== asset.kind) throw new MediaError('FORMAT_MISMATCH', `The file is ${probed.kind} but was announced as ${asset.kind.toLowerCase()}.`);
      // Source frame numbers are those of the uploaded file, the one exports refer to.
      state.probe = { probe: probed, sourceIndex: probed.kind === 'video' ? await frameIndexOf(path) : null };
      await save();
    } else resumed('probe');
    const { probe, sourceIndex } = state.probe;
    const kind = kindOfProbe[probe.kind]!;
    const trim = kind === 'VIDEO' ? resolveTrim({ trimStartSeconds, trimEndSeconds }, (probe as VideoProbe).duration) : null;

    // deidentify
    if (!state.deidentify) {
      const input = await original();
      const name = `deidentified.${extension[kind]}`;
      const deidentified = workspace.path(name);
      const keys = deriveDeidKeys(Buffer.from(deps.deidSecret, 'utf8'));
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
        report = await deidentifyVideo(input, deidentified, {
          ...(counting ? { textDetector: counting, sampleInterval: TEXT_SCAN_INTERVAL } : {}),
          onProgress: (f) => progress.report('deidentify', counting ? 0.5 + 0.5 * f : f),
        });
      } else {
        report = await deidentifyFile(input, deidentified, {
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
      const contentType = kind === 'IMAGE' ? 'image/png' : kind === 'VIDEO' ? 'video/mp4' : kind === 'DICOM' ? 'application/dicom' : 'application/gzip';
      const needsHumanReview = 'needsHumanReview' in report ? report.needsHumanReview : false;
      // The de-identified file goes to S3 at once: a retry on another machine starts from it, not from the original.
      await publish(name, contentType);
      state.deidentify = { file: name, contentType, summary: summarize(report), needsHumanReview };
      await save();
    } else resumed('deidentify');

    // What the browser shows: always made from the de-identified file, never from the original.
    if (!state.renders) {
      const deidentified = await derivative(state.deidentify.file);
      const renders: NonNullable<IngestState['renders']> = { display: state.deidentify.file, files: [], extra: {} };
      const extra = renders.extra;
      if (kind === 'DICOM') {
        progress.report('derivatives', 0);
        const file = readDicom(await readFile(deidentified));
        try {
          await writeFile(workspace.path('display.png'), await renderFramePng(file, 0));
          renders.files.push({ name: 'display.png', contentType: 'image/png' });
          renders.display = 'display.png';
        } catch (error) {
          if (!(error instanceof MediaError)) throw error;
          extra.displayError = error.code;
        }
        // The volume viewer's copy: columns × rows × frames as NIfTI (grey objects that decode; else none).
        try {
          await writeFile(workspace.path(DICOM_VOLUME), gzipSync(await dicomVolumeNifti(file)));
          renders.files.push({ name: DICOM_VOLUME, contentType: 'application/gzip' });
          extra.volume = DICOM_VOLUME;
        } catch (error) {
          if (!(error instanceof MediaError)) throw error;
          extra.volumeError = error.code;
        }
      } else if (kind === 'NIFTI') {
        progress.report('derivatives', 0);
        const volume = await readNifti(deidentified);
        const z = Math.floor((volume.header.dims[3] ?? 1) / 2);
        await writeFile(workspace.path('display.png'), await niftiSlicePng(volume, { z }));
        renders.files.push({ name: 'display.png', contentType: 'image/png' });
        renders.display = 'display.png';
      } else if (kind === 'VIDEO') {
        progress.report('proxy', 0);
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
          proxyInput = workspace.path('trimmed.mp4');
          await trimFrames(deidentified, proxyInput, range.first, range.last, { crf: 16 });
          offset = relativeTime(deidIndex, range.first);
          progress.report('proxy', 0.2);
        }
        const proxy = await transcodeProxy(proxyInput, workspace.path('proxy.mp4'), {
          ...(policy.normalizeBrightness ? { normalize: policy.normalizeBrightness } : {}),
          onProgress: (f) => progress.report('proxy', trim ? 0.2 + 0.8 * f : f),
        });
        const map = proxyFrameMap(proxy.index, proxy.fps, sourceIndex!, offset, trim);
        await writeFile(workspace.path('frames.json'), JSON.stringify(map));
        renders.files.push({ name: 'proxy.mp4', contentType: 'video/mp4' }, { name: 'frames.json', contentType: 'application/json' });
        renders.display = 'proxy.mp4';
        extra.proxyFps = proxy.fps;
        extra.proxy = { fps: proxy.fps, frameCount: proxy.index.frameCount, width: proxy.probe.width, height: proxy.probe.height, duration: proxy.probe.duration };
        if (policy.normalizeBrightness) extra.normalized = policy.normalizeBrightness;
        if (map.trim) extra.trim = map.trim;
        progress.report('derivatives', 0);
        const sprite = await spriteStrip(workspace.path('proxy.mp4'), workspace.path('sprite.jpg'));
        renders.files.push({ name: 'sprite.jpg', contentType: 'image/jpeg' });
        extra.sprite = sprite;
      }
      // Stored before they are recorded: a retry elsewhere fetches what the checkpoint names.
      progress.report('derivatives', 0);
      for (const f of renders.files) await publish(f.name, f.contentType);
      state.renders = renders;
      await save();
    } else resumed(kind === 'VIDEO' ? 'proxy' : 'derivatives');
    const { display, extra: renderedExtra } = state.renders;
    const extra: Record<string, unknown> = { ...renderedExtra };
    progress.report('derivatives', 1);

    let originalKey: string | null = null;
    if (policy.originals === 'RETAIN_ENCRYPTED' && masterKey) {
      const record = await uploadEncryptedOriginal(deps, sse, asset, await original(), masterKey);
      originalKey = originalKeyFor(asset);
      extra.original = { key: originalKey, sse: sse ?? null, ...record };
    }
    // Whether this ingest picked up an earlier attempt's work, and which steps it did not do again.
    if (state.resumed.length > 0) extra.ingest = { attempts: state.attempts, resumedSteps: state.resumed };

    const { needsHumanReview } = state.deidentify;
    // The privacy gate: what the automatic checks could not clear waits for a privacy officer (activities/privacy.ts).
    const privacyStatus = needsHumanReview ? 'PENDING_REVIEW' : 'NOT_REQUIRED';
    const metadata = { probe, deid: state.deidentify.summary, needsHumanReview, ...extra } as unknown as Prisma.InputJsonValue;
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
          privacyStatus,
        },
      });
      await appendAudit(tx, {
        action: 'asset.deidentified',
        entityType: 'Asset',
        entityId: asset.id,
        data: { kind, needsHumanReview, privacyStatus, originalRetained: originalKey !== null, trimmed: trim !== null },
      });
    });
    end.outcome = 'READY';
    // Raw uploads never stay once a de-identified derivative exists (a retained original is encrypted).
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: asset.key }));
    return 'READY';
  } catch (error) {
    if (error instanceof MediaError || error instanceof IngestFailure) return await failWith(error.code, error.message);
    // Anything else (S3 or the database unreachable) is retried by Temporal: the asset stays quarantined
    // and its workspace stays for the retry, which resumes after the last finished step.
    throw error;
  } finally {
    await progress.close();
    if (work && end.outcome === null) work.release();
    else if (work) {
      // A failed asset keeps nothing its ingest stored; a READY one keeps its derivatives.
      if (end.outcome === 'FAILED') for (const name of state.uploaded) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: derivativeKeyFor(asset, name) }));
      await work.discard();
    }
  }
}

/** What changed, as counts and attribute names: the report never carries old values. */
function summarize(report: Awaited<ReturnType<typeof deidentifyFile>>): Record<string, unknown> {
  switch (report.kind) {
    case 'dicom':
      return { kind: report.kind, counts: report.counts, options: report.options, burnedIn: report.burnedIn, changes: report.changes.length, reviewReasons: report.reviewReasons };
    // Boxes (coordinates only) are kept for the privacy officer, who sees them over the sampled frames.
    case 'video':
      return {
        kind: report.kind,
        metadataStripped: report.metadataStripped,
        framesScanned: report.framesScanned,
        redacted: report.redacted,
        windows: report.windows,
        reviewReasons: report.reviewReasons,
      };
    case 'image':
      return { kind: report.kind, changes: report.changes, regions: report.regions, reviewReasons: report.reviewReasons };
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
