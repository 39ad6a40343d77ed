// Pre-labelling with the campaign's ONNX model. Convention for classification models: the first input
// takes an RGB image as float32 [1, 3, H, W] scaled to [0, 1]; the first output holds one logit per
// class of the label schema, in schema order. Low model confidence raises the level a task requires.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { Campaign, Prisma, PrismaClient } from '@suture/db';
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

export async function runPrelabel(deps: PrelabelDeps, batchId: string, campaign: Campaign): Promise<PrelabelResult> {
  if (!campaign.prelabelModelKey) return { ran: false, note: 'skipped: the campaign has no pre-labelling model', tasks: 0, computeCents: 0 };
  const schema = labelSchemaSchema.parse(campaign.labelSchema);
  if (schema.geometry !== 'classification') {
    return { ran: false, note: `skipped: pre-labelling supports classification models; this campaign labels ${schema.geometry}`, tasks: 0, computeCents: 0 };
  }
  const started = process.cpuUsage();
  const session = await ort.InferenceSession.create(await readObject(deps.s3, deps.bucket, campaign.prelabelModelKey));
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const [height, width] = modelImageSize(session, inputName);
  const tasks = await deps.prisma.task.findMany({
    where: { batchId, status: 'PENDING', asset: { status: 'READY', kind: 'IMAGE' } },
    include: { asset: true },
    orderBy: { id: 'asc' },
  });
  let done = 0;
  for (const task of tasks) {
    const key = task.asset?.derivativeKey;
    if (!key) continue;
    const { data } = await sharp(await readObject(deps.s3, deps.bucket, key))
      .removeAlpha()
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const chw = new Float32Array(3 * height * width);
    for (let i = 0; i < height * width; i++) for (let c = 0; c < 3; c++) chw[c * height * width + i] = data[i * 3 + c]! / 255;
    const out = await session.run({ [inputName]: new ort.Tensor('float32', chw, [1, 3, height, width]) });
    const logits = Array.from(out[outputName]!.data as Float32Array);
    if (logits.length !== schema.classes.length) {
      throw new Error(`the pre-labelling model outputs ${logits.length} scores but the label schema has ${schema.classes.length} classes`);
    }
    const probs = softmax(logits);
    const best = probs.indexOf(Math.max(...probs));
    const confidence = probs[best]!;
    await deps.prisma.task.update({
      where: { id: task.id },
      data: {
        prelabel: { label: schema.classes[best]!.key, confidence } satisfies Prisma.InputJsonValue,
        modelConfidence: confidence,
        requiredLevel: confidence < LOW_CONFIDENCE ? Math.max(task.requiredLevel, 2) : task.requiredLevel,
      },
    });
    done += 1;
    if (done % 20 === 0) deps.heartbeat({ done });
  }
  await session.release();
  const cpu = process.cpuUsage(started);
  const computeCents = Math.max(1, Math.ceil(((cpu.user + cpu.system) / 1e6) * CENTS_PER_CPU_SECOND));
  return { ran: true, note: `pre-labelled ${done} tasks with ${campaign.prelabelModelKey}`, tasks: done, computeCents };
}

function modelImageSize(session: ort.InferenceSession, inputName: string): [number, number] {
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  const shape = meta && meta.isTensor ? meta.shape : [];
  const h = typeof shape[2] === 'number' ? shape[2] : 224;
  const w = typeof shape[3] === 'number' ? shape[3] : 224;
  return [h, w];
}

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / sum);
}
