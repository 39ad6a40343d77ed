// In a real browser: the operations manager requires a qualification test on a campaign, and an annotator finds it
// on their work page, takes it item by item with the campaign's editor, finishes, and reads the result with their
// mistakes (their answer beside the reference, why, and the guideline section).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, everyoneAsMembers, register, type Person } from '../support/scenario.ts';
import { launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

const CLASSES = ['hook', 'grasper', 'clipper'];

describe('qualification test in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann: Person;
  let campaignId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann Able', ['ANNOTATOR'], [['laparoscopy', 1]]);
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: 'Instrument presence',
          labelSchema: { geometry: 'classification', classes: CLASSES.map((key) => ({ key, name: key })) },
          overlap: 2,
          agreementThreshold: 1,
          qaSettings: {},
          members: await everyoneAsMembers(stack, ops),
        },
      },
    );
    campaignId = created.createCampaign.id!;
    expect(campaignId, created.createCampaign.message).toBeDefined();
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
    // Two ingested images with known answers make up the test: hook, then grasper.
    for (const [i, label] of ['hook', 'grasper'].entries()) {
      const asset = await stack.prisma.asset.create({
        data: { campaignId, kind: 'IMAGE', key: `quarantine/${randomUUID()}`, contentType: 'image/png', status: 'READY', metadata: { probe: { width: 96, height: 64 } } },
      });
      await stack.prisma.goldItem.create({
        data: {
          campaignId,
          assetId: asset.id,
          answer: { label },
          purpose: 'QUALIFICATION',
          explanation: `the ${label} is in view`,
          guidelineSection: `4.${i + 1}`,
          createdById: ops.id,
          createdAt: new Date(Date.now() - (2 - i) * 60_000),
        },
      });
    }
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const open = (page: Page, path: string) => openPage(page, web.url, path);

  it('ops requires the test; the annotator takes it and sees the result with the mistakes', async () => {
    const opsPage = await signInAs(browser, web.url, ops);
    await open(opsPage, `/ops/campaigns/${campaignId}`);
    await opsPage.getByTestId('qualification-panel').waitFor();
    await expect.poll(() => opsPage.locator('[data-testid="qualification-items"] tbody tr').count(), { timeout: 30_000 }).toBe(2);
    await opsPage.getByTestId('qualification-required').check();
    await opsPage.getByTestId('qualification-skill').selectOption('laparoscopy');
    await opsPage.getByTestId('qualification-level').fill('2');
    await opsPage.getByTestId('qualification-pass').fill('100');
    await opsPage.getByTestId('qualification-attempts').fill('2');
    await opsPage.getByTestId('qualification-save').click();
    await expect.poll(() => opsPage.getByTestId('qualification-rule').textContent(), { timeout: 30_000 }).toContain('only after passing the qualification test');
    expect(
      await stack.prisma.campaign.findUniqueOrThrow({
        where: { id: campaignId },
        select: { qualificationRequired: true, qualificationLevel: true, qualificationPassAccuracy: true, qualificationMaxAttempts: true },
      }),
    ).toEqual({ qualificationRequired: true, qualificationLevel: 2, qualificationPassAccuracy: 1, qualificationMaxAttempts: 2 });

    const page = await signInAs(browser, web.url, ann);
    await open(page, '/work');
    const link = page.getByTestId(`take-qualification-${campaignId}`);
    await link.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('qualifications-due').textContent()).toContain('2 of 2 attempts left');
    await link.click();
    await page.getByTestId('qualification-start').waitFor({ timeout: 30_000 });
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('qualification-start').click();

    // Item 1 right (hook), item 2 wrong (clipper for grasper).
    for (const [n, label] of [
      [1, 'hook'],
      [2, 'clipper'],
    ] as const) {
      await expect.poll(() => page.getByTestId('qualification-item').textContent(), { timeout: 30_000 }).toContain(`Item ${n} of 2`);
      await page.getByTestId(`class-option-${label}`).check();
      await page.getByTestId('qualification-answer').click();
    }
    await page.getByTestId('qualification-finish').click();
    await expect.poll(() => page.getByTestId('qualification-score').textContent(), { timeout: 30_000 }).toContain('Not passed: 1 of 2 right');
    const mistakes = page.locator('[data-testid="qualification-mistakes"] tbody tr');
    expect(await mistakes.count()).toBe(1);
    const row = (await mistakes.first().locator('td').allTextContents()).map((t) => t.trim());
    expect(row[0]).toContain('clipper');
    expect(row[1]).toContain('grasper');
    expect(row[2]).toBe('the grasper is in view');
    expect(row[3]).toBe('4.2');
    expect(await page.getByTestId('qualification-start').textContent()).toContain('Try again');
    // Nothing granted on a fail.
    const skill = await stack.prisma.userSkill.findFirst({ where: { userId: ann.id, skill: { key: 'laparoscopy' } } });
    expect(skill?.level).toBe(1);
  });
});
