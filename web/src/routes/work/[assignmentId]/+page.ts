import { error } from '@sveltejs/kit';
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import { ASSIGNMENT_FIELDS } from '$lib/queries';
import type { DomainErrorResult, WorkAssignment } from '$lib/types';
import type { PageLoad } from './$types';

const ASSIGNMENT = /* GraphQL */ `
  query WorkAssignment($id: ID!) {
    assignment(id: $id) { ${DOMAIN_ERROR_FIELDS} ... on Assignment { ${ASSIGNMENT_FIELDS} } }
  }
`;

type Result = { assignment: ({ __typename: 'Assignment' } & WorkAssignment) | DomainErrorResult | null };

export const load = (async ({ fetch, params, url }) => {
  const result = await gql<Result>(ASSIGNMENT, { id: params.assignmentId }, { fetch }).catch((e: unknown) => failLoad(e, url));
  if (!result.assignment) error(404, { message: `Assignment ${params.assignmentId} was not found.`, code: 'NOT_FOUND' });
  return { assignment: result.assignment };
}) satisfies PageLoad;
