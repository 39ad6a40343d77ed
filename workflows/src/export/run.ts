// Runs one export: reads the accepted tasks (source.ts), streams the format's writer into S3 through a
// multipart upload at exports/<campaign>/<batch or 'all'>/<format>.<ext>, and reports what it wrote.
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { PrismaClient } from '@suture/db';
import type { ExportSource } from './format.ts';
import { exportFormatFor } from './registry.ts';
import { createExportSource } from './source.ts';

export interface ExportDeps {
  prisma: PrismaClient;
  s3: S3Client;
  bucket: string;
  sse?: 'AES256' | 'aws:kms' | undefined;
  /** Keys annotator pseudonyms (SUTURE_DEID_KEY); from configuration, never a default. */
  pseudonymSecret: string;
  /** Called as pages of tasks are read (activity heartbeats). */
  onProgress?: (tasksRead: number) => void;
}

export interface ExportRequest {
  campaignId: string;
  batchId?: string | null;
  format: string;
}

export interface ExportResult {
  key: string;
  bytes: number;
  /** Accepted tasks exported. */
  items: number;
  contentType: string;
}

const PART_SIZE = 8 * 2 ** 20;

export function exportKeyFor(campaignId: string, batchId: string | null | undefined, format: { id: string; extension: string }): string {
  return `exports/${campaignId}/${batchId ?? 'all'}/${format.id}.${format.extension}`;
}

export async function runExport(deps: ExportDeps, request: ExportRequest): Promise<ExportResult> {
  const source = await createExportSource({ ...deps, ...(deps.onProgress ? { onPage: deps.onProgress } : {}) }, request);
  // Refused before anything is read or written.
  const format = exportFormatFor(request.format, source.campaign.schema.geometry);
  const key = exportKeyFor(source.campaign.id, request.batchId, format);
  let items = 0;
  const counted: ExportSource = {
    ...source,
    async *tasks() {
      items = 0;
      for await (const t of source.tasks()) {
        items += 1;
        yield t;
      }
    },
  };
  const body = new PassThrough({ highWaterMark: 2 * 2 ** 20 });
  const upload = new Upload({
    client: deps.s3,
    params: { Bucket: deps.bucket, Key: key, Body: body, ContentType: format.contentType, ...(deps.sse ? { ServerSideEncryption: deps.sse } : {}) },
    partSize: PART_SIZE,
    queueSize: 2,
    leavePartsOnError: false,
  });
  const uploading = upload.done();
  // A failed upload stops the writer (its sink is gone); a failed writer aborts the upload.
  uploading.catch((error: unknown) => body.destroy(error instanceof Error ? error : new Error('export upload failed')));
  let bytes = 0;
  const writing = (async () => {
    try {
      for await (const chunk of format.write(counted)) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (buf.length === 0) continue;
        bytes += buf.length;
        if (!body.write(buf))
          await new Promise<void>((resolve, reject) => {
            const done = (error?: Error) => {
              body.off('drain', done);
              body.off('close', done);
              if (error) reject(error);
              else if (body.destroyed) reject(new Error('export upload stopped'));
              else resolve();
            };
            body.once('drain', done);
            body.once('close', done);
          });
      }
      body.end();
    } catch (error) {
      await upload.abort().catch(() => undefined);
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  })();
  const [written, uploaded] = await Promise.allSettled([writing, uploading]);
  if (written.status === 'rejected') throw written.reason;
  if (uploaded.status === 'rejected') throw uploaded.reason;
  return { key, bytes, items, contentType: format.contentType };
}
