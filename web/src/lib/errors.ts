// The one way the console reports failures: handleError for user actions, failLoad for page loads.
import { error as httpError, redirect } from '@sveltejs/kit';
import { browser } from '$app/environment';
import { goto } from '$app/navigation';
import { isApiError } from './api';
import { routes } from './routes';
import { notifications } from './state/notifications.svelte';

/** A sentence for people: the API's own message for refusals, a plain one for transport trouble. */
export function describeError(error: unknown): string {
  if (isApiError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Shows `message` with the reason in a toast, logs the error, and returns the reason.
 * An expired session sends the user to the login page.
 */
export function handleError(error: unknown, message: string): string {
  const reason = describeError(error);
  console.error(`[suture] ${message}`, error);
  if (isApiError(error, 'UNAUTHENTICATED') && browser) {
    notifications.push('error', 'Your session has ended; sign in again.');
    void goto(routes.login(window.location.pathname + window.location.search));
    return reason;
  }
  notifications.push('error', `${message}: ${reason}`);
  return reason;
}

/** For `+page.ts` loads: turns an API failure into the matching HTTP error page (or the login page). */
export function failLoad(error: unknown, url: URL): never {
  if (!isApiError(error)) throw error;
  if (error.code === 'UNAUTHENTICATED') redirect(303, routes.login(url.pathname + url.search));
  if (error.code === 'NOT_FOUND') httpError(404, { message: error.message, code: error.code });
  if (error.code === 'FORBIDDEN') httpError(403, { message: error.message, code: error.code });
  httpError(error.kind === 'transport' ? 502 : 500, { message: describeError(error), code: error.code });
}
