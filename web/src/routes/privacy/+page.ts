import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import { PRIVACY_QUEUE_QUERY } from '$lib/state/privacy-queue.svelte';
import type { PrivacyReviewItem } from '$lib/types';
import type { PageLoad } from './$types';

export const load = (async ({ fetch, url, depends }) => {
  depends('suture:privacy');
  const campaignId = url.searchParams.get('campaign');
  const queue = await gql<{ privacyReviewQueue: PrivacyReviewItem[] }>(PRIVACY_QUEUE_QUERY, { campaignId }, { fetch }).catch((e: unknown) => failLoad(e, url));
  return { queue: queue.privacyReviewQueue, campaignId };
}) satisfies PageLoad;
