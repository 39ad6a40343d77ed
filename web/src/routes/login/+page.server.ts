// Login: the form posts here; the API's login mutation runs server-side and the token goes into
// the httpOnly session cookie, never into page scripts or localStorage.
import { fail, redirect } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, isApiError } from '$lib/api';
import { capitalise } from '$lib/format';
import { homeFor, safeRedirect } from '$lib/routes';
import { ApiUrlMissingError, callApi } from '$lib/server/api';
import { setSessionCookie } from '$lib/server/session';
import { takeLoginError } from '$lib/server/sso';
import type { DomainErrorResult, SessionUser } from '$lib/types';
import type { Actions, PageServerLoad } from './$types';

const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      ${DOMAIN_ERROR_FIELDS}
      ... on Session { token expiresAt user { id name roles } }
    }
  }
`;

// Only what the API shows a caller without a session yet: the email field needs one.
type SessionResult = { token: string; expiresAt: string; user: Pick<SessionUser, 'id' | 'name' | 'roles'> };
type LoginResult = { login: ({ __typename: 'Session' } & SessionResult) | DomainErrorResult };

const SINGLE_SIGN_ON = /* GraphQL */ `query SingleSignOn { singleSignOn { name } }`;

export const load: PageServerLoad = async ({ locals, url, cookies }) => {
  if (locals.user) redirect(303, safeRedirect(url.searchParams.get('redirectTo'), homeFor(locals.user.roles)));
  // The password form works without it: an API that cannot say shows no single sign-on button.
  const sso = await callApi<{ singleSignOn: { name: string } | null }>(SINGLE_SIGN_ON).catch(() => ({ singleSignOn: null }));
  return { redirectTo: url.searchParams.get('redirectTo') ?? '', singleSignOn: sso.singleSignOn, ssoError: takeLoginError(cookies, url) };
};

export const actions: Actions = {
  default: async ({ request, cookies, url }) => {
    const form = await request.formData();
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const redirectTo = String(form.get('redirectTo') ?? '');
    if (!email || !password) return fail(400, { email, message: 'Enter your email and password.' });

    let session: SessionResult;
    try {
      session = (await callApi<LoginResult>(LOGIN, { email, password })).login;
    } catch (error) {
      if (error instanceof ApiUrlMissingError) return fail(500, { email, message: error.message });
      if (isApiError(error) && error.kind !== 'transport') return fail(400, { email, message: capitalise(error.message) });
      if (isApiError(error)) return fail(502, { email, message: `The Suture API is not answering (${error.message}). Try again in a moment.` });
      throw error;
    }

    setSessionCookie(cookies, url, session.token, new Date(session.expiresAt));
    redirect(303, safeRedirect(redirectTo, homeFor(session.user.roles)));
  },
};
