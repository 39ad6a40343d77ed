// `suture export`: exports a campaign's (or one batch's) accepted labels through the API (exportLabels) and
// downloads the file from its presigned URL. The session comes from `suture login` or SUTURE_TOKEN.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { NOT_SIGNED_IN, resolveAuth } from './session.ts';

const USAGE = 'usage: suture export [--api URL] --campaign ID [--batch ID] --format F [--out FILE]\n       suture export [--api URL] --campaign ID --formats';

async function call<T>(api: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${api.replace(/\/$/, '')}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  const result = Object.values(body.data ?? {})[0] as { __typename?: string; code?: string; message?: string; data?: unknown } | undefined;
  if (!result || result.__typename === 'DomainError') throw new Error(`${result?.code ?? 'ERROR'}: ${result?.message ?? 'no answer'}`);
  return result as T;
}

export async function run(argv: string[]): Promise<number> {
  const args = [...argv];
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const listOnly = args.includes('--formats');
  if (listOnly) args.splice(args.indexOf('--formats'), 1);
  const apiFlag = take('--api');
  const campaignId = take('--campaign');
  const batchId = take('--batch') ?? null;
  const format = take('--format');
  const out = take('--out');
  if (!campaignId || (!listOnly && !format) || args.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const auth = resolveAuth(apiFlag);
  if (!auth) {
    console.error(`suture export: ${NOT_SIGNED_IN}`);
    return 2;
  }
  const { api, token } = auth;
  try {
    if (listOnly) {
      const formats = await call<{ data: Array<{ id: string; title: string }> }>(
        api,
        token,
        `query($c: ID!) { exportFormats(campaignId: $c) { __typename ... on QueryExportFormatsSuccess { data { id title } } ... on DomainError { code message } } }`,
        { c: campaignId },
      );
      for (const f of formats.data) console.log(`${f.id.padEnd(14)} ${f.title}`);
      return 0;
    }
    const result = await call<{ key: string; url: string; bytes: number; items: number }>(
      api,
      token,
      `mutation($c: ID!, $b: ID, $f: String!) { exportLabels(campaignId: $c, batchId: $b, format: $f) { __typename ... on LabelExport { key url bytes items } ... on DomainError { code message } } }`,
      { c: campaignId, b: batchId, f: format },
    );
    const { key, url, bytes, items } = result;
    const file = out ?? key.split('/').pop()!;
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new Error(`download of ${key} failed: HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as ReadableStream<Uint8Array>), createWriteStream(file));
    console.log(JSON.stringify({ file, key, bytes, items }));
    return 0;
  } catch (error) {
    console.error(`suture export: ${(error as Error).message}`);
    return 1;
  }
}
