// A guideline picture through the console: proxies GET /api/guideline-images/:id of the API with the session's token
// (the API serves it only to the campaign's members), keeping its type and no-store caching.
import { json, type RequestHandler } from '@sveltejs/kit';
import { apiEndpoint, ApiUrlMissingError } from '$lib/server/api';
import { SESSION_COOKIE } from '$lib/server/session';

export const GET: RequestHandler = async ({ params, cookies }) => {
  const token = cookies.get(SESSION_COOKIE);
  if (!token) return json({ error: { code: 'UNAUTHENTICATED', message: 'sign in first' } }, { status: 401 });
  let base: string;
  try {
    base = apiEndpoint().replace(/\/graphql$/, '');
  } catch (error) {
    if (error instanceof ApiUrlMissingError) return json({ error: { code: 'API_URL_MISSING', message: error.message } }, { status: 500 });
    throw error;
  }
  let upstream: Response;
  try {
    upstream = await fetch(`${base}/api/guideline-images/${encodeURIComponent(params.id ?? '')}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    return json({ error: { code: 'API_UNREACHABLE', message: `the Suture API is not answering (${error instanceof Error ? error.message : String(error)})` } }, { status: 502 });
  }
  const headers = new Headers({ 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff' });
  const type = upstream.headers.get('content-type');
  if (type) headers.set('content-type', type);
  return new Response(upstream.body, { status: upstream.status, headers });
};
