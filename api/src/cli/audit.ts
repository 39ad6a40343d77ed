// `suture audit list|export|verify`: the audit log through the API, for auditors (ADMIN or QA_AUDITOR), with
// the session from `suture login` or SUTURE_TOKEN. No database access needed.
//   list    [--actor ID] [--action A|prefix.] [--entity-type T] [--entity-id ID] [--from ISO] [--to ISO] [--first N] [--after CURSOR] [--json]
//   export  [filters] [--format jsonl|csv] [--out FILE]   (streams; stdout without --out)
//   verify  exit code 0 when the chain verifies, 1 when a problem is found
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { NOT_SIGNED_IN, resolveAuth } from './session.ts';

const USAGE = `usage: suture audit <list|export|verify> [--api URL]
  list    [--actor ID] [--action A | --action prefix.] [--entity-type T] [--entity-id ID] [--from ISO] [--to ISO] [--first N] [--after CURSOR] [--json]
  export  [the same filters] [--format jsonl|csv] [--out FILE]
  verify`;

const FILTER_FLAGS: Record<string, string> = {
  '--actor': 'actorId',
  '--action': 'action',
  '--entity-type': 'entityType',
  '--entity-id': 'entityId',
  '--from': 'from',
  '--to': 'to',
};

async function gql<T>(api: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${api}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  const result = Object.values(body.data ?? {})[0] as { __typename?: string; code?: string; message?: string } | undefined;
  if (!result || result.__typename === 'DomainError') throw new Error(`${result?.code ?? 'ERROR'}: ${result?.message ?? 'no answer'}`);
  return result as T;
}

interface Row {
  seq: string;
  at: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  entityType: string;
  entityId: string;
  data: unknown;
  chainPosition: string | null;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const args = [...rest];
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  const flag = (name: string): boolean => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  if (!sub || sub === '--help' || sub === '-h' || flag('--help')) {
    console.log(USAGE);
    return sub ? 0 : 2;
  }
  const apiFlag = take('--api');
  const filter: Record<string, string> = {};
  for (const [f, key] of Object.entries(FILTER_FLAGS)) {
    const v = take(f);
    if (v !== undefined) filter[key] = v;
  }
  const auth = resolveAuth(apiFlag ?? process.env.SUTURE_API_URL);
  if (!auth) {
    console.error(`suture audit: ${NOT_SIGNED_IN} (as an ADMIN or QA_AUDITOR)`);
    return 2;
  }
  const token = auth.token;
  const api = auth.api.replace(/\/$/, '').replace(/\/graphql$/, '');
  try {
    if (sub === 'list') {
      const first = Number(take('--first') ?? 50);
      const after = take('--after') ?? null;
      const json = flag('--json');
      if (args.length) throw new Error(`unexpected arguments: ${args.join(' ')}\n${USAGE}`);
      const page = await gql<{ nodes: Row[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } }>(
        api,
        token,
        `query($f: AuditEventFilter, $n: Int, $a: String) { auditEvents(filter: $f, first: $n, after: $a) {
          __typename ... on DomainError { code message }
          ... on AuditEventConnection { nodes { seq at actorId actorName action entityType entityId data chainPosition } pageInfo { endCursor hasNextPage } } } }`,
        { f: filter, n: first, a: after },
      );
      if (json) console.log(JSON.stringify(page));
      else {
        for (const e of page.nodes) {
          console.log(
            [
              e.seq.padStart(8),
              e.at,
              (e.actorName ?? e.actorId ?? 'system').padEnd(20),
              e.action.padEnd(26),
              `${e.entityType}:${e.entityId}`,
              JSON.stringify(e.data),
              e.chainPosition ? '' : '(pending)',
            ]
              .join('  ')
              .trimEnd(),
          );
        }
        if (page.pageInfo.hasNextPage) console.error(`more: --after ${page.pageInfo.endCursor}`);
      }
      return 0;
    }
    if (sub === 'export') {
      const format = take('--format') ?? 'jsonl';
      const out = take('--out');
      if (args.length) throw new Error(`unexpected arguments: ${args.join(' ')}\n${USAGE}`);
      const url = new URL(`${api}/audit/export`);
      url.searchParams.set('format', format);
      for (const [k, v] of Object.entries(filter)) url.searchParams.set(k, v);
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
        throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
      }
      await pipeline(Readable.fromWeb(res.body as ReadableStream<Uint8Array>), out ? createWriteStream(out) : process.stdout);
      if (out) console.error(`wrote ${out}`);
      return 0;
    }
    if (sub === 'verify') {
      if (args.length) throw new Error(`unexpected arguments: ${args.join(' ')}\n${USAGE}`);
      const v = await gql<{
        ok: boolean;
        events: number;
        pending: number;
        headPosition: string | null;
        anchorPosition: string | null;
        anchorAt: string | null;
        anchorLocation: string | null;
        problem: { code: string; message: string; position: string | null; seq: string | null } | null;
      }>(
        api,
        token,
        `query { verifyAuditLog { __typename ... on DomainError { code message }
          ... on AuditVerification { ok events pending headPosition anchorPosition anchorAt anchorLocation problem { code message position seq } } } }`,
        {},
      );
      const { __typename: _t, ...shown } = v as typeof v & { __typename?: string };
      console.log(JSON.stringify(shown, null, 2));
      if (!v.ok) console.error(`suture audit verify: ${v.problem?.code}: ${v.problem?.message}`);
      return v.ok ? 0 : 1;
    }
    console.error(`suture audit: unknown subcommand '${sub}'\n${USAGE}`);
    return 2;
  } catch (error) {
    console.error(`suture audit: ${(error as Error).message}`);
    return 1;
  }
}
