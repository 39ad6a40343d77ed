// The session cookie: an httpOnly holder of the API token, so page scripts never see it.
import type { Cookies } from '@sveltejs/kit';

export const SESSION_COOKIE = 'suture_session';

/** `expiresAt` null: a cookie for this browser session (the API still ends the session at its own expiry). */
export function setSessionCookie(cookies: Cookies, url: URL, token: string, expiresAt: Date | null): void {
  cookies.set(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    ...(expiresAt ? { maxAge: Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)) } : {}),
  });
}

export function clearSessionCookie(cookies: Cookies, url: URL): void {
  cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:' });
}
