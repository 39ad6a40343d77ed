// The privacy officer's console page in Chromium on the real stack: an endoscopy DICOM frame with burned-in text
// waits in the privacy review queue; the officer sees its sampled frame with the automatic boxes, draws a box
// with the mouse, waits until the worker has blacked it out (the frame shown is redrawn from the derivative),
// and releases the asset. Its task opens for annotators, the derivative they get has the box black, and the
// operations manager's asset list shows the decision.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { decodeFrame, readDicom } from '@suture/workflows/media';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, startBatch, uploadAsset, type Person } from '../support/scenario.ts';
import { allowBrowserStorage, launchChromium, signInAs, startConsole } from '../support/web.ts';
import { dataPath } from '../support/paths.ts';

describe('privacy review in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let officer: Person;
  let campaignId: string;
  let batchId: string;
  let assetId: string;

  beforeAll(async () => {
    stack = await startStack();
    await allowBrowserStorage(stack);
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    officer = await register(stack, admin, 'Pia Privacy', ['PRIVACY_OFFICER']);
    const ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: 'Endoscopy frames',
          labelSchema: { geometry: 'classification', classes: [{ key: 'grasper', name: 'Grasper' }] },
          overlap: 2,
          agreementThreshold: 1,
          qaSettings: { seed: 'privacy-e2e' },
          requiredSkills: [{ key: 'laparoscopy', minLevel: 1 }],
          members: [
            { userId: officer.id, roles: ['PRIVACY_OFFICER'] },
            { userId: ann.id, roles: ['ANNOTATOR'] },
          ],
        },
      },
    );
    campaignId = created.createCampaign.id!;
    expect(campaignId, created.createCampaign.message).toBeTruthy();
    assetId = await uploadAsset(stack, ops, campaignId, readFileSync(dataPath('medical', 'dicom', 'WG04_VL1_RLE_endoscopy.dcm')), 'application/dicom');
    const batch = await gql<{ createBatch: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Flagged", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
      { c: campaignId, a: [assetId] },
    );
    batchId = batch.createBatch.id!;
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
    await startBatch(stack, ops, batchId);
    await waitFor('the flagged frame in the privacy review queue', async () => (await stack.prisma.privacyReview.count({ where: { assetId } })) === 1, 240_000);
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  it('draws a box over the frame, waits for it to be blacked out and releases the asset', async () => {
    const page = await signInAs(browser, web.url, officer, { viewport: { width: 1300, height: 1000 }, label: 'officer' });
    await page.getByTestId('nav-privacy').click();
    await page.waitForURL((url) => url.pathname === '/privacy');
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    const item = page.getByTestId(`privacy-item-${assetId}`);
    await item.waitFor({ timeout: 30_000 });
    expect(await item.locator('.reasons').textContent()).toContain('burned-in text was detected and redacted');
    // De-identification's own boxes are drawn over the frame.
    expect(await item.locator('rect.automatic').count()).toBeGreaterThan(0);

    // Drag over the middle of the frame: the box is in the frame's pixels whatever its size on screen.
    const canvas = page.getByTestId('privacy-frame-canvas-0');
    const shown = (await canvas.boundingBox())!;
    const [{ width, height }] = (await stack.prisma.privacyReview.findUniqueOrThrow({ where: { assetId } })).frames as Array<{ width: number; height: number }>;
    await page.mouse.move(shown.x + shown.width * 0.4, shown.y + shown.height * 0.4);
    await page.mouse.down();
    await page.mouse.move(shown.x + shown.width * 0.5, shown.y + shown.height * 0.48, { steps: 5 });
    await page.mouse.move(shown.x + shown.width * 0.6, shown.y + shown.height * 0.56, { steps: 5 });
    await page.mouse.up();

    // Stored at once; the release waits while the worker blacks it out, then the frame shows it.
    await expect.poll(() => item.getAttribute('data-boxes'), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => item.getAttribute('data-applying'), { timeout: 120_000 }).toBe('false');
    const review = await stack.prisma.privacyReview.findUniqueOrThrow({ where: { assetId } });
    const [box] = review.boxes as Array<{ x: number; y: number; width: number; height: number }>;
    expect(box!.x).toBeCloseTo(width * 0.4, -1);
    expect(box!.y).toBeCloseTo(height * 0.4, -1);
    expect(box!.width).toBeCloseTo(width * 0.2, -1);
    expect(box!.height).toBeCloseTo(height * 0.16, -1);
    expect(review.appliedRevision).toBe(review.revision);

    await page.getByTestId(`privacy-release-${assetId}`).click();
    await item.waitFor({ state: 'detached', timeout: 15_000 });
    await page.getByTestId('privacy-queue-empty').waitFor();
    expect((await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } })).privacyStatus).toBe('RELEASED');
    await waitFor('the released task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);

    // The derivative annotators read has the drawn box black.
    const object = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: `derived/${campaignId}/${assetId}/deidentified.dcm` }));
    const frame = await decodeFrame(readDicom(await object.Body!.transformToByteArray()), 0);
    let lit = 0;
    for (let y = Math.ceil(box!.y); y < Math.floor(box!.y + box!.height); y++)
      for (let x = Math.ceil(box!.x); x < Math.floor(box!.x + box!.width); x++)
        for (let s = 0; s < frame.samplesPerPixel; s++) lit += frame.data[(y * frame.width + x) * frame.samplesPerPixel + s]! > 0 ? 1 : 0;
    expect(lit).toBe(0);

    // The operations manager's media table shows the decision.
    const opsPage = await signInAs(browser, web.url, ops, { viewport: { width: 1300, height: 1000 }, label: 'ops' });
    await opsPage.goto(`${web.url}/ops/campaigns/${campaignId}`);
    const pill = opsPage.getByTestId(`asset-privacy-${assetId}`);
    await pill.waitFor({ timeout: 30_000 });
    expect(await pill.getAttribute('data-privacy')).toBe('RELEASED');
    expect(await pill.textContent()).toContain('released by privacy review');
  });
});
