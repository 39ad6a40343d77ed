// An export source held in memory, for format tests and the benchmark: the same contract as the database
// source (tasks in id order, re-iterable; frames.json per video; the volume header per NIfTI asset).
import { labelSchemaSchema, type LabelSchema } from '../domain/label-schema.ts';
import { buildFrameIndex } from '../media/video.ts';
import { proxyFrameMap, type ProxyFrameMap } from '../activities/ingest.ts';
import { consensusMethods } from '../annotation/registry.ts';
import { ExportError, identityFrames, type ExportAsset, type ExportChunk, type ExportConsensus, type ExportFormat, type ExportSource, type ExportTask } from './format.ts';
import { frameMappingOf } from './frames.ts';
import { dicomHeaderOf } from './source.ts';

export function memorySource(input: {
  schema: Partial<LabelSchema> & Pick<LabelSchema, 'geometry' | 'classes'>;
  tasks: Array<Partial<ExportTask> & Pick<ExportTask, 'id' | 'consensus'>>;
  frames?: Record<string, ProxyFrameMap>;
  niftiHeaders?: Record<string, Uint8Array>;
  /** Whole DICOM files by asset id; dicomHeader gives what the S3 source gives, the bytes before the pixel data. */
  dicomFiles?: Record<string, Uint8Array>;
  campaignId?: string;
  batchId?: string | null;
  /** The campaign's consensus record; the type's default method with no annotators unless given. */
  consensus?: ExportConsensus;
}): ExportSource {
  const schema = labelSchemaSchema.parse(input.schema);
  const tasks: ExportTask[] = input.tasks
    .map((t) => ({
      batchId: input.batchId ?? 'batch-1',
      asset: null,
      frame: null,
      round: 0,
      consensusMethod: 'test',
      agreement: 1,
      agreementMetric: 'test',
      labels: [],
      review: null,
      prelabeled: false,
      ...t,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    campaign: {
      id: input.campaignId ?? 'campaign-1',
      name: 'Test campaign',
      schema,
      guidelinesVersion: 3,
      prelabelModelKey: 'models/test.onnx',
      consensus: input.consensus ?? defaultConsensus(schema),
    },
    batchId: input.batchId ?? null,
    async *tasks() {
      for (const t of tasks) yield structuredClone(t);
    },
    frames(asset: ExportAsset) {
      if (asset.kind !== 'VIDEO') return Promise.resolve(identityFrames);
      const map = input.frames?.[asset.id];
      if (!map) return Promise.reject(new ExportError('MEDIA_MISSING', `no frames.json for ${asset.id}`));
      return Promise.resolve(frameMappingOf(map));
    },
    niftiHeader(asset: ExportAsset) {
      const h = input.niftiHeaders?.[asset.id];
      return h ? Promise.resolve(h) : Promise.reject(new ExportError('MEDIA_MISSING', `no volume for ${asset.id}`));
    },
    dicomHeader(asset: ExportAsset) {
      const file = input.dicomFiles?.[asset.id];
      if (!file) return Promise.reject(new ExportError('MEDIA_MISSING', `no DICOM for ${asset.id}`));
      // In 1 KiB chunks, so that reading stops part way as it does from S3.
      return dicomHeaderOf(
        (async function* () {
          for (let i = 0; i < file.length; i += 1024) yield file.subarray(i, i + 1024);
        })(),
      );
    },
  };
}

export function imageAsset(id: string, width = 100, height = 80): ExportAsset {
  return { id, kind: 'IMAGE', fileName: null, width, height, frameCount: null, volume: null };
}

export function videoAsset(id: string, frameCount: number, width = 64, height = 48): ExportAsset {
  return { id, kind: 'VIDEO', fileName: null, width, height, frameCount, volume: null };
}

/**
 * frames.json of a proxy of `count` frames at `fps` cut from a source at the same rate starting at source
 * frame `firstSource` (a trim): proxy frame n shows source frame firstSource + n.
 */
export function trimmedFrameMap(count: number, fps: number, firstSource: number, sourceFrames = firstSource + count + 10): ProxyFrameMap {
  const tb = { num: 1, den: 12800 };
  const index = (n: number, start: number) =>
    buildFrameIndex(
      Array.from({ length: n }, (_, k) => Math.round((start + k / fps) * tb.den)),
      tb,
    );
  const offset = firstSource / fps;
  return proxyFrameMap(index(count, 0), fps, index(sourceFrames, 0), offset, { startSeconds: offset, endSeconds: offset + count / fps });
}

/** Runs a format's writer to the end and returns its bytes. */
export async function collect(format: ExportFormat, source: ExportSource): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of format.write(source) as AsyncIterable<ExportChunk>) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** The consensus record of a campaign that kept its type's default method and has no fitted annotators. */
function defaultConsensus(schema: LabelSchema): ExportConsensus {
  const methods = consensusMethods(schema);
  const choice = methods.choices.find((c) => c.id === methods.default)!;
  return { method: choice.id, title: choice.title, minTasks: null, seed: null, options: {}, effectiveMethod: choice.id, categories: [], annotators: [], convergence: null };
}
