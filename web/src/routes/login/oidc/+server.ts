// Starts a single sign-on: the API builds the provider's authorization URL (PKCE, state, nonce); the
// secrets stay in this browser's httpOnly cookie until the provider sends the browser back to ./callback.
import { redirect, type RequestHandler } from '@sveltejs/kit';
import { isApiError } from '$lib/api';
import { routes } from '$lib/routes';
import { callApi } from '$lib/server/api';
import { flashLoginError, keepFlow } from '$lib/server/sso';
import { capitalise } from '$lib/format';

const BEGIN = /* GraphQL */ `
  mutation BeginOidcLogin {
    beginOidcLogin {
      __typename
      ... on DomainError { code message }
      ... on OidcStart { authorizationUrl state nonce codeVerifier }
    }
  }
`;

type Begin = { beginOidcLogin: { __typename: 'OidcStart'; authorizationUrl: string; state: string; nonce: string; codeVerifier: string } };

export const GET: RequestHandler = async ({ cookies, url }) => {
  let start: Begin['beginOidcLogin'];
  try {
    start = (await callApi<Begin>(BEGIN)).beginOidcLogin;
  } catch (error) {
    flashLoginError(cookies, url, isApiError(error) && error.kind !== 'transport' ? capitalise(error.message) : `The Suture API is not answering (${error instanceof Error ? error.message : String(error)}).`);
    redirect(303, routes.login());
  }
  keepFlow(cookies, url, { state: start.state, nonce: start.nonce, codeVerifier: start.codeVerifier, redirectTo: url.searchParams.get('redirectTo') ?? '' });
  redirect(303, start.authorizationUrl);
};
