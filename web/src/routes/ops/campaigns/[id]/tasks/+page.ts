// The task browser: a campaign's tasks a page at a time (cursor paging), filtered by batch, status, round and gold.
import { error } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { TaskListQuery } from '$lib/routes';
import { TASK_STATUSES } from '$lib/types';
import type { PageLoad } from './$types';

const PAGE_SIZE = 50;

export interface BrowsedTask {
  id: string;
  status: string;
  round: number;
  frameIndex: number | null;
  agreement: number | null;
  agreementMetric: string | null;
  createdAt: string;
  acceptedAt: string | null;
  batch: { id: string; name: string };
  asset: { id: string; kind: string; fileName: string | null } | null;
}

const TASKS = /* GraphQL */ `
  query TaskBrowser($c: ID!, $batch: ID, $status: TaskStatusFilter, $round: Int, $gold: Boolean, $first: Int, $after: String) {
    campaign(id: $c) { id name batches { id name } }
    tasksPage(campaignId: $c, batchId: $batch, status: $status, round: $round, gold: $gold, first: $first, after: $after) {
      ${DOMAIN_ERROR_FIELDS}
      ... on QueryTasksPageConnection {
        edges { node { id status round frameIndex agreement agreementMetric createdAt acceptedAt batch { id name } asset { id kind fileName } } }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
`;

type Result = {
  campaign: { id: string; name: string; batches: Array<{ id: string; name: string }> } | null;
  tasksPage: { edges: Array<{ node: BrowsedTask }>; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
};


function queryOf(url: URL): TaskListQuery {
  const get = (k: string) => url.searchParams.get(k)?.trim() || undefined;
  return { batchId: get('batchId'), status: get('status'), round: get('round'), gold: get('gold'), after: get('after') };
}

export const load = (async ({ fetch, url, params }) => {
  const query = queryOf(url);
  const round = query.round !== undefined && /^\d+$/.test(query.round) ? Number(query.round) : null;
  const status = query.status && (TASK_STATUSES as readonly string[]).includes(query.status) ? query.status : null;
  const data = await gql<Result>(
    TASKS,
    { c: params.id, batch: query.batchId ?? null, status, round, gold: query.gold === 'true', first: PAGE_SIZE, after: query.after ?? null },
    { fetch },
  ).catch((e: unknown) => failLoad(e, url));
  if (!data.campaign) error(404, { message: 'campaign not found', code: 'NOT_FOUND' });
  return { query, campaign: data.campaign, tasks: data.tasksPage.edges.map((e) => e.node), pageInfo: data.tasksPage.pageInfo };
}) satisfies PageLoad;
