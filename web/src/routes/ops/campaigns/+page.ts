import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { CampaignSummary, Skill } from '$lib/types';
import type { PageLoad } from './$types';

const CAMPAIGNS = /* GraphQL */ `
  query Campaigns {
    campaigns { id name status overlap agreementThreshold labelSchema createdAt batches { id stage } }
  }
`;
const SKILLS = /* GraphQL */ `query Skills { skills { id key name } }`;

type CampaignRow = CampaignSummary & { batches: Array<{ id: string; stage: string }> };

export const load = (async ({ fetch, url }) => {
  const [campaigns, skills] = await Promise.all([
    gql<{ campaigns: CampaignRow[] }>(CAMPAIGNS, {}, { fetch }),
    gql<{ skills: Skill[] }>(SKILLS, {}, { fetch }),
  ]).catch((error: unknown) => failLoad(error, url));
  return { campaigns: campaigns.campaigns, skills: skills.skills };
}) satisfies PageLoad;
