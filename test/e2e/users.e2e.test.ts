// User administration in Chromium: an operations manager invites a user (a one-time password shown once),
// changes their roles (a pair that breaks separation of duties is refused with the API's message, another is
// accepted), deactivates them (their open session stops working) and resets their password (they sign in
// with the password shown); the user changes their own password under My account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, PASSWORD, register, type Person } from '../support/scenario.ts';
import { launchChromium, startConsole } from '../support/web.ts';

describe('user administration in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let opsPage: Page;
  const uma = { name: 'Uma User', email: 'uma@suture.test' };
  let umaPassword = '';

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
    const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    opsPage = await context.newPage();
    await signIn(opsPage, ops.email, PASSWORD);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${web.url}/login`);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  }

  async function newUserPage(email: string, password: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, email, password);
    return page;
  }

  async function openUsers(): Promise<void> {
    await opsPage.goto(`${web.url}/admin/users`);
    await opsPage.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  }

  const umaRow = () => opsPage.getByTestId(`user-row-${uma.email}`);

  /** The session cookie's token of a signed-in page: what the API sees. */
  async function tokenOf(page: Page): Promise<string> {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'suture_session');
    if (!cookie) throw new Error('no session cookie');
    return cookie.value;
  }

  it('lists users for ops and refuses the page to others', async () => {
    await openUsers();
    await expect.poll(() => opsPage.getByTestId(`user-row-${ops.email}`).textContent()).toContain('(you)');
    await expect.poll(() => opsPage.getByTestId('user-row-admin@suture.test').textContent()).toContain('Admin');
    expect(await opsPage.getByTestId('nav-admin').count()).toBe(1);
  });

  it('invites a user with a one-time password shown once, which signs them in', async () => {
    await openUsers();
    await opsPage.getByTestId('invite-user').click();
    await opsPage.getByTestId('invite-name').fill(uma.name);
    await opsPage.getByTestId('invite-email').fill(uma.email);
    // ANNOTATOR is ticked by default.
    await opsPage.getByTestId('invite-submit').click();
    await opsPage.getByTestId('one-time-panel').waitFor();
    umaPassword = (await opsPage.getByTestId('one-time-password').textContent())!.trim();
    expect(umaPassword.length).toBeGreaterThanOrEqual(12);
    await opsPage.getByTestId('copy-password').click();
    await expect.poll(() => opsPage.getByTestId('copy-password').textContent()).toBe('Copied');
    expect(await opsPage.evaluate(() => navigator.clipboard.readText())).toBe(umaPassword);
    await expect.poll(() => umaRow().getByTestId('user-roles').textContent()).toContain('Annotator');

    const user = await stack.prisma.user.findUniqueOrThrow({ where: { email: uma.email } });
    expect(user.roles).toEqual(['ANNOTATOR']);
    // Shown once: gone after a reload.
    await openUsers();
    expect(await opsPage.getByTestId('one-time-panel').count()).toBe(0);

    const umaPage = await newUserPage(uma.email, umaPassword);
    expect(new URL(umaPage.url()).pathname).toBe('/work');
    // Not an admin page for an annotator.
    const res = await umaPage.goto(`${web.url}/admin/users`);
    expect(res?.status()).toBe(403);
    await umaPage.context().close();
  });

  it('refuses roles that break separation of duties with the API message and accepts others', async () => {
    await openUsers();
    await umaRow().getByTestId('edit-roles').click();
    await umaRow().getByTestId('role-EXPERT').check();
    await umaRow().getByTestId('save-roles').click();
    await expect.poll(() => umaRow().getByTestId('row-error').textContent()).toContain('ANNOTATOR and EXPERT cannot be held together');
    expect((await stack.prisma.user.findUniqueOrThrow({ where: { email: uma.email } })).roles).toEqual(['ANNOTATOR']);

    await umaRow().getByTestId('role-ANNOTATOR').uncheck();
    await umaRow().getByTestId('save-roles').click();
    await expect.poll(() => umaRow().getByTestId('user-roles').textContent()).toBe('Clinical expert');
    expect(await umaRow().getByTestId('row-error').count()).toBe(0);
    expect((await stack.prisma.user.findUniqueOrThrow({ where: { email: uma.email } })).roles).toEqual(['EXPERT']);
  });

  it('deactivates a user: their open session stops working; reactivation lets them sign in again', async () => {
    const umaPage = await newUserPage(uma.email, umaPassword);
    expect(new URL(umaPage.url()).pathname).toBe('/review');
    const token = await tokenOf(umaPage);

    await openUsers();
    await umaRow().getByTestId('deactivate').click();
    await expect.poll(() => umaRow().getByTestId('user-status').textContent()).toBe('Deactivated');

    await expect(gql(stack.apiUrl, token, '{ me { id } }')).rejects.toThrow(/log in first/);
    await umaPage.goto(`${web.url}/review`);
    expect(new URL(umaPage.url()).pathname).toBe('/login');
    await umaPage.context().close();

    await umaRow().getByTestId('reactivate').click();
    await expect.poll(() => umaRow().getByTestId('user-status').textContent()).toBe('Active');
  });

  it('resets a password: the password shown signs the user in, the old one no longer does', async () => {
    const umaPage = await newUserPage(uma.email, umaPassword);
    const before = await tokenOf(umaPage);
    await openUsers();
    await umaRow().getByTestId('reset-password').click();
    await opsPage.getByTestId('one-time-panel').waitFor();
    expect(await opsPage.getByTestId('one-time-panel').textContent()).toContain(uma.email);
    const fresh = (await opsPage.getByTestId('one-time-password').textContent())!.trim();
    expect(fresh).not.toBe(umaPassword);
    await opsPage.getByTestId('dismiss-password').click();
    expect(await opsPage.getByTestId('one-time-panel').count()).toBe(0);
    // The reset ended her sessions.
    await expect(gql(stack.apiUrl, before, '{ me { id } }')).rejects.toThrow(/log in first/);
    await umaPage.context().close();

    const old = await (await browser.newContext()).newPage();
    await old.goto(`${web.url}/login`);
    await old.getByTestId('login-email').fill(uma.email);
    await old.getByTestId('login-password').fill(umaPassword);
    await old.getByTestId('login-submit').click();
    await expect.poll(() => old.getByTestId('login-error').textContent()).toContain('Wrong email or password');
    await old.context().close();

    const signedIn = await newUserPage(uma.email, fresh);
    await expect.poll(() => signedIn.getByTestId('current-user').textContent()).toBe(uma.name);
    umaPassword = fresh;
    await signedIn.context().close();
  });

  it('ends all sessions of a user', async () => {
    const umaPage = await newUserPage(uma.email, umaPassword);
    const token = await tokenOf(umaPage);
    await openUsers();
    await umaRow().getByTestId('revoke-sessions').click();
    await expect
      .poll(() =>
        gql(stack.apiUrl, token, '{ me { id } }').then(
          () => 'still signed in',
          (error: Error) => error.message,
        ),
      )
      .toMatch(/log in first/);
    expect(await stack.prisma.session.count({ where: { user: { email: uma.email } } })).toBe(0);
    await umaPage.context().close();
  });

  it('lets a signed-in user change their own password and stay signed in', async () => {
    const umaPage = await newUserPage(uma.email, umaPassword);
    await umaPage.getByTestId('current-user').click();
    await umaPage.waitForURL((url) => url.pathname === '/account');
    await umaPage.locator('main[data-hydrated="true"]').waitFor();
    const next = 'a brand new passphrase for Uma';
    await umaPage.getByTestId('current-password').fill('not her password');
    await umaPage.getByTestId('new-password').fill(next);
    await umaPage.getByTestId('confirm-password').fill(next);
    await umaPage.getByTestId('change-password').click();
    await expect.poll(() => umaPage.getByTestId('password-error').textContent()).toContain('The current password is wrong');

    await umaPage.getByTestId('current-password').fill(umaPassword);
    await umaPage.getByTestId('new-password').fill(next);
    await umaPage.getByTestId('confirm-password').fill(next);
    await umaPage.getByTestId('change-password').click();
    await umaPage.getByTestId('password-changed').waitFor();
    // This session goes on with its fresh token.
    await umaPage.goto(`${web.url}/review`);
    expect(new URL(umaPage.url()).pathname).toBe('/review');
    await umaPage.context().close();

    const again = await newUserPage(uma.email, next);
    expect(new URL(again.url()).pathname).toBe('/review');
    await again.context().close();
  });

  it('staffs a campaign: offers only the roles a person holds, adds an annotator who then sees the campaign, removes them', async () => {
    const zed = await register(stack, ops, 'Zed Annotator', ['ANNOTATOR']);
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      { i: { name: 'Staffed campaign', labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'A' }] }, overlap: 2, agreementThreshold: 0.5 } },
    );
    const campaignId = created.createCampaign.id!;
    expect(campaignId, created.createCampaign.message).toBeTruthy();
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
    const visible = async () => (await gql<{ campaigns: Array<{ id: string }> }>(stack.apiUrl, zed.token, `{ campaigns { id } }`)).campaigns.some((c) => c.id === campaignId);
    expect(await visible()).toBe(false);

    await opsPage.goto(`${web.url}/ops/campaigns/${campaignId}`);
    await opsPage.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    const panel = opsPage.getByTestId('members-panel');
    // The creator manages it; their own row cannot be changed here.
    await expect.poll(() => panel.getByTestId(`member-${ops.id}-OPS_MANAGER`).isChecked()).toBe(true);
    expect(await panel.getByTestId(`member-${ops.id}-OPS_MANAGER`).isDisabled()).toBe(true);

    await panel.getByTestId('member-add-user').selectOption(zed.id);
    // Only roles the organisation granted are offered.
    expect(await panel.getByTestId('member-add-role-EXPERT').count()).toBe(0);
    await panel.getByTestId('member-add-role-ANNOTATOR').check();
    await panel.getByTestId('member-add').click();
    await expect.poll(() => panel.getByTestId(`member-${zed.id}-ANNOTATOR`).isChecked(), { timeout: 15_000 }).toBe(true);
    await expect.poll(visible, { timeout: 15_000 }).toBe(true);
    const stored = await stack.prisma.campaignMember.findUniqueOrThrow({ where: { campaignId_userId: { campaignId, userId: zed.id } } });
    expect(stored.roles).toEqual(['ANNOTATOR']);

    // Removing them: the campaign is gone from their view.
    await panel.getByTestId(`member-remove-${zed.id}`).click();
    await expect.poll(() => panel.getByTestId(`member-${zed.id}`).count(), { timeout: 15_000 }).toBe(0);
    expect(await visible()).toBe(false);
  });

  it('sets a skill level and records a credential with its expiry from the console; an expired one shows as expired', async () => {
    const ann = await register(stack, ops, 'Kit Annotator', ['ANNOTATOR'], [['laparoscopy', 1]]);
    await openUsers();
    const row = opsPage.getByTestId(`user-row-${ann.email}`);
    await expect.poll(() => row.getByTestId('user-qualifications').textContent(), { timeout: 30_000 }).toContain('laparoscopy 1/5');
    await row.getByTestId('edit-qualifications').click();
    await row.getByTestId('skill-key').fill('laparoscopy');
    await row.getByTestId('skill-level').fill('4');
    await row.getByTestId('skill-save').click();
    await expect.poll(() => row.getByTestId('user-qualifications').textContent(), { timeout: 30_000 }).toContain('laparoscopy 4/5');
    const skill = await stack.prisma.userSkill.findFirstOrThrow({ where: { userId: ann.id, skill: { key: 'laparoscopy' } } });
    expect(skill.level).toBe(4);

    // A level out of range is refused by the form before anything is sent, and nothing changes.
    await row.getByTestId('skill-level').fill('9');
    await row.getByTestId('skill-save').click();
    expect(await row.getByTestId('skill-level').evaluate((el) => (el as HTMLInputElement).checkValidity())).toBe(false);
    expect((await stack.prisma.userSkill.findFirstOrThrow({ where: { userId: ann.id } })).level).toBe(4);

    await row.getByTestId('credential-kind').fill('gcp-training');
    await row.getByTestId('credential-issuer').fill('Hospital training office');
    await row.getByTestId('credential-expires').fill('2020-01-31');
    await row.getByTestId('credential-save').click();
    await expect.poll(() => row.getByTestId('credential-gcp-training').textContent(), { timeout: 30_000 }).toContain('expired 2020-01-31');
    const credential = await stack.prisma.credential.findUniqueOrThrow({ where: { userId_kind: { userId: ann.id, kind: 'gcp-training' } } });
    expect(credential.issuer).toBe('Hospital training office');
    expect(credential.expiresAt?.toISOString().slice(0, 10)).toBe('2020-01-31');
    expect(await stack.prisma.auditEvent.count({ where: { action: 'user.credential-granted', entityId: ann.id } })).toBe(1);
  });
});
