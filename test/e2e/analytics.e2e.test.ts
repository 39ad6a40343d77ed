// In a real browser: the operations manager reads a campaign's progress (ETA, bottleneck, stage queues) and its
// experts table; an annotator reads "My numbers" on /work; and the workspace's heartbeats say active=false while
// the visible page is left alone and active=true after the person types and moves the pointer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;

describe('analytics in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let ann3: Person;
  let expert: Person;
  let campaignId: string;
  let workCampaignId: string;

  async function label(who: Person, campaign: string, answer: (taskId: string) => string): Promise<string> {
    const c = (await gql<{ claimNextTask: { id?: string; taskId?: string; code?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaign })).claimNextTask;
    if (!c.id) throw new Error(`claim: ${c.code}`);
    const res = await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: c.id, d: { label: answer(c.taskId!) }, k: `e2e:${c.id}` });
    if (!res.submitAnnotation.id) throw new Error(`submit: ${res.submitAnnotation.message}`);
    return c.taskId!;
  }

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann3 = await register(stack, admin, 'Cat Three', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    const analytics = await createCampaignWithBatch(stack, ops, { tasks: 2, threshold: 1 });
    campaignId = analytics.campaignId;
    const work = await createCampaignWithBatch(stack, ops, { tasks: 1, threshold: 1 });
    workCampaignId = work.campaignId;
    await startBatch(stack, ops, analytics.batchId);
    await startBatch(stack, ops, work.batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { campaignId: { in: [campaignId, workCampaignId] }, status: 'OPEN' } })) === 3, 240_000);

    // Ann and Ben agree on one task and not on the other; the expert sides with Ann.
    const agreed = await label(ann1, campaignId, () => 'grasper');
    const disputed = await label(ann1, campaignId, () => 'grasper');
    for (let i = 0; i < 2; i++) await label(ann2, campaignId, (t) => (t === agreed ? 'grasper' : 'hook'));
    await waitFor('disputed task in review', async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: disputed } })).status === 'IN_REVIEW');
    const review = await waitFor('review claimed', async () => {
      const c = (
        await gql<{ claimNextReview: { id?: string; task?: { submittedLabels: Array<{ id: string; annotator: { id: string } }> }; code?: string } }>(
          stack.apiUrl,
          expert.token,
          `mutation { claimNextReview { ... on Assignment { id task { submittedLabels { id annotator { id } } } } ... on DomainError { code message } } }`,
        )
      ).claimNextReview;
      if (c.code && c.code !== 'NO_TASK_AVAILABLE') throw new Error(`claimNextReview: ${c.code}`);
      return c.id ? c : null;
    });
    const chosen = review.task!.submittedLabels.find((l) => l.annotator.id === ann1.id)!;
    await gql(
      stack.apiUrl,
      expert.token,
      `mutation($a: ID!, $c: ID!, $k: String!) { submitReview(assignmentId: $a, chosenAnnotationId: $c, idempotencyKey: $k) { ... on Review { id } ... on DomainError { message } } }`,
      { a: review.id, c: chosen.id, k: 'e2e-review' },
    );
    await waitFor('both tasks accepted', async () => (await stack.prisma.task.count({ where: { campaignId, status: 'ACCEPTED' } })) === 2);

    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const open = (page: Page, path: string) => openPage(page, web.url, path);

  it('shows ops the progress, ETA, bottleneck and the experts table', async () => {
    const page = await signInAs(browser, web.url, ops);
    await open(page, `/ops/campaigns/${campaignId}`);
    await expect.poll(() => page.getByTestId('progress-labels').textContent(), { timeout: 30_000 }).toBe('4 of 4 done');
    expect(await page.getByTestId('progress-eta').textContent()).toBe('Done: every task is accepted.');
    expect(await page.getByTestId('progress-statuses').textContent()).toContain('2 accepted');
    expect(await page.locator('[data-testid="progress-stages"] tbody tr').count()).toBe(3);
    const qaWaiting = await stack.prisma.qaAudit.count({ where: { task: { campaignId }, verdict: null } });
    expect(await page.getByTestId('progress-bottleneck').textContent()).toBe(qaWaiting > 0 ? 'QA audit' : 'none: nothing is waiting');
    expect(await page.getByTestId('progress-diversity').textContent()).toContain('not available');
    await page.getByTestId('progress-burndown').waitFor();
    const experts = page.getByTestId('experts-table');
    await experts.waitFor({ timeout: 30_000 });
    const row = await experts.locator('tbody tr').first().textContent();
    expect(row).toContain('Dr Eve Expert');
    expect(row).toContain('0.0%');
    expect(row).toContain('Ann One (1)');
  });

  it('shows an annotator “My numbers” with a chart', async () => {
    const page = await signInAs(browser, web.url, ann1);
    await open(page, '/work');
    await expect.poll(() => page.getByTestId('my-labels').textContent(), { timeout: 30_000 }).toBe('2 submitted, 2 accepted');
    await page.getByTestId('my-trend').waitFor();
  });

  it('sends active=false from an untouched visible workspace and active=true after typing and pointing', async () => {
    const c = (await gql<{ claimNextTask: { id?: string; code?: string } }>(stack.apiUrl, ann3.token, CLAIM, { c: workCampaignId })).claimNextTask;
    expect(c.id, c.code).toBeDefined();
    const page = await signInAs(browser, web.url, ann3);
    const beats: boolean[] = [];
    page.on('request', (request) => {
      const body = request.postData();
      if (request.method() === 'POST' && body?.includes('heartbeat(')) beats.push((JSON.parse(body) as { variables: { active: boolean } }).variables.active);
    });
    await open(page, `/work/${c.id}`);
    // The beat at page open: nobody has touched the page yet.
    await expect.poll(() => beats.length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(beats[0]).toBe(false);
    const idleBeats = beats.length;
    await page.keyboard.press('Shift');
    await page.mouse.move(40, 300);
    await page.mouse.move(60, 320);
    // The next regular beat (every 20 s) carries the interaction.
    await expect.poll(() => beats.length, { timeout: 45_000, interval: 500 }).toBeGreaterThan(idleBeats);
    expect(beats[idleBeats]).toBe(true);
  }, 120_000);
});
