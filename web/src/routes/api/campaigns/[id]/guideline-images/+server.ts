// Uploads a guideline picture through the console: forwards the raw body to POST /api/campaigns/:id/guideline-images
// of the API with the session's token; the API checks the bytes, the size and the caller's role.
import { json, type RequestHandler } from '@sveltejs/kit';
import { apiEndpoint, ApiUrlMissingError } from '$lib/server/api';
import { SESSION_COOKIE } from '$lib/server/session';

export const POST: RequestHandler = async ({ params, cookies, request }) => {
  const token = cookies.get(SESSION_COOKIE);
  if (!token) return json({ error: { code: 'UNAUTHENTICATED', message: 'sign in first' } }, { status: 401 });
  let base: string;
  try {
    base = apiEndpoint().replace(/\/graphql$/, '');
  } catch (error) {
    if (error instanceof ApiUrlMissingError) return json({ error: { code: 'API_URL_MISSING', message: error.message } }, { status: 500 });
    throw error;
  }
  const body = new Uint8Array(await request.arrayBuffer());
  let upstream: Response;
  try {
    upstream = await fetch(`${base}/api/campaigns/${encodeURIComponent(params.id ?? '')}/guideline-images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': request.headers.get('content-type') ?? 'application/octet-stream' },
      body,
    });
  } catch (error) {
    return json({ error: { code: 'API_UNREACHABLE', message: `the Suture API is not answering (${error instanceof Error ? error.message : String(error)})` } }, { status: 502 });
  }
  return new Response(upstream.body, {
    status: upstream.status,
    headers: { 'content-type': upstream.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-store' },
  });
};
