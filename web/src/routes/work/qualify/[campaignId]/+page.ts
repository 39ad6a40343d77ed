import { error } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import { QUALIFICATION_STATUS_FIELDS, type QualificationStatus } from '$lib/qualification';
import type { DomainErrorResult, LabelSchema } from '$lib/types';
import type { PageLoad } from './$types';

const LOAD = /* GraphQL */ `
  query Qualification($c: ID!) {
    campaign(id: $c) { id name labelSchema guidelines guidelinesVersion }
    myQualification(campaignId: $c) { ${DOMAIN_ERROR_FIELDS} ... on QualificationStatus { ${QUALIFICATION_STATUS_FIELDS} } }
  }
`;

type Result = {
  campaign: { id: string; name: string; labelSchema: LabelSchema; guidelines: string; guidelinesVersion: number } | null;
  myQualification: ({ __typename: 'QualificationStatus' } & QualificationStatus) | DomainErrorResult;
};

export const load = (async ({ fetch, params, url, depends }) => {
  depends('suture:qualification');
  const result = await gql<Result>(LOAD, { c: params.campaignId }, { fetch }).catch((e: unknown) => failLoad(e, url));
  if (!result.campaign) error(404, { message: `Campaign ${params.campaignId} was not found.`, code: 'NOT_FOUND' });
  return { campaign: result.campaign, status: result.myQualification };
}) satisfies PageLoad;
