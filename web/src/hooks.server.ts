// Resolves the signed-in user from the session cookie on every page request and sends signed-out
// visitors to /login. The /graphql proxy is skipped: the API authenticates those calls itself.
import { redirect, type Handle, type HandleServerError } from '@sveltejs/kit';
import { isApiError } from '$lib/api';
import { isPublicPath, routes } from '$lib/routes';
import { ApiUrlMissingError } from '$lib/server/api';
import { currentUser } from '$lib/server/auth';
import { clearSessionCookie, SESSION_COOKIE } from '$lib/server/session';

export const handle: Handle = async ({ event, resolve }) => {
  const { pathname, search } = event.url;
  event.locals.user = null;
  event.locals.apiProblem = null;
  event.locals.token = event.cookies.get(SESSION_COOKIE) ?? null;

  if (pathname === routes.graphql) return resolve(event);

  const token = event.locals.token;
  const open = isPublicPath(pathname);
  if (token) {
    try {
      event.locals.user = await currentUser(token);
    } catch (error) {
      if (isApiError(error, 'UNAUTHENTICATED')) {
        // Expired or revoked session: forget it and sign in again.
        clearSessionCookie(event.cookies, event.url);
        event.locals.token = null;
      } else if (!open) {
        event.locals.apiProblem = describeProblem(error);
      }
    }
  }

  if (!event.locals.user && !event.locals.apiProblem && !open) {
    redirect(303, routes.login(pathname + search));
  }
  return resolve(event);
};

function describeProblem(error: unknown): string {
  if (error instanceof ApiUrlMissingError) return error.message;
  if (isApiError(error)) return `The Suture API is not answering: ${error.message}`;
  return `The Suture API is not answering: ${error instanceof Error ? error.message : String(error)}`;
}

/** Unexpected server errors: logged with an id; the page shows the id, never internals. */
export const handleError: HandleServerError = ({ error, event, status, message }) => {
  if (status === 404) return { message };
  const id = crypto.randomUUID();
  console.error(JSON.stringify({ at: new Date().toISOString(), level: 'error', component: 'web', id, path: event.url.pathname, error: error instanceof Error ? error.stack : String(error) }));
  if (isApiError(error)) return { message: error.message, code: error.code };
  return { message: `Something went wrong (error id ${id}).` };
};
