import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { PageLoad } from './$types';

const REVIEWS = /* GraphQL */ `
  query MyReviews {
    reviewQueue {
      id status round claimedAt leaseExpiresAt
      task { id agreement agreementMetric campaign { id name } asset { kind } }
    }
  }
`;

export interface ReviewRow {
  id: string;
  status: string;
  round: number;
  claimedAt: string;
  leaseExpiresAt: string;
  task: { id: string; agreement: number | null; agreementMetric: string | null; campaign: { id: string; name: string }; asset: { kind: string } | null };
}

export const load = (async ({ fetch, url }) => {
  const reviews = await gql<{ reviewQueue: ReviewRow[] }>(REVIEWS, {}, { fetch }).catch((e: unknown) => failLoad(e, url));
  return { reviews: reviews.reviewQueue };
}) satisfies PageLoad;
