// In a real browser: the operations manager publishes guidelines version 2 with a picture; an annotator reads what
// changed, sees the picture and acknowledges it; and the annotator reworking a task QA failed reads the QA note in
// the workspace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, setMember, startBatch, syntheticFrame, type Person } from '../support/scenario.ts';
import { launchChromium, openPage, signInAs, startConsole } from '../support/web.ts';

const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { ... on Assignment { id kind } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { message } } }`;
const QA_NOTE = 'The tip is a clip applier, not a grasper.';

describe('guidelines and feedback in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let reworker: Person;
  let campaignId: string;
  let reworkAssignmentId: string;

  const claimAndLabel = async (who: Person) => {
    const c = (await gql<{ claimNextTask: { id?: string; message?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaignId })).claimNextTask;
    if (!c.id) throw new Error(`claim: ${c.message}`);
    const s = (await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: c.id, d: { label: 'grasper' }, k: `e2e:${c.id}` }))
      .submitAnnotation;
    if (!s.id) throw new Error(`submit: ${s.message}`);
  };

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    const auditor = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);
    const setup = await createCampaignWithBatch(stack, ops, { tasks: 1 });
    campaignId = setup.campaignId;
    reworker = await register(stack, admin, 'Rae Rework', ['ANNOTATOR'], [['laparoscopy', 3]]);
    await setMember(stack, ops, campaignId, reworker.id, ['ANNOTATOR']);
    await startBatch(stack, ops, setup.batchId);
    await waitFor('the task open', () => stack.prisma.task.findFirst({ where: { batchId: setup.batchId, status: 'OPEN' } }));
    // Both agree, the task is accepted, QA samples it and fails it: the lot goes back for rework.
    await claimAndLabel(ann1);
    await claimAndLabel(ann2);
    const audit = await waitFor(
      'the task in the audit queue',
      async () => (await gql<{ auditQueue: Array<{ id: string }> }>(stack.apiUrl, auditor.token, `{ auditQueue { id } }`)).auditQueue[0],
    );
    await gql(stack.apiUrl, auditor.token, `mutation($a: ID!, $n: String!) { submitAuditVerdict(auditId: $a, verdict: FAIL, notes: $n) { ... on QaAudit { id } } }`, {
      a: audit.id,
      n: QA_NOTE,
    });
    await waitFor('the task reopened for rework', async () => (await stack.prisma.task.findFirst({ where: { batchId: setup.batchId, round: 1, status: 'OPEN' } })) !== null);
    const claim = (await gql<{ claimNextTask: { id?: string; kind?: string; message?: string } }>(stack.apiUrl, reworker.token, CLAIM, { c: campaignId })).claimNextTask;
    expect(claim.kind, claim.message).toBe('REWORK');
    reworkAssignmentId = claim.id!;
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const open = (page: Page, path: string) => openPage(page, web.url, path);
  const pictureLoaded = (page: Page, selector: string) => page.locator(selector).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);

  it('publishes version 2 with a picture; the annotator reads the change, sees the picture and acknowledges', async () => {
    const page = await signInAs(browser, web.url, ops);
    await open(page, `/ops/campaigns/${campaignId}`);
    const panel = page.getByTestId('guidelines-panel');
    await panel.waitFor();
    await page.getByTestId('guidelines-body').fill('# Instruments\n- Label the **tip** only.\n');
    await page.getByTestId('guidelines-image').setInputFiles({ name: 'hook-tip.png', mimeType: 'image/png', buffer: await syntheticFrame(5) });
    await expect.poll(() => page.getByTestId('guidelines-body').inputValue(), { timeout: 30_000 }).toMatch(/!\[hook-tip\]\(\/api\/guideline-images\/[0-9a-f-]{36}\)/);
    await expect.poll(() => pictureLoaded(page, '[data-testid="guidelines-preview"] img'), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('guidelines-changelog').fill('Tips only, with a picture of a hook tip.');
    await page.getByTestId('guidelines-publish').click();
    await expect.poll(() => page.getByTestId('guidelines-history').textContent(), { timeout: 30_000 }).toContain('Version 2');
    const campaign = await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    expect(campaign.guidelinesVersion).toBe(2);
    expect(campaign.guidelines).toContain('/api/guideline-images/');
    await page.context().close();

    // Ann's next claim waits for her acknowledgement; /work shows what changed and the picture.
    const annPage = await signInAs(browser, web.url, ann1);
    await open(annPage, '/work');
    const ack = annPage.getByTestId('guidelines-ack');
    await ack.waitFor({ timeout: 30_000 });
    expect(await annPage.getByTestId('guidelines-changes').textContent()).toContain('Version 2: Tips only, with a picture of a hook tip.');
    await expect.poll(() => pictureLoaded(annPage, '[data-testid="guidelines-text"] img'), { timeout: 30_000 }).toBe(true);
    expect(await annPage.locator('[data-testid="guidelines-text"] strong').textContent()).toBe('tip');
    await annPage.getByTestId('guidelines-acknowledge').click();
    await ack.waitFor({ state: 'detached', timeout: 30_000 });
    expect(await stack.prisma.guidelineAck.count({ where: { campaignId, userId: ann1.id, version: 2 } })).toBe(1);
    // Her feedback list holds the QA note about her label, without the auditor's name.
    const feedback = annPage.getByTestId('feedback-list');
    await expect.poll(() => feedback.textContent(), { timeout: 30_000 }).toContain(QA_NOTE);
    expect(await feedback.textContent()).not.toContain('Quinn');
    await annPage.context().close();
  });

  it('shows the QA note in the rework workspace', async () => {
    const page = await signInAs(browser, web.url, reworker);
    await open(page, `/work/${reworkAssignmentId}`);
    const note = page.getByTestId('comment-qa_note');
    await note.waitFor({ timeout: 30_000 });
    expect(await note.textContent()).toContain(QA_NOTE);
    expect(await note.textContent()).toContain('QA auditor');
    expect(await page.getByTestId('comment-qa_note').count()).toBe(1);
    const thread = await page.getByTestId('comment-thread').textContent();
    for (const name of ['Ann', 'Ben', 'Quinn']) expect(thread).not.toContain(name);
    await page.context().close();
  });
});
