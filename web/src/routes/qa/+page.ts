import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { AuditItem } from '$lib/types';
import type { PageLoad } from './$types';

const AUDITS = /* GraphQL */ `
  query AuditQueue {
    auditQueue {
      id qaRound stratum
      task {
        id status consensus consensusMethod agreement frameIndex
        asset { id url kind contentType metadata frameIndexUrl spriteUrl volumeUrl }
        campaign { id name labelSchema }
      }
      batch { id name }
    }
  }
`;

export const load = (async ({ fetch, url, depends }) => {
  depends('suture:audits');
  const audits = await gql<{ auditQueue: AuditItem[] }>(AUDITS, {}, { fetch }).catch((e: unknown) => failLoad(e, url));
  return { audits: audits.auditQueue };
}) satisfies PageLoad;
