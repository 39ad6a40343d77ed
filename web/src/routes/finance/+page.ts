import { redirect } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import { FINANCE_FIELDS, RATE_FIELDS, RUN_FIELDS, type CampaignFinance, type PayoutRun, type PayRate } from '$lib/finance';
import { routes } from '$lib/routes';
import type { CampaignStatus, DomainErrorResult } from '$lib/types';
import type { PageLoad } from './$types';

const CAMPAIGNS = /* GraphQL */ `query FinanceCampaigns { campaigns { id name status } me { id } users { id name roles } payoutRuns(take: 50) { ${RUN_FIELDS} } }`;
const REPORT = /* GraphQL */ `
  query CampaignFinance($id: ID!) {
    campaignFinance(campaignId: $id) { ${DOMAIN_ERROR_FIELDS} ... on CampaignFinance { ${FINANCE_FIELDS} } }
    payRates(campaignId: $id) { ${RATE_FIELDS} }
  }
`;

type Campaigns = {
  campaigns: Array<{ id: string; name: string; status: CampaignStatus }>;
  me: { id: string };
  users: Array<{ id: string; name: string; roles: string[] }>;
  payoutRuns: PayoutRun[];
};
type Report = {
  campaignFinance: ({ __typename: 'CampaignFinance' } & CampaignFinance) | DomainErrorResult;
  payRates: PayRate[];
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
    me: campaigns.me.id,
    runs: campaigns.payoutRuns,
    selected,
    finance: report?.campaignFinance ?? null,
    rates: report?.payRates ?? [],
    /** People a rate can be set for: the organisation's labellers, experts and auditors. */
    payees: campaigns.users.filter((u) => u.roles.some((r) => r === 'ANNOTATOR' || r === 'EXPERT' || r === 'QA_AUDITOR')).map(({ id, name }) => ({ id, name })),
  };
}) satisfies PageLoad;
