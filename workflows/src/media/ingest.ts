// Ingest's side of S3, one path for the API, the CLI and the worker: the key layout (every upload lands
// in quarantine; de-identified derivatives, encrypted originals and ingest checkpoints each under their
// own prefix), the multipart part plan, presigned part PUTs streamed from disk, a download that hashes
// while it streams to disk and continues a partial file, uploads that go multipart above the single-PUT
// limit, and the per-asset workspace whose checkpoints let an interrupted ingest resume.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client, type ServerSideEncryption } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MediaError } from './errors.ts';

// ---------------------------------------------------------------- keys

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkId(kind: string, id: string): string {
  if (!idPattern.test(id)) throw new MediaError('INVALID_ARGUMENT', `${kind} must be 1-128 characters of letters, digits, '-' or '_'.`);
  return id;
}

/** A plain file name, or plain names joined by '/' (never '.', '..' or an empty segment). */
function checkName(name: string): string {
  if (!name.split('/').every((segment) => namePattern.test(segment))) {
    throw new MediaError('INVALID_ARGUMENT', 'Key names must be plain file names (letters, digits, ".", "-", "_"), optionally in folders.');
  }
  return name;
}

/** Where every upload lands first, before validation and de-identification. Never a file name: it may carry PHI. */
export function quarantineKey(campaignId: string, assetId: string): string {
  return `quarantine/${checkId('campaignId', campaignId)}/${checkId('assetId', assetId)}/original`;
}

/** derived/<campaignId>/<assetId>/<name>: de-identified derivatives, presigned for annotators once the asset is READY. */
export function derivedKey(campaignId: string, assetId: string, name: string): string {
  return `derived/${checkId('campaignId', campaignId)}/${checkId('assetId', assetId)}/${checkName(name)}`;
}

/** Where a retained original lives, envelope-encrypted (never signed for viewing). */
export function originalKey(campaignId: string, assetId: string): string {
  return `originals/${checkId('campaignId', campaignId)}/${checkId('assetId', assetId)}/original.enc`;
}

/** work/<campaignId>/<assetId>/<name>: an ingest's checkpoint while it runs (never PHI). */
export function workKey(campaignId: string, assetId: string, name: string): string {
  return `work/${checkId('campaignId', campaignId)}/${checkId('assetId', assetId)}/${checkName(name)}`;
}

export interface EncryptionOptions {
  /** passed to S3 as ServerSideEncryption (e.g. 'AES256' or 'aws:kms') */
  serverSideEncryption?: ServerSideEncryption | undefined;
  sseKmsKeyId?: string | undefined;
}

function sse(e: EncryptionOptions): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
  return {
    ...(e.serverSideEncryption ? { ServerSideEncryption: e.serverSideEncryption } : {}),
    ...(e.sseKmsKeyId ? { SSEKMSKeyId: e.sseKmsKeyId } : {}),
  };
}

// ---------------------------------------------------------------- multipart plan

export const minPartSize = 5 * 2 ** 20;
/** The part size uploads use unless a file needs larger parts to stay within S3's 10,000. */
export const defaultPartSize = 16 * 2 ** 20;
const maxParts = 10_000;

function checkSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new MediaError('INVALID_ARGUMENT', `A size must be a whole number of bytes from 0 to 2^53 (got ${size}).`);
  return size;
}

/** A part size of at least `preferred` (whole MiB) that keeps the upload within S3's 10,000 parts. */
export function partSizeFor(size: number, preferred = defaultPartSize): number {
  const needed = Math.ceil(checkSize(size) / maxParts);
  return Math.max(minPartSize, preferred, Math.ceil(needed / 2 ** 20) * 2 ** 20);
}

/** Parts of an upload of `size` bytes (an empty file is one empty part). */
export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(checkSize(size) / partSize));
}

export interface PartRange {
  partNumber: number;
  start: number;
  /** exclusive */
  end: number;
}

export function partRanges(size: number, partSize: number): PartRange[] {
  const count = partCount(size, partSize);
  return Array.from({ length: count }, (_, i) => ({ partNumber: i + 1, start: i * partSize, end: Math.min(size, (i + 1) * partSize) }));
}

/** Uploads one part through its presigned URL, streaming the byte range from disk; returns the part's ETag. */
export function uploadPartWithUrl(url: string, path: string, range: PartRange): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'PUT', headers: { 'content-length': String(range.end - range.start) } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode && res.statusCode < 300) resolve(String(res.headers.etag ?? ''));
        else reject(new MediaError('TOOL_FAILED', `Part ${range.partNumber} upload failed with HTTP ${res.statusCode}.`, { status: res.statusCode ?? 0 }));
      });
    });
    req.on('error', (error) => reject(new MediaError('TOOL_FAILED', `Part ${range.partNumber} upload failed.`, {}, { cause: error })));
    if (range.end === range.start) req.end();
    else createReadStream(path, { start: range.start, end: range.end - 1 }).pipe(req);
  });
}

// ---------------------------------------------------------------- download

/** Feeds every chunk to the hash and counts the bytes on their way to disk. */
function hashing(hash: Hash, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

export interface DownloadOptions {
  bucket: string;
  key: string;
  /** where the object ends up; bytes land in `<path>.part` until the last one is written */
  path: string;
  /** bytes on disk so far, and the object's size when known */
  onProgress?: (bytes: number, total: number | null) => void;
}

export interface Downloaded {
  size: number;
  /** sha256 of the object, computed while it streamed to disk */
  sha256: string;
  etag: string;
  /** bytes that were already on disk from an interrupted download */
  resumedFrom: number;
}

const sizeOf = async (path: string): Promise<number | null> => {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
};

/**
 * Streams an object to disk and hashes it in the same pass: the file is never whole in memory. An
 * interrupted download (the process killed) continues where it stopped: the bytes already in
 * `<path>.part` are hashed from disk, and only the rest is fetched, by a ranged GET of the same object
 * version (If-Match on the ETag recorded beside the partial file).
 */
export async function downloadObject(s3: S3Client, options: DownloadOptions): Promise<Downloaded> {
  const partial = `${options.path}.part`;
  const marker = `${options.path}.part.json`;
  const hash = createHash('sha256');
  let offset = 0;
  let etag: string | undefined;
  let total: number | null = null;
  const have = await sizeOf(partial);
  if (have !== null && have > 0) {
    const saved = JSON.parse(await readFile(marker, 'utf8').catch(() => '{}')) as { etag?: string };
    const head = await s3.send(new HeadObjectCommand({ Bucket: options.bucket, Key: options.key }));
    if (saved.etag && head.ETag === saved.etag && head.ContentLength !== undefined && have <= head.ContentLength) {
      for await (const chunk of createReadStream(partial, { highWaterMark: 4 * 2 ** 20 }) as AsyncIterable<Buffer>) hash.update(chunk);
      offset = have;
      etag = saved.etag;
      total = head.ContentLength;
    }
  }
  let written = offset;
  if (total === null || offset < total) {
    const res = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: options.key, ...(offset > 0 && etag ? { Range: `bytes=${offset}-`, IfMatch: etag } : {}) }));
    if (!res.Body) throw new MediaError('EMPTY_FILE', 'The object has no content.');
    etag ??= res.ETag ?? '';
    total ??= res.ContentLength ?? null;
    if (offset === 0) await writeFile(marker, JSON.stringify({ etag }));
    await pipeline(
      res.Body as Readable,
      hashing(hash, (n) => {
        written += n;
        options.onProgress?.(written, total);
      }),
      createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }),
    );
  }
  if (total !== null && written !== total) throw new Error(`The download of ${options.key} ended after ${written} of ${total} bytes.`);
  await rename(partial, options.path);
  await rm(marker, { force: true });
  return { size: written, sha256: hash.digest('hex'), etag: etag ?? '', resumedFrom: offset };
}

// ---------------------------------------------------------------- upload

/** Above this a file goes up in parts: S3 refuses single PUTs over 5 GiB, and parts retry alone. */
export const singlePutLimit = 64 * 2 ** 20;

export interface UploadFileOptions extends EncryptionOptions {
  bucket: string;
  key: string;
  path: string;
  contentType: string;
}

/** Streams a file into S3: one PUT when small, a multipart upload (two parts in flight) otherwise. */
export async function uploadFile(s3: S3Client, options: UploadFileOptions): Promise<void> {
  const { size } = await stat(options.path);
  const params = { Bucket: options.bucket, Key: options.key, ContentType: options.contentType, ...sse(options) };
  if (size <= singlePutLimit) {
    await s3.send(new PutObjectCommand({ ...params, Body: createReadStream(options.path), ContentLength: size }));
    return;
  }
  await new Upload({ client: s3, params: { ...params, Body: createReadStream(options.path) }, partSize: partSizeFor(size), queueSize: 2, leavePartsOnError: false }).done();
}

/** Downloads a small JSON object; null when there is none. */
async function readJsonObject<T>(s3: S3Client, bucket: string, key: string): Promise<T | null> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await res.Body!.transformToString()) as T;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
    throw error;
  }
}

// ---------------------------------------------------------------- workspace

export interface WorkspaceOptions {
  s3: S3Client;
  bucket: string;
  campaignId: string;
  assetId: string;
  /** the directory workspaces live in; default <tmpdir>/suture-ingest */
  root?: string | undefined;
}

/** The state file beside the workspace's files and its copy in S3. */
const STATE = 'state.json';
const LOCK = 'lock';
/** Workspaces nobody touched for this long (an ingest that was never retried) are removed. */
const STALE_MS = 3 * 24 * 3600 * 1000;
/** Workspaces held by this process: a second ingest of the same asset here waits for a retry. */
const held = new Set<string>();
let sweptAt = 0;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
};

export const defaultWorkspaceRoot = (): string => join(tmpdir(), 'suture-ingest');

/** Removes workspaces untouched for days that no live process holds. */
async function sweepStaleWorkspaces(root: string): Promise<void> {
  if (Date.now() - sweptAt < 3600 * 1000) return;
  sweptAt = Date.now();
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const dir = join(root, name);
    if (held.has(dir)) continue;
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory() || Date.now() - info.mtimeMs < STALE_MS) continue;
    const pid = Number(await readFile(join(dir, LOCK), 'utf8').catch(() => '0'));
    if (pid > 0 && pid !== process.pid && alive(pid)) continue;
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One asset's ingest workspace. Its directory outlives the worker process, so that an activity retried on
 * the same machine after the worker was killed finds the files of the steps that finished; the state
 * (which steps finished, and what they found) is written beside them and to S3
 * (work/<campaign>/<asset>/state.json, never PHI), so that a retry on another machine also skips them and
 * fetches their de-identified outputs instead of starting again from the original. One process at a time
 * holds a workspace (a lock file with its pid; a dead holder's lock is taken over).
 */
export class IngestWorkspace<State extends object> {
  private constructor(
    private readonly options: WorkspaceOptions,
    readonly dir: string,
  ) {}

  static async open<State extends object>(options: WorkspaceOptions): Promise<IngestWorkspace<State>> {
    const root = options.root ?? defaultWorkspaceRoot();
    const dir = join(root, checkId('assetId', options.assetId));
    // Transient refusals: Temporal retries the activity, by which time the other attempt has finished.
    if (held.has(dir)) throw new Error(`The ingest of asset ${options.assetId} is already running in this worker.`);
    await mkdir(dir, { recursive: true });
    const pid = Number(await readFile(join(dir, LOCK), 'utf8').catch(() => '0'));
    if (pid > 0 && pid !== process.pid && alive(pid)) throw new Error(`The ingest of asset ${options.assetId} is running in process ${pid} on this machine.`);
    await writeFile(join(dir, LOCK), String(process.pid));
    held.add(dir);
    await sweepStaleWorkspaces(root).catch(() => undefined);
    return new IngestWorkspace<State>(options, dir);
  }

  path(name: string): string {
    if (!namePattern.test(name)) throw new MediaError('INVALID_ARGUMENT', 'Workspace files have plain names.');
    return join(this.dir, name);
  }

  /** Whether a finished file is on this machine. */
  async has(name: string): Promise<boolean> {
    return (await sizeOf(this.path(name))) !== null;
  }

  /** The checkpoint: this machine's, else the one in S3 (a retry elsewhere), else null. */
  async load(): Promise<State | null> {
    const local = await readFile(this.path(STATE), 'utf8').catch((error: { code?: string }) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (local !== null) return JSON.parse(local) as State;
    return readJsonObject<State>(this.options.s3, this.options.bucket, workKey(this.options.campaignId, this.options.assetId, STATE));
  }

  /** Records finished steps: on disk first (atomically), then in S3. */
  async save(state: State): Promise<void> {
    const body = JSON.stringify(state);
    await writeFile(this.path(`${STATE}.tmp`), body);
    await rename(this.path(`${STATE}.tmp`), this.path(STATE));
    await this.options.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: workKey(this.options.campaignId, this.options.assetId, STATE),
        Body: body,
        ContentType: 'application/json',
      }),
    );
  }

  /** Lets go of the workspace and keeps its files, for a retry. */
  release(): void {
    held.delete(this.dir);
  }

  /** Removes the workspace here and its checkpoint in S3: the ingest is over. */
  async discard(): Promise<void> {
    held.delete(this.dir);
    await rm(this.dir, { recursive: true, force: true });
    await this.options.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: workKey(this.options.campaignId, this.options.assetId, STATE) }));
  }
}
