import { error } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { describeError, failLoad } from '$lib/errors';
import { ASSETS_QUERY } from '$lib/state/campaign-assets.svelte';
import type { AnnotatorMetrics, CampaignAsset, CampaignDetail, DomainErrorResult } from '$lib/types';
import type { PageLoad } from './$types';

const CAMPAIGN = /* GraphQL */ `
  query Campaign($id: ID!) {
    campaign(id: $id) {
      id name description status overlap agreementThreshold labelSchema qaSettings guidelines guidelinesVersion
      budgetCents claimSlaSeconds reviewCredential hasPrelabelModel createdAt mediaPolicy
      requiredSkills { minLevel skill { key name } }
      batches { id name status stage qaRound createdAt progress { total accepted } }
    }
  }
`;

const METRICS = /* GraphQL */ `
  query AnnotatorMetrics($id: ID!) {
    annotatorMetrics(campaignId: $id) {
      ${DOMAIN_ERROR_FIELDS}
      ... on QueryAnnotatorMetricsSuccess {
        data {
          userId name labelsSubmitted acceptedLabels activeHours throughputPerHour throughputPerDay secondsPerTask
          costCents costPerAcceptedLabelCents agreementWithConsensus agreementWithPeers kappaWithPeers qaPassRate qaPassLower qaPassUpper
        }
      }
    }
  }
`;

const AGREEMENT = /* GraphQL */ `
  query CampaignAgreement($id: ID!) {
    campaignAgreement(campaignId: $id) { ${DOMAIN_ERROR_FIELDS} ... on CampaignAgreement { meanAgreement metric krippendorffAlpha labels tasks } }
  }
`;

export interface CampaignAgreementView {
  meanAgreement: number | null;
  metric: string | null;
  krippendorffAlpha: number | null;
  labels: number;
  tasks: number;
}

type MetricsResult = { annotatorMetrics: { __typename: 'QueryAnnotatorMetricsSuccess'; data: AnnotatorMetrics[] } | DomainErrorResult };

export const load = (async ({ fetch, params, url, depends }) => {
  depends('suture:campaign');
  const [campaign, metrics, assets, agreement] = await Promise.all([
    gql<{ campaign: CampaignDetail | null }>(CAMPAIGN, { id: params.id }, { fetch }).catch((e: unknown) => failLoad(e, url)),
    // The table shows its own error; the rest of the page stays usable.
    gql<MetricsResult>(METRICS, { id: params.id }, { fetch }).then(
      (r) => ({ rows: r.annotatorMetrics.data, problem: null }),
      (e: unknown) => ({ rows: [] as AnnotatorMetrics[], problem: describeError(e) }),
    ),
    // Likewise the media table: it shows why it is empty.
    gql<{ assets: CampaignAsset[] }>(ASSETS_QUERY, { campaignId: params.id }, { fetch }).then(
      (r) => ({ rows: r.assets, problem: null }),
      (e: unknown) => ({ rows: [] as CampaignAsset[], problem: describeError(e) }),
    ),
    gql<{ campaignAgreement: ({ __typename: 'CampaignAgreement' } & CampaignAgreementView) | DomainErrorResult }>(AGREEMENT, { id: params.id }, { fetch }).then(
      (r) => ({ value: r.campaignAgreement as CampaignAgreementView | null, problem: null }),
      (e: unknown) => ({ value: null, problem: describeError(e) }),
    ),
  ]);
  if (!campaign.campaign) error(404, { message: `Campaign ${params.id} was not found.`, code: 'NOT_FOUND' });
  return { campaign: campaign.campaign, metrics, assets, agreement };
}) satisfies PageLoad;
