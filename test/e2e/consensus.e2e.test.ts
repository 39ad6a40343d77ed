// In a real browser: the operations manager opens a campaign whose labels have fitted its consensus method,
// sees the method in words, each annotator's estimated reliability and one annotator's Dawid-Skene confusion
// matrix, then switches the campaign to MACE and sees the competences it estimates.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, everyoneAsMembers, register, type Person } from '../support/scenario.ts';
import { launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

const CLASSES = ['hook', 'grasper', 'clipper'];
const TASKS = 45;

describe('consensus panel in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let people: Record<'eve' | 'mo' | 'ran', Person>;
  let campaignId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    people = {
      eve: await register(stack, admin, 'Eve Reliable', ['ANNOTATOR'], [['laparoscopy', 3]]),
      mo: await register(stack, admin, 'Mo Mediocre', ['ANNOTATOR'], [['laparoscopy', 3]]),
      ran: await register(stack, admin, 'Ran Random', ['ANNOTATOR'], [['laparoscopy', 3]]),
    };
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: 'Instrument presence',
          labelSchema: { geometry: 'classification', classes: CLASSES.map((key) => ({ key, name: key })) },
          overlap: 3,
          agreementThreshold: 0.3,
          qaSettings: { consensus: { method: 'dawid-skene' } },
          members: await everyoneAsMembers(stack, ops),
        },
      },
    );
    campaignId = created.createCampaign.id!;
    expect(campaignId, created.createCampaign.message).toBeDefined();
    // Finished work: Eve always right, Mo calls every third clipper a hook, Ran is wrong on every fifth task.
    const batch = await stack.prisma.batch.create({ data: { campaignId, name: 'earlier work', status: 'ACCEPTED', stage: 'DONE' } });
    const tasks = [];
    const assignments = [];
    const annotations = [];
    for (let i = 0; i < TASKS; i++) {
      const truth = i % 3;
      const taskId = randomUUID();
      tasks.push({ id: taskId, batchId: batch.id, campaignId, status: 'ACCEPTED' as const, round: 0, consensus: { label: CLASSES[truth]! } });
      const given = { eve: truth, mo: truth === 2 && i % 9 === 2 ? 0 : truth, ran: i % 5 === 0 ? (truth + 2) % 3 : truth };
      for (const [slot, name] of (['eve', 'mo', 'ran'] as const).entries()) {
        const assignmentId = randomUUID();
        assignments.push({
          id: assignmentId,
          taskId,
          userId: people[name].id,
          kind: 'LABEL' as const,
          round: 0,
          slot: slot + 1,
          status: 'SUBMITTED' as const,
          leaseExpiresAt: new Date(),
        });
        annotations.push({ assignmentId, taskId, userId: people[name].id, version: 1, data: { label: CLASSES[given[name]]! }, submitted: true });
      }
    }
    await stack.prisma.task.createMany({ data: tasks });
    await stack.prisma.assignment.createMany({ data: assignments });
    await stack.prisma.annotation.createMany({ data: annotations });
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const open = (page: Page, path: string) => openPage(page, web.url, path);

  it('shows the method and reliabilities, and the ops manager switches the campaign to MACE', async () => {
    const page = await signInAs(browser, web.url, ops);
    await open(page, `/ops/campaigns/${campaignId}`);
    const method = page.getByTestId('consensus-method');
    await expect.poll(() => method.getAttribute('data-method'), { timeout: 30_000 }).toBe('dawid-skene');
    expect(await method.textContent()).toBe('Dawid-Skene');
    expect(await page.getByTestId('consensus-effective').getAttribute('data-method')).toBe('dawid-skene');
    expect(await page.getByTestId('consensus-fit').textContent()).toContain(`${TASKS * 3} labels on ${TASKS} tasks`);

    // The table shows what the API estimates, most reliable first.
    const api = await gql<{ campaign: { consensus: { annotators: Array<{ userId: string; reliability: number }> } } }>(
      stack.apiUrl,
      ops.token,
      `query($c: ID!) { campaign(id: $c) { consensus { ... on CampaignConsensus { annotators { userId reliability } } } } }`,
      { c: campaignId },
    );
    const rows = page.locator('[data-testid="consensus-annotators"] > tbody > tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(['Eve Reliable', 'Mo Mediocre', 'Ran Random']);
    for (const a of api.campaign.consensus.annotators) {
      expect(await page.getByTestId(`consensus-reliability-${a.userId}`).textContent()).toBe(`${(a.reliability * 100).toFixed(1)}%`);
    }

    // Mo's confusion matrix on demand: a true clipper is sometimes given as a hook.
    await page.getByTestId(`consensus-confusion-toggle-${people.mo.id}`).click();
    const matrix = page.getByTestId(`consensus-confusion-${people.mo.id}`);
    await matrix.waitFor();
    expect(await matrix.locator('tbody tr th').allTextContents()).toEqual(CLASSES);
    const clipperRow = await matrix.locator('tbody tr').nth(2).locator('td').allTextContents();
    expect(clipperRow).toHaveLength(3);
    expect(parseFloat(clipperRow[0]!)).toBeGreaterThan(10);

    // Switch to MACE: the panel shows it, its competences, and the setting is stored and audited.
    await page.getByTestId('consensus-select').selectOption('mace');
    await page.getByTestId('consensus-save').click();
    await expect.poll(() => method.getAttribute('data-method'), { timeout: 30_000 }).toBe('mace');
    expect(await method.textContent()).toBe('MACE (competence and guessing)');
    expect(await page.getByTestId('consensus-effective').getAttribute('data-method')).toBe('mace');
    expect(await page.locator('[data-testid="consensus-annotators"] thead').textContent()).toContain('Competence');
    expect(await page.getByTestId(`consensus-confusion-toggle-${people.mo.id}`).count()).toBe(0);
    const stored = await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { qaSettings: true } });
    expect(stored.qaSettings).toMatchObject({ consensus: { method: 'mace', minTasks: 30 } });
    expect(await stack.prisma.auditEvent.count({ where: { action: 'campaign.consensus', entityId: campaignId, actorId: ops.id } })).toBe(1);
  });
});
