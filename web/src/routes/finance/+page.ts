import { redirect } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import { routes } from '$lib/routes';
import type { CampaignStatus, CostReport, DomainErrorResult, LedgerEntry } from '$lib/types';
import type { PageLoad } from './$types';

const CAMPAIGNS = /* GraphQL */ `query FinanceCampaigns { campaigns { id name status } }`;
const REPORT = /* GraphQL */ `
  query CostReport($id: ID!) {
    costReport(campaignId: $id) {
      ${DOMAIN_ERROR_FIELDS}
      ... on CostReport { totalCents acceptedLabels costPerAcceptedLabelCents budgetCents byKind { kind cents entries } }
    }
    ledger(campaignId: $id, take: 50) { id kind amountCents currency createdAt user { name } }
    campaign(id: $id) { id name batches { id progress { total accepted } } }
  }
`;

type Campaigns = { campaigns: Array<{ id: string; name: string; status: CampaignStatus }> };
type Report = {
  costReport: ({ __typename: 'CostReport' } & CostReport) | DomainErrorResult;
  ledger: LedgerEntry[];
  campaign: { id: string; name: string; batches: Array<{ id: string; progress: { total: number; accepted: number } }> } | null;
};

export const load = (async ({ fetch, url }) => {
  const selected = url.searchParams.get('campaign');
  const [campaigns, report] = await Promise.all([
    gql<Campaigns>(CAMPAIGNS, {}, { fetch }),
    selected ? gql<Report>(REPORT, { id: selected }, { fetch }) : Promise.resolve(null),
  ]).catch((e: unknown) => failLoad(e, url));
  const first = campaigns.campaigns[0];
  if (!selected && first) redirect(307, routes.finance.report(first.id));
  return {
    campaigns: campaigns.campaigns,
    selected,
    report: report?.costReport ?? null,
    ledger: report?.ledger ?? [],
    tasks: report?.campaign?.batches.reduce((sum, b) => sum + b.progress.total, 0) ?? 0,
  };
}) satisfies PageLoad;
