import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { AuditLogQuery } from '$lib/routes';
import type { AuditEvent } from '$lib/types';
import type { PageLoad } from './$types';

const PAGE_SIZE = 50;

const EVENTS = /* GraphQL */ `
  query AuditLog($filter: AuditEventFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      __typename
      ... on DomainError { code message }
      ... on AuditEventConnection {
        nodes { seq at actorId actorName action entityType entityId data chainPosition }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
`;

type Events = { auditEvents: { nodes: AuditEvent[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };

/** The filter in the page's URL; from/to are dates (yyyy-mm-dd) or date-times, as the form sends them. */
function queryOf(url: URL): AuditLogQuery {
  const get = (k: string) => url.searchParams.get(k)?.trim() || undefined;
  return { actorId: get('actorId'), action: get('action'), entityType: get('entityType'), entityId: get('entityId'), from: get('from'), to: get('to'), after: get('after') };
}

function isoOf(value: string | undefined): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export const load = (async ({ fetch, url }) => {
  const query = queryOf(url);
  const filter = {
    actorId: query.actorId ?? null,
    action: query.action ?? null,
    entityType: query.entityType ?? null,
    entityId: query.entityId ?? null,
    from: isoOf(query.from),
    to: isoOf(query.to),
  };
  const data = await gql<Events>(EVENTS, { filter, first: PAGE_SIZE, after: query.after ?? null }, { fetch }).catch((e: unknown) => failLoad(e, url));
  return { query, events: data.auditEvents.nodes, pageInfo: data.auditEvents.pageInfo };
}) satisfies PageLoad;
