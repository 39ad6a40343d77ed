// Queues in Chromium on the real stack: an annotator skips the task they hold with a reason from the list or
// their own words (the claim is released, the reason stored, and the task is not offered to them again); the
// operations manager sees the reason on the batch page and sets the batch's priority and deadline there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { allowBrowserStorage, launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

describe('queues in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann: Person;
  let batchId: string;
  let campaignId: string;

  beforeAll(async () => {
    stack = await startStack();
    await allowBrowserStorage(stack);
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ({ batchId, campaignId } = await createCampaignWithBatch(stack, ops, { tasks: 2 }));
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 2);
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  /** Opens a console page and waits until it is interactive. */
  const open = (page: Page, path: string) => openPage(page, web.url, path);

  async function claimInBrowser(page: Page): Promise<string> {
    await open(page, '/work');
    await page.getByTestId('claim-next').click();
    await page.waitForURL(/\/work\/[0-9a-f-]{36}/);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    return new URL(page.url()).pathname.split('/').pop()!;
  }

  it('an annotator skips the task with a reason, and it is not offered to them again', async () => {
    const page = await signInAs(browser, web.url, ann, { label: 'annotator' });
    const first = await claimInBrowser(page);
    const skipped = (await stack.prisma.assignment.findUniqueOrThrow({ where: { id: first } })).taskId;

    await page.getByTestId('skip-task').click();
    await page.getByTestId('skip-reason-other').check();
    // Nothing typed: the dialog does not let an empty reason through.
    expect(await page.getByTestId('skip-confirm').isDisabled()).toBe(true);
    await page.getByTestId('skip-reason-text').fill('Smoke hides the whole field');
    await page.getByTestId('skip-confirm').click();
    await page.waitForURL((url) => url.pathname === '/work');

    const released = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: first } });
    expect(released).toMatchObject({ status: 'RELEASED', releaseReason: 'Smoke hides the whole field' });
    expect((await stack.prisma.task.findUniqueOrThrow({ where: { id: skipped } })).openSlots).toBe(2);

    // The next claim is the other task; the one after finds nothing (the skipped task is not offered back).
    const second = await claimInBrowser(page);
    expect((await stack.prisma.assignment.findUniqueOrThrow({ where: { id: second } })).taskId).not.toBe(skipped);
    await page.getByTestId('skip-task').click();
    await page.getByTestId('skip-reason-image-unreadable').check();
    await page.getByTestId('skip-confirm').click();
    await page.waitForURL((url) => url.pathname === '/work');
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('claim-next').click();
    await page.getByTestId('no-task-available').waitFor({ timeout: 30_000 });
    expect(await stack.prisma.assignment.count({ where: { userId: ann.id, status: 'ACTIVE' } })).toBe(0);
  });

  it('ops see the skip reasons on the batch page and set its priority and deadline', async () => {
    const page = await signInAs(browser, web.url, ops, { viewport: { width: 1300, height: 1000 }, label: 'ops' });
    await open(page, `/ops/batches/${batchId}`);
    const skips = page.getByTestId('batch-skips');
    await skips.waitFor({ timeout: 30_000 });
    expect(await skips.textContent()).toContain('Smoke hides the whole field');
    expect(await skips.textContent()).toContain('image unreadable');

    await page.getByTestId('batch-priority-input').fill('7');
    await page.getByTestId('batch-deadline-input').fill('2031-03-04T15:30');
    await page.getByTestId('batch-schedule-save').click();
    await expect.poll(() => page.getByTestId('batch-priority').textContent(), { timeout: 30_000 }).toBe('7');

    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.priority).toBe(7);
    // The browser's local 15:30 on 4 March 2031, whatever its zone.
    const local = await page.evaluate(() => new Date('2031-03-04T15:30').toISOString());
    expect(batch.deadline?.toISOString()).toBe(local);
    const audit = await stack.prisma.auditEvent.findFirstOrThrow({ where: { action: 'batch.schedule', entityId: batchId } });
    expect(audit.actorId).toBe(ops.id);

    // The campaign page sets the queue rules; a share cap above 100 % is not sent.
    await open(page, `/ops/campaigns/${campaignId}`);
    const share = page.getByTestId('cap-share-per-batch');
    await share.fill('150');
    expect(await share.evaluate((el) => (el as HTMLInputElement).validity.valid)).toBe(false);
    await share.fill('25');
    await page.getByTestId('cap-per-batch').fill('3');
    await page.getByTestId('queue-settings-save').click();
    await expect
      .poll(
        async () => {
          const c = await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
          return [c.capPerBatch, c.capSharePerBatch];
        },
        { timeout: 30_000 },
      )
      .toEqual([3, 0.25]);
  });
});
