// Single sign-on in the console: the flow's secrets live in an httpOnly cookie bound to the browser that
// started it (so a callback from another browser, or a forged one, fails the state check), and a refusal
// reaches the login page as a one-time message in a cookie (never in the URL, which anyone could craft).
import type { Cookies } from '@sveltejs/kit';

export const SSO_FLOW_COOKIE = 'suture_sso_flow';
export const SSO_ERROR_COOKIE = 'suture_sso_error';
const FLOW_PATH = '/login/oidc';
/** How long a sign-on at the provider may take. */
const FLOW_SECONDS = 600;

export interface SsoFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectTo: string;
}

const options = (url: URL, path: string, maxAge?: number) => ({ path, httpOnly: true, sameSite: 'lax' as const, secure: url.protocol === 'https:', ...(maxAge ? { maxAge } : {}) });

export function keepFlow(cookies: Cookies, url: URL, flow: SsoFlow): void {
  cookies.set(SSO_FLOW_COOKIE, JSON.stringify(flow), options(url, FLOW_PATH, FLOW_SECONDS));
}

/** The flow this browser started, once: the cookie goes whatever the outcome. */
export function takeFlow(cookies: Cookies, url: URL): SsoFlow | null {
  const raw = cookies.get(SSO_FLOW_COOKIE);
  cookies.delete(SSO_FLOW_COOKIE, options(url, FLOW_PATH));
  if (!raw) return null;
  try {
    const flow = JSON.parse(raw) as Partial<SsoFlow>;
    if (typeof flow.state !== 'string' || typeof flow.nonce !== 'string' || typeof flow.codeVerifier !== 'string') return null;
    return { state: flow.state, nonce: flow.nonce, codeVerifier: flow.codeVerifier, redirectTo: typeof flow.redirectTo === 'string' ? flow.redirectTo : '' };
  } catch {
    return null;
  }
}

export function flashLoginError(cookies: Cookies, url: URL, message: string): void {
  cookies.set(SSO_ERROR_COOKIE, message.slice(0, 500), options(url, '/login', 120));
}

export function takeLoginError(cookies: Cookies, url: URL): string | null {
  const message = cookies.get(SSO_ERROR_COOKIE) ?? null;
  if (message !== null) cookies.delete(SSO_ERROR_COOKIE, options(url, '/login'));
  return message;
}
