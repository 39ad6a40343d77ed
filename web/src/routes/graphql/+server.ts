// Same-origin GraphQL proxy: the browser posts here; the token from the httpOnly session cookie
// becomes the Authorization header of the forwarded request to API_URL.
import { json, type RequestHandler } from '@sveltejs/kit';
import { apiEndpoint, ApiUrlMissingError } from '$lib/server/api';
import { SESSION_COOKIE } from '$lib/server/session';

const UPSTREAM_TIMEOUT_MS = 60_000;

function failure(status: number, code: string, message: string): Response {
  return json({ errors: [{ message, extensions: { code } }] }, { status, headers: { 'cache-control': 'no-store' } });
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

export const POST: RequestHandler = async ({ request, cookies, url }) => {
  // JSON posts cannot come cross-site without CORS, but refuse foreign origins outright anyway.
  // The host is compared, not the scheme: behind a TLS proxy the console may not know its own scheme.
  const origin = request.headers.get('origin');
  if (origin && hostOf(origin) !== url.host) {
    return failure(403, 'FORBIDDEN', `cross-origin requests to the console are not accepted (origin ${origin}, console ${url.host})`);
  }

  let endpoint: string;
  try {
    endpoint = apiEndpoint();
  } catch (error) {
    if (error instanceof ApiUrlMissingError) return failure(500, 'API_URL_MISSING', error.message);
    throw error;
  }

  const headers = new Headers({
    'content-type': request.headers.get('content-type') ?? 'application/json',
    accept: request.headers.get('accept') ?? 'application/json',
  });
  const token = cookies.get(SESSION_COOKIE);
  const authorization = token ? `Bearer ${token}` : request.headers.get('authorization');
  if (authorization) headers.set('authorization', authorization);
  const requestId = request.headers.get('x-request-id');
  if (requestId) headers.set('x-request-id', requestId);

  let upstream: Response;
  try {
    upstream = await fetch(endpoint, { method: 'POST', headers, body: await request.arrayBuffer(), signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failure(502, 'API_UNREACHABLE', `the Suture API at ${new URL(endpoint).origin} is not answering (${reason})`);
  }
  return new Response(upstream.body, {
    status: upstream.status,
    headers: { 'content-type': upstream.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-store' },
  });
};
