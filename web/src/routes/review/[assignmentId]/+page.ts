import { error } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import { ASSIGNMENT_FIELDS } from '$lib/queries';
import type { DomainErrorResult, ReviewAssignment } from '$lib/types';
import type { PageLoad } from './$types';

const REVIEW = /* GraphQL */ `
  query ReviewAssignment($id: ID!) {
    assignment(id: $id) {
      ${DOMAIN_ERROR_FIELDS}
      ... on Assignment {
        ${ASSIGNMENT_FIELDS}
        task { agreement agreementMetric submittedLabels { id data createdAt annotator { name } } }
      }
    }
  }
`;

type Result = { assignment: ({ __typename: 'Assignment' } & ReviewAssignment) | DomainErrorResult | null };

export const load = (async ({ fetch, params, url }) => {
  const result = await gql<Result>(REVIEW, { id: params.assignmentId }, { fetch }).catch((e: unknown) => failLoad(e, url));
  if (!result.assignment) error(404, { message: `Review ${params.assignmentId} was not found.`, code: 'NOT_FOUND' });
  if (result.assignment.kind !== 'REVIEW') error(400, { message: 'This assignment is not an expert review.', code: 'INVALID_INPUT' });
  return { assignment: result.assignment };
}) satisfies PageLoad;
