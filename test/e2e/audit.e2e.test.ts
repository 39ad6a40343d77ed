// In a real browser: an auditor opens the audit log, filters it, pages through it, verifies the chain and
// downloads the export; an annotator has no audit section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, PASSWORD, register, type Person } from '../support/scenario.ts';
import { launchChromium, signInAs, startConsole } from '../support/web.ts';

describe('audit log in the console', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let auditor: Person;
  let ann: Person;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    auditor = await register(stack, admin, 'Quinn Auditor', ['QA_AUDITOR']);
    // Enough events for two pages of 50: sign-ins and sign-outs.
    for (let i = 0; i < 30; i++) {
      const token = (
        await gql<{ login: { token: string } }>(stack.apiUrl, null, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ... on Session { token } } }`, {
          e: ann.email,
          p: PASSWORD,
        })
      ).login.token;
      await gql(stack.apiUrl, token, `mutation { logout }`);
    }
    await stack.sealAudit();
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const loginAs = (person: Person): Promise<Page> => signInAs(browser, web.url, person, { acceptDownloads: true });

  it('filters, pages, verifies and exports', async () => {
    const page = await loginAs(auditor);
    await page.getByTestId('nav-audit').click();
    await page.waitForURL((url) => url.pathname === '/audit');
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(50);

    // Older events: the next page continues where the first ended.
    const firstSeqs = await page.locator('[data-testid="audit-row"] td:first-child').allTextContents();
    await page.getByTestId('audit-next').click();
    await page.waitForURL((url) => url.searchParams.has('after'));
    await expect.poll(() => page.getByTestId('audit-row').count()).toBeGreaterThan(0);
    const secondSeqs = await page.locator('[data-testid="audit-row"] td:first-child').allTextContents();
    expect(Number(secondSeqs[0])).toBeLessThan(Number(firstSeqs.at(-1)));

    // Filter by action.
    await page.getByTestId('audit-filter-action').fill('user.logout');
    await page.getByTestId('audit-filter-apply').click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'user.logout');
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(30);
    expect(new Set(await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))))).toEqual(new Set(['user.logout']));

    // Verify.
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('audit-verify').click();
    await expect.poll(() => page.getByTestId('audit-verification').getAttribute('data-ok'), { timeout: 30_000 }).toBe('true');
    expect(await page.getByTestId('audit-verification').textContent()).toMatch(/The chain verifies/);

    // Export of the filtered log (CSV), through the console.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export-csv').click()]);
    const path = await download.path();
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(path!, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('seq,at,actorId,actorName,action,entityType,entityId,chainPosition,data');
    expect(lines).toHaveLength(31);
    expect(lines.slice(1).every((l) => l.includes(',user.logout,'))).toBe(true);
  });

  it('has no audit section for an annotator', async () => {
    const page = await loginAs(ann);
    expect(await page.getByTestId('nav-audit').count()).toBe(0);
    const res = await page.goto(`${web.url}/audit`);
    expect(res?.status()).toBe(403);
  });
});
