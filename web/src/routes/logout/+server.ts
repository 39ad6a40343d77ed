// Logout: revokes the session at the API (best effort) and clears the cookie.
import { redirect, type RequestHandler } from '@sveltejs/kit';
import { routes } from '$lib/routes';
import { callApi } from '$lib/server/api';
import { clearSessionCookie, SESSION_COOKIE } from '$lib/server/session';

const LOGOUT = /* GraphQL */ `mutation Logout { logout }`;

const logout: RequestHandler = async ({ cookies, url }) => {
  const token = cookies.get(SESSION_COOKIE);
  if (token) {
    try {
      await callApi<{ logout: boolean }>(LOGOUT, {}, token);
    } catch (error) {
      // The cookie goes regardless; the server-side session then simply expires.
      console.warn(JSON.stringify({ level: 'warn', component: 'web', message: 'logout: the API did not revoke the session', reason: error instanceof Error ? error.message : String(error) }));
    }
  }
  clearSessionCookie(cookies, url);
  redirect(303, routes.login());
};

export const POST = logout;
export const GET = logout;
