// Where the provider sends the browser back: the API checks state, nonce and PKCE, validates the ID token and
// maps the verified email to an active Suture account; the session then goes into the httpOnly cookie exactly
// as after a password login. Any refusal is shown on the login page.
import { redirect, type RequestHandler } from '@sveltejs/kit';
import { isApiError } from '$lib/api';
import { capitalise } from '$lib/format';
import { homeFor, routes, safeRedirect } from '$lib/routes';
import { callApi } from '$lib/server/api';
import { setSessionCookie } from '$lib/server/session';
import { flashLoginError, takeFlow } from '$lib/server/sso';
import type { Role } from '$lib/types';

const COMPLETE = /* GraphQL */ `
  mutation CompleteOidcLogin($callbackQuery: String!, $state: String!, $nonce: String!, $codeVerifier: String!) {
    completeOidcLogin(callbackQuery: $callbackQuery, state: $state, nonce: $nonce, codeVerifier: $codeVerifier) {
      __typename
      ... on DomainError { code message }
      ... on Session { token expiresAt user { id name roles } }
    }
  }
`;

type Complete = { completeOidcLogin: { __typename: 'Session'; token: string; expiresAt: string; user: { id: string; name: string; roles: Role[] } } };

export const GET: RequestHandler = async ({ cookies, url }) => {
  const flow = takeFlow(cookies, url);
  if (!flow) {
    flashLoginError(cookies, url, 'The single sign-on was not started in this browser or took too long. Start again with the button below.');
    redirect(303, routes.login());
  }
  let session: Complete['completeOidcLogin'];
  try {
    session = (await callApi<Complete>(COMPLETE, { callbackQuery: url.search, state: flow.state, nonce: flow.nonce, codeVerifier: flow.codeVerifier })).completeOidcLogin;
  } catch (error) {
    flashLoginError(cookies, url, isApiError(error) && error.kind !== 'transport' ? capitalise(error.message) : `The Suture API is not answering (${error instanceof Error ? error.message : String(error)}). Try again in a moment.`);
    redirect(303, routes.login(flow.redirectTo));
  }
  setSessionCookie(cookies, url, session.token, new Date(session.expiresAt));
  redirect(303, safeRedirect(flow.redirectTo, homeFor(session.user.roles)));
};
