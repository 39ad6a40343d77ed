// In a real browser: an annotator logs in, claims, labels and submits; the operations manager sees the
// batch's progress change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, PASSWORD, register, startBatch, type Person } from '../support/scenario.ts';
import { launchChromium, startConsole } from '../support/web.ts';

describe('console in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann: Person;
  let ben: Person;
  let batchId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ben = await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ({ batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1, threshold: 0.5 }));
    await startBatch(stack, ops, batchId);
    await waitFor('task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  async function loginAs(person: Person) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${web.url}/login`);
    await page.getByTestId('login-email').fill(person.email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    return page;
  }

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
  });
});
