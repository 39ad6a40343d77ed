// The audit log's streamed export: proxies GET /audit/export of the API with the session cookie's token,
// passing the body through as it arrives (an export may be large).
import { json, type RequestHandler } from '@sveltejs/kit';
import { apiEndpoint, ApiUrlMissingError } from '$lib/server/api';
import { SESSION_COOKIE } from '$lib/server/session';

const ALLOWED = ['format', 'actorId', 'action', 'entityType', 'entityId', 'from', 'to'];

export const GET: RequestHandler = async ({ url, cookies }) => {
  const token = cookies.get(SESSION_COOKIE);
  if (!token) return json({ error: { code: 'UNAUTHENTICATED', message: 'sign in first' } }, { status: 401 });
  let base: string;
  try {
    base = apiEndpoint().replace(/\/graphql$/, '');
  } catch (error) {
    if (error instanceof ApiUrlMissingError) return json({ error: { code: 'API_URL_MISSING', message: error.message } }, { status: 500 });
    throw error;
  }
  const upstreamUrl = new URL(`${base}/audit/export`);
  for (const key of ALLOWED) {
    const value = url.searchParams.get(key);
    if (!value) continue;
    // Dates from the form (yyyy-mm-dd) become instants, as the page's own query does.
    upstreamUrl.searchParams.set(key, (key === 'from' || key === 'to') && !Number.isNaN(new Date(value).getTime()) ? new Date(value).toISOString() : value);
  }
  let upstream: Response;
  try {
    upstream = await fetch(upstreamUrl, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    return json({ error: { code: 'API_UNREACHABLE', message: `the Suture API is not answering (${error instanceof Error ? error.message : String(error)})` } }, { status: 502 });
  }
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const h of ['content-type', 'content-disposition']) {
    const v = upstream.headers.get(h);
    if (v) headers.set(h, v);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
};
