// The finance page in Chromium: per-annotator amounts to the cent, a payout run created by one finance person and
// approved by another (the creator is offered no approval), and the budget state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { launchChromium, signInAs, startConsole } from '../support/web.ts';

const CLAIM = `mutation($c: ID!) { claimNextTask(campaignId: $c) { ... on Assignment { id } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;

describe('finance page in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ann: Person;
  let fin1: Person;
  let fin2: Person;
  let campaignId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    const ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    fin1 = await register(stack, admin, 'Fay Finance', ['FINANCE']);
    fin2 = await register(stack, admin, 'Finn Finance', ['FINANCE']);
    const setup = await createCampaignWithBatch(stack, ops, { tasks: 3 });
    campaignId = setup.campaignId;
    await startBatch(stack, ops, setup.batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId: setup.batchId, status: 'OPEN' } })) === 3);
    // Ann labels three tasks at the campaign's 10 cents: $0.30.
    for (let i = 0; i < 3; i++) {
      const claim = await waitFor('a claim', async () => {
        const c = (await gql<{ claimNextTask: { id?: string; code?: string } }>(stack.apiUrl, ann.token, CLAIM, { c: campaignId })).claimNextTask;
        return c.id ? c : null;
      });
      const res = await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, ann.token, SUBMIT, {
        a: claim.id,
        d: { label: 'grasper' },
        k: `e2e-finance-${i}`,
      });
      if (!res.submitAnnotation.id) throw new Error(`submit: ${res.submitAnnotation.message}`);
    }
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  async function openFinance(page: Page): Promise<void> {
    await page.goto(`${web.url}/finance?campaign=${campaignId}`);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  }

  it('shows what each annotator earned with two decimals', async () => {
    const page = await signInAs(browser, web.url, fin1, { label: 'fin1' });
    await openFinance(page);
    const row = page.getByTestId(`annotator-pay-${ann.id}`);
    await expect.poll(() => row.getByTestId('annotator-amount').textContent()).toBe('$0.30');
    expect(await row.textContent()).toContain('Ann');
    expect(await page.getByTestId('cost-total').textContent()).toBe('$0.30');
    await page.getByTestId('spend-chart').waitFor();
  });

  it('creates a payout run with one finance person and approves it with another', async () => {
    const creator = await signInAs(browser, web.url, fin1, { label: 'fin1' });
    await openFinance(creator);
    await creator.getByTestId('run-create').click();
    const runRow = creator.locator('tr').filter({ has: creator.getByTestId('run-status') });
    await expect.poll(() => runRow.count()).toBe(1);
    expect(await runRow.getByTestId('run-total').textContent()).toBe('$0.30');
    expect(await runRow.getByTestId('run-status').textContent()).toBe('Draft');
    // The creator is offered no approval.
    expect(await runRow.getByTestId('run-approve').count()).toBe(0);

    const approver = await signInAs(browser, web.url, fin2, { label: 'fin2' });
    await openFinance(approver);
    const row = approver.locator('tr').filter({ has: approver.getByTestId('run-status') });
    await row.getByTestId('run-approve').click();
    await expect.poll(() => row.getByTestId('run-status').textContent()).toBe('Approved');
    const run = await stack.prisma.payoutRun.findFirstOrThrow();
    expect(run.status).toBe('APPROVED');
    expect(run.approvedById).toBe(fin2.id);
    expect(run.totalCents).toBe(30);
  });

  it('sets a budget the spend has reached, which shows the cap', async () => {
    const page = await signInAs(browser, web.url, fin1, { label: 'fin1' });
    await openFinance(page);
    await page.getByTestId('budget-input').fill('0.25');
    await page.getByTestId('budget-save').click();
    await expect.poll(() => page.getByTestId('budget-status').textContent()).toContain('reached');
    expect(await page.getByTestId('budget').textContent()).toBe('$0.25');
    expect((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } })).budgetBlockedAt).not.toBeNull();
  });
});
