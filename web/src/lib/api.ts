// The console's GraphQL client. Browser and universal loads call the same-origin proxy at /graphql;
// server code (hooks, login) uses the same executor against API_URL (see $lib/server/api.ts).
import { routes } from './routes';
import type { DomainErrorResult } from './types';

export type ApiErrorKind =
  /** The API answered with a DomainError (an expected refusal: NO_TASK_AVAILABLE, LEASE_EXPIRED, ...). */
  | 'domain'
  /** The API answered with GraphQL errors (authorisation, validation, masked internal errors). */
  | 'graphql'
  /** No usable answer: network failure, proxy or API down, non-JSON body. */
  | 'transport';

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    readonly code: string,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

type FetchFn = typeof fetch;
export type Variables = Record<string, unknown>;

/** The data of an operation with every top-level DomainError branch removed: those are thrown instead. */
export type Unwrapped<T> = { [K in keyof T]: Exclude<T[K], DomainErrorResult> };

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message?: string; extensions?: { code?: string } }>;
}

function isDomainError(value: unknown): value is DomainErrorResult {
  return typeof value === 'object' && value !== null && (value as { __typename?: unknown }).__typename === 'DomainError';
}

/**
 * Runs one GraphQL operation and returns its data. Throws ApiError for transport failures, for GraphQL
 * errors and for a DomainError in any top-level field (queries must select `__typename` on unions).
 */
export async function executeGraphql<T>(
  fetchFn: FetchFn,
  url: string,
  query: string,
  variables: Variables = {},
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Unwrapped<T>> {
  let response: Response;
  try {
    response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError('transport', 'NETWORK', `the request did not get through (${error instanceof Error ? error.message : String(error)}); check the connection and try again`);
  }

  let body: GraphqlBody;
  try {
    body = (await response.json()) as GraphqlBody;
  } catch {
    throw new ApiError('transport', 'BAD_RESPONSE', `the server answered ${response.status} ${response.statusText} without a GraphQL body`, response.status);
  }

  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ?? 'GRAPHQL_ERROR';
    throw new ApiError(response.ok || body.data ? 'graphql' : 'transport', code, first.message ?? 'the request failed', response.status);
  }
  if (!body.data) throw new ApiError('transport', 'BAD_RESPONSE', `the server answered ${response.status} without data`, response.status);

  for (const value of Object.values(body.data)) {
    if (isDomainError(value)) throw new ApiError('domain', value.code, value.message, response.status);
  }
  return body.data as Unwrapped<T>;
}

export interface RequestOptions {
  /** SvelteKit's fetch inside load functions (so SSR calls reach the proxy with the visitor's cookie). */
  fetch?: FetchFn;
  signal?: AbortSignal;
}

/** A query or mutation through the console's own /graphql proxy; the session cookie authenticates it. */
export function gql<T>(query: string, variables: Variables = {}, options: RequestOptions = {}): Promise<Unwrapped<T>> {
  return executeGraphql<T>(options.fetch ?? fetch, routes.graphql, query, variables, {}, options.signal);
}

/** Selection every union result of the API needs so that DomainErrors are recognised. */
export const DOMAIN_ERROR_FIELDS = '__typename ... on DomainError { code message }';
