// Pre-labelling with the campaign's ONNX model. The input is the same for every kind: the first input takes
// an RGB image as float32 [1, 3, H, W] scaled to [0, 1] (H and W from the model's input metadata, 224 when
// dynamic). What the outputs mean is the annotation type's business: its module's `prelabel.decode` turns
// them into a payload of its kind (conventions in each module's header), which must pass the module's own
// check. A model whose outputs do not fit is refused with a note, never retried. Low model confidence raises
// the level a task requires. Image tasks only: frames of videos are not decoded here.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { Campaign, Prisma, PrismaClient } from '@suture/db';
import { annotationType, mediaBoundsOf, parseLabel, type AnnotationContext } from '../annotation/registry.ts';
import type { ModelOutput } from '../annotation/module.ts';
import { labelSchemaSchema } from '../domain/label-schema.ts';

export interface PrelabelDeps {
  prisma: PrismaClient;
  s3: S3Client;
  bucket: string;
  heartbeat: (details: unknown) => void;
}

export interface PrelabelResult {
  ran: boolean;
  note: string;
  tasks: number;
  computeCents: number;
}

/** Confidence below which a task needs a more experienced annotator. */
const LOW_CONFIDENCE = 0.6;
/** What a CPU-second of inference costs, in cents (recorded as COMPUTE in the ledger). */
const CENTS_PER_CPU_SECOND = 0.05;

export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!res.Body) throw new Error(`object ${key} has no body`);
  return res.Body.transformToByteArray();
}

/** The model does not fit the campaign (deterministic: retrying cannot help). */
class ModelRefused extends Error {}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);

export async function runPrelabel(deps: PrelabelDeps, batchId: string, campaign: Campaign): Promise<PrelabelResult> {
  const modelKey = campaign.prelabelModelKey;
  if (!modelKey) return { ran: false, note: 'skipped: the campaign has no pre-labelling model', tasks: 0, computeCents: 0 };
  const schema = labelSchemaSchema.parse(campaign.labelSchema);
  const prelabeler = annotationType(schema.geometry).prelabel;
  if (!prelabeler) return { ran: false, note: `skipped: no pre-label decoder for ${schema.geometry}`, tasks: 0, computeCents: 0 };

  let modelBytes: Uint8Array;
  try {
    modelBytes = await readObject(deps.s3, deps.bucket, modelKey);
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchKey') throw error;
    return { ran: false, note: `skipped: the pre-labelling model ${modelKey} does not exist`, tasks: 0, computeCents: 0 };
  }
  const started = process.cpuUsage();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelBytes);
  } catch (error) {
    return { ran: false, note: `skipped: the pre-labelling model ${modelKey} could not be loaded: ${messageOf(error)}`, tasks: 0, computeCents: 0 };
  }
  const computeCents = (): number => {
    const cpu = process.cpuUsage(started);
    return Math.max(1, Math.ceil(((cpu.user + cpu.system) / 1e6) * CENTS_PER_CPU_SECOND));
  };

  let done = 0;
  let ranModel = false;
  try {
    const inputName = session.inputNames[0]!;
    const [height, width] = modelImageSize(session, inputName);
    const tasks = await deps.prisma.task.findMany({
      where: { batchId, status: 'PENDING', asset: { status: 'READY', kind: 'IMAGE' } },
      include: { asset: true },
      orderBy: { id: 'asc' },
    });
    for (const task of tasks) {
      const key = task.asset?.derivativeKey;
      if (!key) continue;
      const image = sharp(await readObject(deps.s3, deps.bucket, key));
      const meta = await image.metadata();
      const { data: rgb } = await image.removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
      const chw = new Float32Array(3 * height * width);
      for (let i = 0; i < height * width; i++) for (let c = 0; c < 3; c++) chw[c * height * width + i] = rgb[i * 3 + c]! / 255;

      let outputs: Record<string, ModelOutput>;
      try {
        const out = await session.run({ [inputName]: new ort.Tensor('float32', chw, [1, 3, height, width]) });
        ranModel = true;
        outputs = Object.fromEntries(session.outputNames.map((name) => [name, toModelOutput(name, out[name]!)]));
      } catch (error) {
        throw new ModelRefused(`inference failed: ${messageOf(error)}`);
      }

      // The bounds labels are checked against; the decoder also needs the image size when ingest did not record it.
      const bounds = mediaBoundsOf(task.asset);
      const parseCtx: AnnotationContext = { schema, media: bounds, frame: task.frameIndex };
      const decodeCtx: AnnotationContext = { ...parseCtx, media: { width: meta.width, height: meta.height, ...bounds } };
      let decoded: { data: unknown; confidence: number };
      try {
        decoded = prelabeler.decode(outputs, decodeCtx, { width, height });
      } catch (error) {
        throw new ModelRefused(messageOf(error));
      }
      const parsed = parseLabel(parseCtx, decoded.data);
      if (!parsed.ok) throw new ModelRefused(`its suggestion is not a valid ${schema.geometry} label: ${parsed.problems.slice(0, 3).join('; ')}`);
      const confidence = decoded.confidence;
      if (!(confidence >= 0 && confidence <= 1)) throw new ModelRefused(`the decoded confidence ${confidence} is not in [0, 1]`);

      await deps.prisma.task.update({
        where: { id: task.id },
        data: {
          prelabel: { ...(parsed.value as Record<string, unknown>), confidence } as Prisma.InputJsonValue,
          modelConfidence: confidence,
          requiredLevel: confidence < LOW_CONFIDENCE ? Math.max(task.requiredLevel, 2) : task.requiredLevel,
        },
      });
      done += 1;
      if (done % 20 === 0) deps.heartbeat({ done });
    }
  } catch (error) {
    if (!(error instanceof ModelRefused)) throw error;
    const why = `the model ${modelKey} does not fit this ${schema.geometry} campaign (${prelabeler.describe}): ${error.message}`;
    const cents = ranModel ? computeCents() : 0;
    return done === 0
      ? { ran: false, note: `skipped: ${why}`, tasks: 0, computeCents: cents }
      : { ran: true, note: `pre-labelled ${done} tasks with ${modelKey}, then stopped: ${why}`, tasks: done, computeCents: cents };
  } finally {
    await session.release();
  }
  const others = await deps.prisma.task.count({ where: { batchId, status: 'PENDING', asset: { kind: { not: 'IMAGE' } } } });
  const rest = others > 0 ? `; ${others} tasks of videos or scans left without a suggestion (image tasks only)` : '';
  return { ran: true, note: `pre-labelled ${done} tasks with ${modelKey}${rest}`, tasks: done, computeCents: computeCents() };
}

function toModelOutput(name: string, tensor: ort.Tensor): ModelOutput {
  const { data } = tensor;
  if (data instanceof Float32Array) return { data, dims: tensor.dims };
  if (typeof data === 'string' || Array.isArray(data)) throw new Error(`output ${name} is a ${tensor.type} tensor, not numbers`);
  return { data: Float32Array.from(data as ArrayLike<number | bigint>, Number), dims: tensor.dims };
}

function modelImageSize(session: ort.InferenceSession, inputName: string): [number, number] {
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  const shape = meta && meta.isTensor ? meta.shape : [];
  const h = typeof shape[2] === 'number' ? shape[2] : 224;
  const w = typeof shape[3] === 'number' ? shape[3] : 224;
  return [h, w];
}
