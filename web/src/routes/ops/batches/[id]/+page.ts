import { error } from '@sveltejs/kit';
import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { BatchDetail } from '$lib/types';
import type { PageLoad } from './$types';

const BATCH = /* GraphQL */ `
  query Batch($id: ID!) {
    batch(id: $id) {
      id name status stage workflowStage qaRound qaHistory prelabelNote exportKey createdAt startedAt completedAt
      campaign { id name }
      progress { total pending open labeled inReview accepted excluded labelsSubmitted labelsNeeded qaSampled qaAudited qaFailed privacyWaiting }
    }
  }
`;

export const load = (async ({ fetch, params, url }) => {
  const result = await gql<{ batch: BatchDetail | null }>(BATCH, { id: params.id }, { fetch }).catch((e: unknown) => failLoad(e, url));
  if (!result.batch) error(404, { message: `Batch ${params.id} was not found.`, code: 'NOT_FOUND' });
  return { batch: result.batch };
}) satisfies PageLoad;
