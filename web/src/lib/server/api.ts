// Server-side access to the Suture API: its endpoint from API_URL, and authenticated calls with a session token.
import { env } from '$env/dynamic/private';
import { executeGraphql, type Unwrapped, type Variables } from '$lib/api';

export class ApiUrlMissingError extends Error {
  constructor() {
    super('API_URL is not set: start the console with API_URL pointing at the Suture API (for example API_URL=http://127.0.0.1:4000)');
    this.name = 'ApiUrlMissingError';
  }
}

/** The API's GraphQL endpoint. API_URL may be the API's base URL or its /graphql endpoint. */
export function apiEndpoint(): string {
  const raw = env.API_URL?.trim();
  if (!raw) throw new ApiUrlMissingError();
  const base = raw.replace(/\/+$/, '');
  return base.endsWith('/graphql') ? base : `${base}/graphql`;
}

const TIMEOUT_MS = 15_000;

/** One operation against the API, as the holder of `token` (or anonymously). */
export function callApi<T>(query: string, variables: Variables = {}, token: string | null = null): Promise<Unwrapped<T>> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return executeGraphql<T>(fetch, apiEndpoint(), query, variables, headers, AbortSignal.timeout(TIMEOUT_MS));
}
