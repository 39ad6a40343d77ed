// Pre-labelling with a real ONNX model in the lifecycle: the model's guess and confidence land on each
// task, low confidence raises the level the task requires, compute cost goes to the ledger once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { rleEncode, rleToString } from '@suture/workflows/quality';
import { annotationType, mediaBoundsOf, parseLabel } from '@suture/workflows/annotation/registry';
import { labelSchemaSchema } from '@suture/workflows/domain/label-schema';
import { channelSegmenterModel, colourClassifierModel, colourDetectorModel } from '../support/onnx-model.ts';

const solid = (r: number, g: number, b: number) =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

/** A 40 x 30 frame: red on the left half, green on the right. */
const redGreen = () => {
  const raw = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < 40 * 30; i++) raw.set(i % 40 < 20 ? [250, 10, 10] : [10, 250, 10], i * 3);
  return sharp(raw, { raw: { width: 40, height: 30, channels: 3 } })
    .png()
    .toBuffer();
};

/** COCO compressed RLE of the 40 x 30 pixels for which `on(x, y)` holds. */
const rleOf = (on: (x: number, y: number) => boolean): string => {
  const data = new Uint8Array(40 * 30);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) data[y * 40 + x] = on(x, y) ? 1 : 0;
  return rleToString(rleEncode({ width: 40, height: 30, data }));
};

const schemaOf = (geometry: string) => ({ geometry, classes: CLASSES.map((k) => ({ key: k, name: k })) });

describe('pre-label stage', () => {
  let stack: Stack;
  let ops: Person;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs the campaign model on every task and routes uncertain ones to experienced annotators', async () => {
    const modelKey = 'models/colour-classifier.onnx';
    await stack.s3.client.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: modelKey, Body: colourClassifierModel(CLASSES.length) }));
    const frames = [await solid(250, 10, 10), await solid(10, 250, 10), await solid(128, 128, 128)];
    const { campaignId, batchId, assetIds } = await createCampaignWithBatch(stack, ops, { tasks: 3, prelabelModelKey: modelKey, frames });
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 3);

    const tasks = await stack.prisma.task.findMany({ where: { batchId } });
    const byAsset = (i: number) => tasks.find((t) => t.assetId === assetIds[i])!;
    expect(byAsset(0).prelabel).toMatchObject({ label: CLASSES[0] });
    expect(byAsset(1).prelabel).toMatchObject({ label: CLASSES[1] });
    expect(byAsset(0).modelConfidence!).toBeGreaterThan(0.9);
    expect(byAsset(0).requiredLevel).toBe(1);
    // A grey frame gives no class an edge: low confidence, so a more experienced annotator must take it.
    expect(byAsset(2).modelConfidence!).toBeLessThan(0.6);
    expect(byAsset(2).requiredLevel).toBe(2);

    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.prelabelNote).toMatch(/^pre-labelled 3 tasks/);
    const compute = await stack.prisma.ledgerEntry.findMany({ where: { campaignId, kind: 'COMPUTE' } });
    expect(compute).toHaveLength(1);
    expect(compute[0]!.amountCents).toBeGreaterThan(0);
  });

  /** Each task's prelabel (without its confidence) must pass the kind's own check for the task's media. */
  async function expectValidPrelabels(batchId: string, geometry: string): Promise<void> {
    const schema = labelSchemaSchema.parse(schemaOf(geometry));
    const tasks = await stack.prisma.task.findMany({ where: { batchId }, include: { asset: true } });
    for (const t of tasks) {
      const { confidence, ...data } = t.prelabel as Record<string, unknown>;
      expect(confidence).toBe(t.modelConfidence);
      const parsed = parseLabel({ schema, media: mediaBoundsOf(t.asset), frame: t.frameIndex }, data);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
    }
  }

  it('suggests boxes with a detector: geometry in image pixels, confidence from the scores', async () => {
    const modelKey = 'models/colour-detector.onnx';
    await stack.s3.client.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: modelKey, Body: colourDetectorModel() }));
    const frames = [await solid(250, 10, 10), await solid(10, 250, 10), await solid(128, 128, 128)];
    const { batchId, assetIds } = await createCampaignWithBatch(stack, ops, { tasks: 3, prelabelModelKey: modelKey, frames, labelSchema: schemaOf('bbox') });
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 3);

    const tasks = await stack.prisma.task.findMany({ where: { batchId } });
    const byAsset = (i: number) => tasks.find((t) => t.assetId === assetIds[i])!;
    // Model input 32 x 32, image 40 x 30: x * 1.25, y * 0.9375; row 1 ends past the input and is clipped.
    const red = 250 / 255;
    expect(byAsset(0).prelabel).toEqual({ objects: [{ label: CLASSES[0], box: [2.5, 3.75, 17.5, 22.5], confidence: expect.closeTo(red, 4) }], confidence: expect.closeTo(red, 4) });
    expect(byAsset(1).prelabel).toEqual({ objects: [{ label: CLASSES[1], box: [25, 7.5, 15, 15], confidence: expect.closeTo(red, 4) }], confidence: expect.closeTo(red, 4) });
    expect(byAsset(0).requiredLevel).toBe(1);
    // Grey: both boxes at score ~0.5, so both are suggested, and the task needs an experienced annotator.
    const grey = byAsset(2);
    expect((grey.prelabel as { objects: Array<{ label: string }> }).objects.map((o) => o.label)).toEqual([CLASSES[0], CLASSES[1]]);
    expect(grey.modelConfidence!).toBeCloseTo(128 / 255, 4);
    expect(grey.requiredLevel).toBe(2);
    await expectValidPrelabels(batchId, 'bbox');

    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.prelabelNote).toBe(`pre-labelled 3 tasks with ${modelKey}`);
  });

  it('suggests masks with a segmenter: one object per class with pixels, resized to the image', async () => {
    const modelKey = 'models/channel-segmenter.onnx';
    await stack.s3.client.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: modelKey, Body: channelSegmenterModel(CLASSES.length) }));
    const frames = [await redGreen(), await solid(10, 10, 250)];
    const { batchId, assetIds } = await createCampaignWithBatch(stack, ops, { tasks: 2, prelabelModelKey: modelKey, frames, labelSchema: schemaOf('mask') });
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 2);

    const tasks = await stack.prisma.task.findMany({ where: { batchId } });
    const byAsset = (i: number) => tasks.find((t) => t.assetId === assetIds[i])!;
    const sure = expect.closeTo(250 / 255, 2);
    expect(byAsset(0).prelabel).toEqual({
      objects: [
        { label: CLASSES[0], rle: { size: [30, 40], counts: rleOf((x) => x < 20) }, confidence: sure },
        { label: CLASSES[1], rle: { size: [30, 40], counts: rleOf((x) => x >= 20) }, confidence: sure },
      ],
      confidence: sure,
    });
    expect(byAsset(1).prelabel).toEqual({ objects: [{ label: CLASSES[2], rle: { size: [30, 40], counts: rleOf(() => true) }, confidence: sure }], confidence: sure });
    expect(byAsset(0).requiredLevel).toBe(1);
    await expectValidPrelabels(batchId, 'mask');
    expect((await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).prelabelNote).toBe(`pre-labelled 2 tasks with ${modelKey}`);
  });

  it('refuses a model whose output does not fit the kind, with a note, and opens the batch anyway', async () => {
    // A classifier ([1, 4] logits) given to a bbox campaign.
    const modelKey = 'models/not-a-detector.onnx';
    await stack.s3.client.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: modelKey, Body: colourClassifierModel(CLASSES.length) }));
    const { batchId } = await createCampaignWithBatch(stack, ops, { tasks: 2, prelabelModelKey: modelKey, labelSchema: schemaOf('bbox') });
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 2);
    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.prelabelNote).toBe(
      `skipped: the model ${modelKey} does not fit this bbox campaign (${annotationType('bbox').prelabel!.describe}): the first output has rows of 4 values, expected 6 (x1, y1, x2, y2, score, classIndex)`,
    );
    for (const t of await stack.prisma.task.findMany({ where: { batchId } })) {
      expect(t.prelabel).toBeNull();
      expect(t.modelConfidence).toBeNull();
    }
  });

  it('skips kinds without a pre-label decoder', async () => {
    const { batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1, prelabelModelKey: 'models/colour-classifier.onnx', labelSchema: schemaOf('polygon') });
    await startBatch(stack, ops, batchId);
    await waitFor('task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
    expect((await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).prelabelNote).toBe('skipped: no pre-label decoder for polygon');
  });

  it('records why pre-labelling was skipped when the campaign has no model', async () => {
    const { batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1 });
    await startBatch(stack, ops, batchId);
    await waitFor('task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.prelabelNote).toBe('skipped: the campaign has no pre-labelling model');
    expect((await stack.prisma.task.findFirstOrThrow({ where: { batchId } })).prelabel).toBeNull();
  });
});
