// In a real browser: the operations manager opens a campaign with a gold set and an annotator paused for failing
// it, sets the gold rate and pause rule, reads each annotator's gold accuracy with its 95 % interval, and unpauses.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, everyoneAsMembers, register, type Person } from '../support/scenario.ts';
import { launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

const CLASSES = ['hook', 'grasper', 'clipper'];

/** The Wilson score interval at 95 %, written out by hand. */
function wilson(x: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = x / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [centre - half, centre + half];
}
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

describe('gold panel in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let pat: Person;
  let gus: Person;
  let campaignId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    pat = await register(stack, admin, 'Pat Paused', ['ANNOTATOR'], [['laparoscopy', 3]]);
    gus = await register(stack, admin, 'Gus Good', ['ANNOTATOR'], [['laparoscopy', 3]]);
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
    // Earlier gold work: one ingested image with a known answer; Pat answered 1 of 4 right and was paused, Gus 4 of 4.
    const asset = await stack.prisma.asset.create({
      data: { campaignId, kind: 'IMAGE', key: `quarantine/${randomUUID()}`, contentType: 'image/png', status: 'READY', metadata: { probe: { width: 96, height: 64 } } },
    });
    const item = await stack.prisma.goldItem.create({
      data: { campaignId, assetId: asset.id, answer: { label: 'hook' }, explanation: 'the hook tip is in view', createdById: ops.id },
    });
    const batch = await stack.prisma.batch.create({ data: { campaignId, name: 'earlier work', status: 'RUNNING', stage: 'LABELING' } });
    for (const [who, right] of [
      [pat, 1],
      [gus, 4],
    ] as const) {
      for (let i = 0; i < 4; i++) {
        const task = await stack.prisma.task.create({ data: { batchId: batch.id, campaignId, assetId: asset.id, status: 'EXCLUDED', goldItemId: item.id } });
        const a = await stack.prisma.assignment.create({
          data: { taskId: task.id, userId: who.id, kind: 'LABEL', slot: 1, status: 'SUBMITTED', leaseExpiresAt: new Date(), submittedAt: new Date() },
        });
        await stack.prisma.goldResult.create({
          data: { goldItemId: item.id, taskId: task.id, assignmentId: a.id, userId: who.id, campaignId, score: i < right ? 1 : 0, correct: i < right },
        });
      }
    }
    await stack.prisma.campaignMember.update({
      where: { campaignId_userId: { campaignId, userId: pat.id } },
      data: { pausedAt: new Date(), pauseReason: 'gold accuracy under the minimum' },
    });
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const open = (page: Page, path: string) => openPage(page, web.url, path);

  it('sets the rate and rule, shows accuracy with its interval, and unpauses an annotator', async () => {
    const page = await signInAs(browser, web.url, ops);
    await open(page, `/ops/campaigns/${campaignId}`);
    const panel = page.getByTestId('gold-panel');
    await panel.waitFor();
    await expect.poll(() => page.getByTestId('gold-rate').textContent(), { timeout: 30_000 }).toContain('0.0%');
    expect(await page.locator('[data-testid="gold-items"] tbody tr').count()).toBe(1);
    expect(await page.locator('[data-testid="gold-items"] tbody').textContent()).toContain('"label":"hook"');

    // Rate and rule.
    await page.getByTestId('gold-rate-input').fill('0.25');
    await page.getByTestId('gold-min-accuracy').fill('0.8');
    await page.getByTestId('gold-min-samples').fill('3');
    await page.getByTestId('gold-settings-save').click();
    await expect.poll(() => page.getByTestId('gold-rate').textContent(), { timeout: 30_000 }).toContain('25.0%');
    expect(await page.getByTestId('gold-rule').textContent()).toContain('after 3 gold answers, accuracy is under 80.0%');
    expect(await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { goldRate: true, goldMinAccuracy: true, goldMinSamples: true } })).toEqual({
      goldRate: 0.25,
      goldMinAccuracy: 0.8,
      goldMinSamples: 3,
    });

    // Accuracy with the Wilson interval, as computed by hand.
    const [lower, upper] = wilson(1, 4);
    expect(await page.getByTestId(`gold-accuracy-value-${pat.id}`).textContent()).toBe('25.0%');
    expect(await page.getByTestId(`gold-interval-${pat.id}`).textContent()).toBe(`${pct(lower)} – ${pct(upper)}`);
    expect(await page.getByTestId(`gold-accuracy-value-${gus.id}`).textContent()).toBe('100.0%');
    expect(await page.getByTestId(`gold-state-${pat.id}`).textContent()).toContain('Paused');
    expect(await page.getByTestId(`gold-unpause-${gus.id}`).count()).toBe(0);

    // Unpause: the row says so, the member may claim again, and it is audited.
    await page.getByTestId(`gold-unpause-${pat.id}`).click();
    await expect.poll(() => page.getByTestId(`gold-state-${pat.id}`).textContent(), { timeout: 30_000 }).toContain('Working');
    const member = await stack.prisma.campaignMember.findUniqueOrThrow({ where: { campaignId_userId: { campaignId, userId: pat.id } } });
    expect(member.pausedAt).toBeNull();
    expect(await stack.prisma.auditEvent.count({ where: { action: 'annotator.unpaused', actorId: ops.id, entityId: campaignId } })).toBe(1);
  });
});
