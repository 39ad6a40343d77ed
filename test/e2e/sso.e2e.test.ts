// Single sign-on in Chromium against a real OpenID Connect provider (oidc-provider on an ephemeral port):
// the console's login page sends the browser to the provider, the provider's login form signs in, and the
// callback opens a Suture session for the account with that verified email. The provider's `sub` is bound at
// the first sign-on; another identity with the same email, a deactivated account, an unknown email and a
// callback with a forged state are refused with a message on the login page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { OidcLogin } from '@suture/api/auth/oidc';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, type Person } from '../support/scenario.ts';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc.ts';
import { launchChromium, startConsole } from '../support/web.ts';

describe('single sign-on (OpenID Connect) in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let idp: TestOidcProvider;
  let browser: Browser;
  let nora: Person;
  let dave: Person;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    nora = await register(stack, admin, 'Nora', ['ANNOTATOR']);
    dave = await register(stack, admin, 'Dave', ['ANNOTATOR']);
    await gql(stack.apiUrl, admin.token, `mutation($u: ID!) { setUserActive(userId: $u, active: false) { ... on User { id } } }`, { u: dave.id });
    web = await startConsole(stack.apiUrl);
    const redirectUri = `${web.url}/login/oidc/callback`;
    idp = await startOidcProvider({
      redirectUri,
      accounts: {
        'nora-at-idp': { email: nora.email, name: 'Nora' },
        'someone-else': { email: nora.email.toUpperCase() },
        'dave-at-idp': { email: dave.email },
        stranger: { email: 'stranger@suture.test' },
        unverified: { email: nora.email, emailVerified: false },
      },
    });
    // The API reads its services per request: single sign-on is on from here, as OIDC_* would make it.
    stack.services.oidc = new OidcLogin({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, redirectUri, name: 'Test IdP' });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    await web?.stop();
    await stack?.stop();
  });

  /** A fresh browser (no provider or console cookies) that signs on at the provider as `login`. */
  async function signOn(login: string, from = '/login'): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${web.url}${from}`);
    await page.getByTestId('sso-login').click();
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(web.url) && !url.pathname.startsWith('/login/oidc'));
    return page;
  }

  const loginEvents = (userId: string, action: string) => stack.prisma.auditEvent.findMany({ where: { entityId: userId, action }, orderBy: { seq: 'asc' } });

  it('shows the provider on the login page and signs in through the real redirect flow, binding the sub', async () => {
    const page = await signOn('nora-at-idp', '/work');
    expect(new URL(page.url()).pathname).toBe('/work');
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('Nora');

    const user = await stack.prisma.user.findUniqueOrThrow({ where: { id: nora.id } });
    expect(user.oidcSubject).toBe('nora-at-idp');
    expect(user.oidcIssuer).toBe(idp.issuer);
    const logins = await loginEvents(nora.id, 'user.login');
    expect(logins.at(-1)?.data).toEqual({ method: 'oidc' });

    // The session works for API calls through the console's proxy.
    const me = await page.evaluate(async () => {
      const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id name } }' }) });
      return (await res.json()) as { data?: { me: { id: string; name: string } } };
    });
    expect(me.data?.me).toEqual({ id: nora.id, name: 'Nora' });

    // Signing on again with the same identity works (the binding matches).
    const again = await signOn('nora-at-idp');
    await expect.poll(() => again.getByTestId('current-user').textContent()).toBe('Nora');
    await again.context().close();
    await page.context().close();
  });

  it('refuses another identity with the same email once the sub is bound', async () => {
    const page = await signOn('someone-else');
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect.poll(() => page.getByTestId('sso-error').textContent()).toContain('bound to another single sign-on identity');
    const user = await stack.prisma.user.findUniqueOrThrow({ where: { id: nora.id } });
    expect(user.oidcSubject).toBe('nora-at-idp');
    const failed = await loginEvents(nora.id, 'user.login-failed');
    expect(failed.at(-1)?.data).toEqual({ method: 'oidc', reason: 'identity-mismatch' });
    // The message is shown once.
    await page.reload();
    await expect(page.getByTestId('sso-error').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('refuses a deactivated account, an unknown email and an unverified email', async () => {
    const deactivated = await signOn('dave-at-idp');
    await expect.poll(() => deactivated.getByTestId('sso-error').textContent()).toContain('deactivated');
    expect((await loginEvents(dave.id, 'user.login-failed')).at(-1)?.data).toEqual({ method: 'oidc', reason: 'deactivated' });
    expect((await stack.prisma.user.findUniqueOrThrow({ where: { id: dave.id } })).oidcSubject).toBeNull();
    expect(await stack.prisma.session.count({ where: { userId: dave.id } })).toBe(0);

    const stranger = await signOn('stranger');
    await expect.poll(() => stranger.getByTestId('sso-error').textContent()).toContain('no Suture account for this email');

    const unverified = await signOn('unverified');
    await expect.poll(() => unverified.getByTestId('sso-error').textContent()).toContain('did not confirm an email');
    for (const p of [deactivated, stranger, unverified]) await p.context().close();
  });

  it('refuses a callback whose state does not match the flow this browser started, and one from no flow', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${web.url}/login`);
    await page.getByTestId('sso-login').click();
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    // Instead of signing on, the browser arrives at the callback with a forged code and state.
    await page.goto(`${web.url}/login/oidc/callback?code=forged&state=forged&iss=${encodeURIComponent(idp.issuer)}`);
    await page.waitForURL((url) => url.pathname === '/login');
    await expect.poll(() => page.getByTestId('sso-error').textContent()).toContain('state');

    // The flow is spent: the same callback again has no flow to check against.
    await page.goto(`${web.url}/login/oidc/callback?code=forged&state=forged`);
    await page.waitForURL((url) => url.pathname === '/login');
    await expect.poll(() => page.getByTestId('sso-error').textContent()).toContain('not started in this browser');
    await context.close();
  });

  it('shows no single sign-on button when it is off', async () => {
    const saved = stack.services.oidc;
    stack.services.oidc = undefined;
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${web.url}/login`);
      await page.getByTestId('login-email').waitFor();
      expect(await page.getByTestId('sso-login').count()).toBe(0);
      await context.close();
    } finally {
      stack.services.oidc = saved;
    }
  });
});
