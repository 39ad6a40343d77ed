// Pre-labelling with a real ONNX model in the lifecycle: the model's guess and confidence land on each
// task, low confidence raises the level the task requires, compute cost goes to the ledger once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { colourClassifierModel } from '../support/onnx-model.ts';

const solid = (r: number, g: number, b: number) =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

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

  it('records why pre-labelling was skipped when the campaign has no model', async () => {
    const { batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1 });
    await startBatch(stack, ops, batchId);
    await waitFor('task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.prelabelNote).toBe('skipped: the campaign has no pre-labelling model');
    expect((await stack.prisma.task.findFirstOrThrow({ where: { batchId } })).prelabel).toBeNull();
  });
});
