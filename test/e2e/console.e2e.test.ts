// In a real browser: an annotator logs in, claims, labels and submits; the operations manager sees the
// batch's progress change. And a surgical video campaign: ops keeps originals encrypted, uploads and trims
// a video, makes a task every 10 frames and watches ingest finish; the annotator sees the task's frame.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, createCampaignWithBatch, everyoneAsMembers, register, startBatch, type Person } from '../support/scenario.ts';
import { allowBrowserStorage, launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

describe('console in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann: Person;
  let ben: Person;
  let cleo: Person;
  let batchId: string;
  let campaignId: string;
  let work: string;

  beforeAll(async () => {
    // The worker holds an originals key, so a campaign may keep its originals encrypted.
    stack = await startStack({ originalsKey: randomBytes(32) });
    await allowBrowserStorage(stack);
    work = await mkdtemp(join(tmpdir(), 'suture-e2e-'));
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ben = await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]]);
    cleo = await register(stack, admin, 'Cleo', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ({ batchId, campaignId } = await createCampaignWithBatch(stack, ops, { tasks: 1, threshold: 0.5 }));
    await startBatch(stack, ops, batchId);
    await waitFor('task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const loginAs = (person: Person) => signInAs(browser, web.url, person);

  /** Opens a console page and waits until it is interactive (radios and selects work only after hydration). */
  const open = (page: Page, path: string) => openPage(page, web.url, path);

  it('annotator labels a task in the workspace and ops sees the batch progress', async () => {
    const opsPage = await loginAs(ops);
    await opsPage.goto(`${web.url}/ops/batches/${batchId}`);
    await expect.poll(() => opsPage.getByTestId('batch-progress-total').textContent(), { timeout: 30_000 }).toContain('1');
    await expect.poll(() => opsPage.getByTestId('batch-progress-accepted').textContent(), { timeout: 30_000 }).toContain('0');

    const annPage = await loginAs(ann);
    await annPage.goto(`${web.url}/work`);
    await annPage.getByTestId('claim-next').click();
    await annPage.waitForURL(/\/work\/[0-9a-f-]{36}/);
    await annPage.getByTestId('class-option-hook').click();
    await annPage.getByTestId('submit-annotation').click();
    await annPage.waitForURL((url) => url.pathname === '/work');

    // The label landed through the browser: stored, submitted, and Ann's own.
    const stored = await waitFor("Ann's submitted label", () => stack.prisma.annotation.findFirst({ where: { userId: ann.id, submitted: true } }));
    expect(stored.data).toEqual({ label: 'hook' });

    // The second blind label comes through the API; the task reaches consensus and ops sees it accepted.
    const claim = await gql<{ claimNextTask: { id?: string; code?: string } }>(
      stack.apiUrl,
      ben.token,
      `mutation { claimNextTask { ... on Assignment { id } ... on DomainError { code } } }`,
    );
    expect(claim.claimNextTask.code).toBeUndefined();
    await gql(
      stack.apiUrl,
      ben.token,
      `mutation($a: ID!) { submitAnnotation(assignmentId: $a, data: { label: "hook" }, idempotencyKey: "ben-e2e-0001") { ... on Annotation { id } } }`,
      { a: claim.claimNextTask.id },
    );
    await expect.poll(() => opsPage.getByTestId('batch-progress-accepted').textContent(), { timeout: 60_000 }).toContain('1');

    // The campaign page: agreement in the annotation type's own metric, and the labels out on demand.
    await open(opsPage, `/ops/campaigns/${campaignId}`);
    expect(await opsPage.getByTestId('campaign-agreement-mean').textContent()).toContain('1.00');
    expect(await opsPage.getByTestId('campaign-agreement-metric').textContent()).toMatch(/percent agreement/i);
    await expect
      .poll(
        async () =>
          (
            await opsPage
              .getByTestId('export-format')
              .locator('option')
              .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))
          ).join('|'),
        { timeout: 15_000 },
      )
      .toMatch(/native/);
    await opsPage.getByTestId('export-format').selectOption('native');
    await opsPage.getByTestId('export-run').click();
    const link = opsPage.getByTestId('export-download');
    await link.waitFor({ timeout: 60_000 });
    expect(await opsPage.getByTestId('export-result').textContent()).toContain('1 accepted task');
    const download = await opsPage.request.get((await link.getAttribute('href'))!);
    expect(download.ok()).toBe(true);
    const exported = (await download.json()) as { tasks: Array<{ consensus: unknown }> };
    expect(exported.tasks).toHaveLength(1);
    expect(exported.tasks[0]!.consensus).toEqual({ label: 'hook' });
  });

  it('ops keeps originals encrypted, trims a video, makes a task every 10 frames and watches ingest; the annotator sees the frame', async () => {
    // A 3 s, 20 fps synthetic clip (60 frames); the trim keeps 0.5–2.5 s: 40 frames, source frames 10..49.
    const videoPath = join(work, 'cholecystectomy.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=96x64:rate=20:duration=3',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      videoPath,
    ]);
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: 'Cholecystectomy phases',
          labelSchema: { geometry: 'classification', classes: CLASSES.map((k) => ({ key: k, name: k })) },
          overlap: 2,
          agreementThreshold: 0.5,
          members: await everyoneAsMembers(stack, ops),
        },
      },
    );
    const campaignId = created.createCampaign.id!;
    expect(campaignId, created.createCampaign.message).toBeTruthy();

    const page = await loginAs(ops);
    await open(page, `/ops/campaigns/${campaignId}`);
    const policy = page.getByTestId('media-policy-current');
    expect(await policy.getAttribute('data-originals')).toBe('DELETE');

    // The API's refusal of a bad policy is shown next to the form; nothing is saved.
    await page.getByTestId('media-policy-brightness').selectOption('custom');
    await page.getByTestId('media-policy-brightness-value').fill('2');
    await page.getByTestId('media-policy-save').click();
    await expect.poll(() => page.getByTestId('media-policy-error').textContent(), { timeout: 15_000 }).toContain('brightness must be between -1 and 1');
    expect(await policy.getAttribute('data-brightness')).toBe('off');

    // Keep originals encrypted, normalise the dark footage.
    await page.getByTestId('media-policy-originals-retain').check();
    await page.getByTestId('media-policy-brightness').selectOption('auto');
    await page.getByTestId('media-policy-save').click();
    await expect.poll(() => policy.getAttribute('data-originals'), { timeout: 15_000 }).toBe('RETAIN_ENCRYPTED');
    expect(await page.getByTestId('media-policy-current-originals').textContent()).toContain('kept, envelope-encrypted');
    expect(await page.getByTestId('media-policy-error').count()).toBe(0);
    expect((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } })).mediaPolicy).toEqual({ originals: 'RETAIN_ENCRYPTED', normalizeBrightness: true });

    await page.getByTestId('campaign-activate').click();
    await expect.poll(() => page.getByTestId('campaign-status').textContent(), { timeout: 15_000 }).toContain('Active');

    // Upload through the browser: the parts go straight to storage; the video waits in quarantine.
    await page.getByTestId('upload-input').setInputFiles(videoPath);
    await expect.poll(() => page.getByTestId('upload-item-0').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    const { id: assetId } = await waitFor('the uploaded video', () => stack.prisma.asset.findFirst({ where: { campaignId, status: 'QUARANTINED' }, select: { id: true } }), 30_000);
    const row = page.getByTestId(`asset-row-${assetId}`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('QUARANTINED');
    expect(await page.getByTestId(`asset-ingest-step-${assetId}`).textContent()).toContain('ingest runs when a batch with this asset starts');

    // Trim before ingest: a backwards range is the API's error, then the real one is saved.
    await page.getByTestId(`asset-trim-start-${assetId}`).fill('2');
    await page.getByTestId(`asset-trim-end-${assetId}`).fill('0.5');
    await page.getByTestId(`asset-trim-save-${assetId}`).click();
    await expect.poll(() => page.getByTestId(`asset-trim-error-${assetId}`).textContent(), { timeout: 15_000 }).toContain('endSeconds (0.5) must be after startSeconds (2)');
    await page.getByTestId(`asset-trim-start-${assetId}`).fill('0.5');
    await page.getByTestId(`asset-trim-end-${assetId}`).fill('2.5');
    await page.getByTestId(`asset-trim-save-${assetId}`).click();
    await expect.poll(() => page.getByTestId(`asset-trim-${assetId}`).textContent(), { timeout: 15_000 }).toContain('Trim 0.5–2.5 s');
    expect(await page.getByTestId(`asset-trim-error-${assetId}`).count()).toBe(0);
    expect(await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } })).toMatchObject({ trimStartSeconds: 0.5, trimEndSeconds: 2.5 });

    // A task every 10 frames of the 40 the trimmed proxy will hold (not known before ingest, so entered).
    await page.getByTestId('create-batch-name').fill('Every 10th frame');
    await page.getByTestId('create-batch-frames-mode-every').check();
    await page.getByTestId('create-batch-frame-step').fill('10');
    expect(await page.getByTestId('create-batch-frames-problem').textContent()).toContain('not ingested yet');
    await page.getByTestId('create-batch-frame-count').fill('40');
    const preview = page.getByTestId('create-batch-frames-preview');
    expect(await preview.getAttribute('data-tasks')).toBe('4');
    expect(await preview.textContent()).toContain('Frames 0, 10, 20, 30');
    await page.getByTestId('create-batch-submit').click();
    await page.getByTestId('created-batch').waitFor({ timeout: 15_000 });
    const batch = await stack.prisma.batch.findFirstOrThrow({ where: { campaignId }, select: { id: true } });
    const tasks = await stack.prisma.task.findMany({ where: { batchId: batch.id }, select: { assetId: true, frameIndex: true }, orderBy: { frameIndex: 'asc' } });
    expect(tasks).toEqual([0, 10, 20, 30].map((frameIndex) => ({ assetId, frameIndex })));

    // Start: ingest runs; the table follows it to done, then stops polling.
    await page.getByTestId(`start-batch-${batch.id}`).click();
    await expect.poll(() => page.getByTestId(`asset-ingest-step-${assetId}`).getAttribute('data-step'), { timeout: 240_000, interval: 500 }).toBe('done');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('READY');
    expect(await page.getByTestId(`asset-status-${assetId}`).textContent()).toContain('Ready');
    expect(await page.getByTestId(`asset-ingest-step-${assetId}`).textContent()).toContain('Done');
    expect(await page.getByTestId(`asset-ingest-progress-${assetId}`).getAttribute('aria-valuenow')).toBe('100');
    expect(await page.getByTestId(`asset-original-retained-${assetId}`).textContent()).toContain('original kept encrypted');
    expect(await page.getByTestId(`asset-video-facts-${assetId}`).textContent()).toContain('40 frames');
    expect(await page.getByTestId(`asset-trim-${assetId}`).textContent()).toContain('Trimmed to 0.5–2.5 s');
    expect(await page.getByTestId(`asset-trim-start-${assetId}`).count()).toBe(0);
    await expect
      .poll(() => page.getByTestId(`asset-sprite-${assetId}`).evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), {
        timeout: 15_000,
      })
      .toBe(true);
    await expect.poll(() => page.getByTestId('assets-polling').count(), { timeout: 15_000 }).toBe(0);
    expect(await page.getByTestId(`asset-error-${assetId}`).count()).toBe(0);

    // The batch's four tasks open for labeling.
    await open(page, `/ops/batches/${batch.id}`);
    await expect.poll(() => page.getByTestId('batch-stage').textContent(), { timeout: 120_000 }).toBe('LABELING');
    expect(await page.getByTestId('batch-progress-total').textContent()).toBe('4');

    // The annotator's workspace seeks to the task's frame through frames.json (proxy frame n = source frame 10 + n).
    const annotator = await loginAs(cleo);
    await open(annotator, '/work');
    await annotator.getByTestId('claim-campaign').selectOption(campaignId);
    await annotator.getByTestId('claim-next').click();
    await annotator.waitForURL(/\/work\/[0-9a-f-]{36}/);
    const assignmentId = new URL(annotator.url()).pathname.split('/').pop()!;
    const { task } = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: assignmentId }, select: { task: { select: { frameIndex: true } } } });
    const frame = task.frameIndex!;
    const caption = annotator.getByTestId('media-frame');
    await expect.poll(() => caption.getAttribute('data-seeked'), { timeout: 30_000 }).toBe('true');
    expect(await caption.getAttribute('data-frame')).toBe(String(frame));
    expect(await caption.getAttribute('data-seek')).toBe('frames.json');
    expect(await caption.textContent()).toContain(`Frame ${frame} (source frame ${10 + frame})`);
    const currentTime = await annotator.locator('video').evaluate((v) => (v as HTMLVideoElement).currentTime);
    // The middle of frame n of the 20 fps proxy.
    expect(Math.abs(currentTime - (frame + 0.5) / 20)).toBeLessThan(0.01);
  });
});
