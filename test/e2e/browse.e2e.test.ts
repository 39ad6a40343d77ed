// In a real browser: the operations manager browses a campaign's tasks a page at a time with filters, opens one
// task's whole history (claims, label versions, the expert's review), and sees media by file name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, type Person } from '../support/scenario.ts';
import { launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

describe('task browser in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann: Person;
  let expert: Person;
  let campaignId: string;
  let batchId: string;
  let labelledTaskId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann Annotator', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    let assetIds: string[];
    ({ campaignId, batchId, assetIds } = await createCampaignWithBatch(stack, ops, { tasks: 2 }));
    // More tasks than a page holds (50), on the same media: frame tasks of one asset, as a video batch makes them.
    await stack.prisma.task.createMany({
      data: Array.from({ length: 60 }, (_, i) => ({ batchId, campaignId, assetId: assetIds[0]!, frameIndex: i, createdAt: new Date(Date.now() + 1000 + i) })),
    });
    // One task with history: Ann's draft and submitted label, and the expert's correction.
    const task = await stack.prisma.task.findFirstOrThrow({ where: { batchId, frameIndex: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    labelledTaskId = task.id;
    await stack.prisma.task.update({ where: { id: task.id }, data: { status: 'ACCEPTED', acceptedAt: new Date(), agreement: 0.5, agreementMetric: 'exact-match' } });
    const a = await stack.prisma.assignment.create({
      data: { taskId: task.id, userId: ann.id, kind: 'LABEL', slot: 1, status: 'SUBMITTED', leaseExpiresAt: new Date(), submittedAt: new Date(), activeSeconds: 42 },
    });
    await stack.prisma.annotation.create({ data: { assignmentId: a.id, taskId: task.id, userId: ann.id, version: 1, data: { label: 'hook' } } });
    await stack.prisma.annotation.create({ data: { assignmentId: a.id, taskId: task.id, userId: ann.id, version: 2, data: { label: 'grasper' }, submitted: true } });
    await stack.prisma.review.create({ data: { taskId: task.id, reviewerId: expert.id, round: 0, decision: 'CORRECTED', data: { label: 'clipper' }, comment: 'tip hidden' } });
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const open = (page: Page, path: string) => openPage(page, web.url, path);

  it('pages and filters tasks, and opens one task’s whole history', async () => {
    const page = await signInAs(browser, web.url, ops);
    await open(page, `/ops/campaigns/${campaignId}`);
    // Media by file name.
    await expect.poll(() => page.getByTestId('asset-list').textContent(), { timeout: 30_000 }).toContain('frame-000.png');
    await page.getByTestId('campaign-tasks').click();
    await page.getByTestId('task-list').waitFor();
    expect(await page.locator('[data-testid="task-list"] tbody tr').count()).toBe(50);
    await page.getByTestId('task-next-page').click();
    await expect.poll(() => page.locator('[data-testid="task-list"] tbody tr').count(), { timeout: 30_000 }).toBe(12);
    expect(await page.getByTestId('task-next-page').count()).toBe(0);
    await page.getByTestId('task-first-page').click();
    await expect.poll(() => page.locator('[data-testid="task-list"] tbody tr').count(), { timeout: 30_000 }).toBe(50);

    // Filter: accepted tasks only.
    await page.getByTestId('task-filter-status').selectOption('ACCEPTED');
    await page.getByTestId('task-filter-apply').click();
    await expect.poll(() => page.locator('[data-testid="task-list"] tbody tr').count(), { timeout: 30_000 }).toBe(1);
    expect(new URL(page.url()).searchParams.get('status')).toBe('ACCEPTED');

    await page.getByTestId(`task-link-${labelledTaskId}`).click();
    await page.getByTestId('task-facts').waitFor();
    expect(await page.getByTestId('task-status').textContent()).toContain('Accepted');
    const round = page.getByTestId('task-round-0');
    const text = (await round.textContent()) ?? '';
    expect(text).toContain('Ann Annotator');
    expect(text).toContain('v1 draft');
    expect(text).toContain('v2 submitted');
    expect(text).toContain('42 s');
    expect(text).toContain('Expert review by Dr Eve Expert');
    expect(text).toContain('tip hidden');
    // The audit log is for admins and QA auditors; the page says so instead of failing.
    expect(await page.getByText('The audit log is open to admins and QA auditors.').count()).toBe(1);
  });
});
