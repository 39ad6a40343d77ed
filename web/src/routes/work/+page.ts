import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { AssignmentSummary, CampaignStatus } from '$lib/types';
import type { PageLoad } from './$types';

const MY_WORK = /* GraphQL */ `
  query MyWork {
    myAssignments {
      id kind status round claimedAt leaseExpiresAt submittedAt
      task { id campaign { id name } asset { kind } }
    }
  }
`;
const CAMPAIGNS = /* GraphQL */ `query WorkCampaigns { campaigns { id name status } }`;

export const load = (async ({ fetch, url, depends }) => {
  depends('suture:my-work');
  const [work, campaigns] = await Promise.all([
    gql<{ myAssignments: AssignmentSummary[] }>(MY_WORK, {}, { fetch }),
    gql<{ campaigns: Array<{ id: string; name: string; status: CampaignStatus }> }>(CAMPAIGNS, {}, { fetch }),
  ]).catch((e: unknown) => failLoad(e, url));
  const labelling = work.myAssignments.filter((a) => a.kind === 'LABEL' || a.kind === 'REWORK');
  return {
    active: labelling.filter((a) => a.status === 'ACTIVE'),
    recent: labelling.filter((a) => a.status !== 'ACTIVE').slice(0, 15),
    campaigns: campaigns.campaigns.filter((c) => c.status === 'ACTIVE'),
  };
}) satisfies PageLoad;
