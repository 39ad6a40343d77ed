// S3 ingest helpers: key layout (quarantine first), presigned multipart plans, a resumable streaming
// uploader that hashes while it uploads, server-side sha256 verification, de-duplication and promotion.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MediaError } from './errors.ts';

// ---------------------------------------------------------------- keys

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

function checkId(kind: string, id: string): string {
  if (!idPattern.test(id)) throw new MediaError('INVALID_ARGUMENT', `${kind} must be 1-128 characters of letters, digits, '-' or '_'.`);
  return id;
}

/** Where every upload lands first, before validation and de-identification. */
export function quarantineKey(campaignId: string, assetId: string): string {
  return `quarantine/${checkId('campaignId', campaignId)}/${checkId('assetId', assetId)}/original`;
}

/** campaigns/<campaignId>/assets/<assetId>/<...parts> */
export function assetKey(campaignId: string, assetId: string, ...parts: string[]): string {
  for (const p of parts) if (!/^[A-Za-z0-9._-]+$/.test(p) || p === '..' || p === '.') throw new MediaError('INVALID_ARGUMENT', 'Key parts must be plain names.');
  return [`campaigns/${checkId('campaignId', campaignId)}/assets/${checkId('assetId', assetId)}`, ...parts].join('/');
}

/** campaigns/<campaignId>/assets/<assetId>/derived/<name>: de-identified derivatives annotators may see. */
export function derivedKey(campaignId: string, assetId: string, name: string): string {
  return assetKey(campaignId, assetId, 'derived', name);
}

export interface EncryptionOptions {
  /** passed to S3 as ServerSideEncryption (e.g. 'AES256' or 'aws:kms') */
  serverSideEncryption?: ServerSideEncryption;
  sseKmsKeyId?: string;
}

function sse(e: EncryptionOptions): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
  return {
    ...(e.serverSideEncryption ? { ServerSideEncryption: e.serverSideEncryption } : {}),
    ...(e.sseKmsKeyId ? { SSEKMSKeyId: e.sseKmsKeyId } : {}),
  };
}

// ---------------------------------------------------------------- multipart plan

export const minPartSize = 5 * 2 ** 20;
const maxParts = 10_000;

/** A part size of at least `preferred` that keeps the upload within S3's 10,000 parts. */
export function partSizeFor(size: number, preferred = 16 * 2 ** 20): number {
  const needed = Math.ceil(size / maxParts);
  return Math.max(minPartSize, preferred, Math.ceil(needed / 2 ** 20) * 2 ** 20);
}

export interface PartRange {
  partNumber: number;
  start: number;
  /** exclusive */
  end: number;
}

export function partRanges(size: number, partSize: number): PartRange[] {
  const parts: PartRange[] = [];
  for (let start = 0, n = 1; start < size || (size === 0 && n === 1); start += partSize, n++) {
    parts.push({ partNumber: n, start, end: Math.min(size, start + partSize) });
    if (size === 0) break;
  }
  return parts;
}

export interface MultipartPlan {
  bucket: string;
  key: string;
  uploadId: string;
  partSize: number;
  size: number;
  expiresAt: string;
  parts: Array<PartRange & { url: string }>;
}

export interface PlanOptions extends EncryptionOptions {
  bucket: string;
  key: string;
  size: number;
  partSize?: number;
  /** seconds each presigned URL stays valid; default 900 (short: URLs are bearer tokens) */
  expiresIn?: number;
  contentType?: string;
  /** continue this upload instead of creating one */
  uploadId?: string;
  /** presign only these part numbers (e.g. those still missing) */
  partNumbers?: number[];
}

/** Creates (or continues) a multipart upload and presigns a short-lived PUT URL per part. */
export async function planMultipartUpload(s3: S3Client, options: PlanOptions): Promise<MultipartPlan> {
  const partSize = options.partSize ?? partSizeFor(options.size);
  if (partSize < minPartSize && options.size > partSize) throw new MediaError('INVALID_ARGUMENT', `Parts must be at least ${minPartSize} bytes (except the last).`);
  const expiresIn = options.expiresIn ?? 900;
  let uploadId = options.uploadId;
  if (!uploadId) {
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, ...(options.contentType ? { ContentType: options.contentType } : {}), ...sse(options) }),
    );
    uploadId = created.UploadId;
    if (!uploadId) throw new MediaError('TOOL_FAILED', 'S3 returned no UploadId.');
  }
  const wanted = options.partNumbers ? new Set(options.partNumbers) : undefined;
  const ranges = partRanges(options.size, partSize).filter((p) => !wanted || wanted.has(p.partNumber));
  const parts = await Promise.all(
    ranges.map(async (p) => ({
      ...p,
      url: await getSignedUrl(s3, new UploadPartCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId, PartNumber: p.partNumber }), { expiresIn }),
    })),
  );
  return { bucket: options.bucket, key: options.key, uploadId, partSize, size: options.size, expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString(), parts };
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
}

/**
 * Parts already uploaded: from S3 ListParts when the server supports it, else from the caller's
 * checkpoint (servers such as s3rver do not implement ListParts).
 */
export async function listUploadedParts(s3: S3Client, bucket: string, key: string, uploadId: string, checkpoint?: UploadedPart[]): Promise<UploadedPart[]> {
  try {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }));
      for (const p of page.Parts ?? []) if (p.PartNumber && p.ETag) parts.push({ partNumber: p.PartNumber, etag: p.ETag, size: p.Size ?? 0 });
      if (!page.IsTruncated || !page.NextPartNumberMarker) break;
      marker = page.NextPartNumberMarker;
    }
    return parts;
  } catch (error) {
    const name = (error as { name?: string; Code?: string }).name ?? '';
    if (checkpoint && /NotImplemented|MethodNotAllowed/i.test(name)) return checkpoint;
    if (checkpoint && (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 405) return checkpoint;
    throw error;
  }
}

// ---------------------------------------------------------------- hashing

async function hashStream(stream: Readable, onBytes?: (n: number) => void): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    onBytes?.(chunk.length);
  }
  return { sha256: hash.digest('hex'), size };
}

/** sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  return (await hashStream(createReadStream(path, { highWaterMark: 4 * 2 ** 20 }))).sha256;
}

// ---------------------------------------------------------------- uploader

export interface ResumableUploadOptions extends EncryptionOptions {
  bucket: string;
  key: string;
  path: string;
  partSize?: number;
  /** parallel parts; default 4 */
  concurrency?: number;
  /** continue this upload */
  uploadId?: string;
  /** JSON file that records finished parts, for resuming where ListParts is not available */
  checkpointPath?: string;
  contentType?: string;
  onProgress?: (uploadedBytes: number, totalBytes: number) => void;
  /** stop after this many parts (tests resuming) */
  stopAfterParts?: number;
  signal?: AbortSignal;
}

export interface UploadResult {
  bucket: string;
  key: string;
  uploadId: string;
  size: number;
  /** sha256 of the file, computed while uploading */
  sha256: string;
  parts: number;
  resumedParts: number;
  completed: boolean;
}

interface Checkpoint {
  uploadId: string;
  key: string;
  partSize: number;
  parts: UploadedPart[];
}

async function readCheckpoint(path: string | undefined): Promise<Checkpoint | undefined> {
  if (!path) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Checkpoint;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Uploads a file in parts, each read as a stream (never the whole file), with `concurrency` parts in
 * flight; hashes the file in the same pass; resumes an earlier upload (ListParts or checkpoint).
 */
export async function uploadFileResumable(s3: S3Client, options: ResumableUploadOptions): Promise<UploadResult> {
  const size = (await stat(options.path)).size;
  const saved = await readCheckpoint(options.checkpointPath);
  const resumeId = options.uploadId ?? (saved?.key === options.key ? saved.uploadId : undefined);
  const partSize = saved && resumeId === saved.uploadId ? saved.partSize : (options.partSize ?? partSizeFor(size));
  let uploadId = resumeId;
  if (!uploadId) {
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, ...(options.contentType ? { ContentType: options.contentType } : {}), ...sse(options) }),
    );
    uploadId = created.UploadId!;
  }
  const ranges = partRanges(size, partSize);
  const done = new Map<number, UploadedPart>();
  if (resumeId) {
    for (const p of await listUploadedParts(s3, options.bucket, options.key, resumeId, saved?.parts)) {
      const range = ranges.find((r) => r.partNumber === p.partNumber);
      if (range && p.size === range.end - range.start) done.set(p.partNumber, p);
    }
  }
  const resumedParts = done.size;
  const checkpoint = async (): Promise<void> => {
    if (!options.checkpointPath) return;
    const body: Checkpoint = { uploadId: uploadId!, key: options.key, partSize, parts: [...done.values()].sort((a, b) => a.partNumber - b.partNumber) };
    await writeFile(options.checkpointPath, JSON.stringify(body));
  };
  await checkpoint();

  // The hash reads the file sequentially beside the part uploads; the page cache serves both.
  const hashing = hashStream(createReadStream(options.path, { highWaterMark: 4 * 2 ** 20 }));
  let uploaded = [...done.values()].reduce((n, p) => n + p.size, 0);
  const todo = ranges.filter((r) => !done.has(r.partNumber));
  const limit = options.stopAfterParts ?? Infinity;
  let started = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) throw new MediaError('TOOL_FAILED', 'The upload was aborted.');
      if (started >= limit) return;
      const range = todo.shift();
      if (!range) return;
      started++;
      const length = range.end - range.start;
      const body = createReadStream(options.path, { start: range.start, end: Math.max(range.start, range.end - 1), highWaterMark: 2 ** 20 });
      const result = await s3.send(
        new UploadPartCommand({
          Bucket: options.bucket,
          Key: options.key,
          UploadId: uploadId,
          PartNumber: range.partNumber,
          Body: length === 0 ? Buffer.alloc(0) : body,
          ContentLength: length,
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      if (length === 0) body.destroy();
      done.set(range.partNumber, { partNumber: range.partNumber, etag: result.ETag ?? '', size: length });
      uploaded += length;
      options.onProgress?.(uploaded, size);
      await checkpoint();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  const { sha256 } = await hashing;
  const completed = done.size === ranges.length;
  if (completed) {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: options.bucket,
        Key: options.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: [...done.values()].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
  }
  return { bucket: options.bucket, key: options.key, uploadId, size, sha256, parts: ranges.length, resumedParts, completed };
}

/** Uploads one part of a plan through its presigned URL, streaming the byte range from disk. */
export function uploadPartWithUrl(url: string, path: string, range: PartRange): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'PUT', headers: { 'content-length': String(range.end - range.start) } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode && res.statusCode < 300) resolve(String(res.headers.etag ?? ''));
        else reject(new MediaError('TOOL_FAILED', `Part ${range.partNumber} upload failed with HTTP ${res.statusCode}.`));
      });
    });
    req.on('error', (error) => reject(new MediaError('TOOL_FAILED', `Part ${range.partNumber} upload failed.`, {}, { cause: error })));
    if (range.end === range.start) req.end();
    else createReadStream(path, { start: range.start, end: range.end - 1 }).pipe(req);
  });
}

export async function completeUpload(s3: S3Client, plan: Pick<MultipartPlan, 'bucket' | 'key' | 'uploadId'>, parts: Array<{ partNumber: number; etag: string }>): Promise<void> {
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: plan.bucket,
      Key: plan.key,
      UploadId: plan.uploadId,
      MultipartUpload: { Parts: [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
    }),
  );
}

export async function abortUpload(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
}

// ---------------------------------------------------------------- verification, dedup, promotion

/** Streams the stored object back and checks its sha256 (server-side verification). */
export async function verifyObjectSha256(s3: S3Client, bucket: string, key: string, expected: string): Promise<{ sha256: string; size: number }> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new MediaError('TOOL_FAILED', 'S3 returned no body.');
  const result = await hashStream(object.Body as Readable);
  if (result.sha256 !== expected.toLowerCase()) {
    throw new MediaError('HASH_MISMATCH', 'The stored object does not match the sha256 computed at upload.', { size: result.size });
  }
  return result;
}

export type KnownHashes = ReadonlySet<string> | ((sha256: string) => Promise<string | undefined> | string | undefined);

/** The asset id already holding this content, if any (the caller owns the hash catalogue). */
export async function findDuplicate(sha256: string, known: KnownHashes): Promise<string | undefined> {
  if (typeof known === 'function') return (await known(sha256)) ?? undefined;
  return known.has(sha256) ? sha256 : undefined;
}

export interface Derivative {
  /** file name under derived/, e.g. "proxy.mp4" */
  name: string;
  path: string;
  contentType?: string;
}

export interface PromoteOptions extends EncryptionOptions {
  bucket: string;
  campaignId: string;
  assetId: string;
  derivatives: Derivative[];
  /** keep the original in quarantine (default false: delete it) */
  keepOriginal?: boolean;
}

/** Writes de-identified derivatives under derived/ (streamed) and deletes or keeps the quarantined original. */
export async function promoteAsset(s3: S3Client, options: PromoteOptions): Promise<{ keys: string[]; originalDeleted: boolean }> {
  const keys: string[] = [];
  for (const d of options.derivatives) {
    const key = derivedKey(options.campaignId, options.assetId, d.name);
    const size = (await stat(d.path)).size;
    await s3.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: key,
        Body: createReadStream(d.path),
        ContentLength: size,
        ...(d.contentType ? { ContentType: d.contentType } : {}),
        ...sse(options),
      }),
    );
    keys.push(key);
  }
  if (!options.keepOriginal) {
    await s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: quarantineKey(options.campaignId, options.assetId) }));
  }
  return { keys, originalDeleted: !options.keepOriginal };
}
