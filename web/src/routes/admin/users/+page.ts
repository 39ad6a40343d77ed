import { gql } from '$lib/api';
import { failLoad } from '$lib/errors';
import { USERS } from '$lib/queries';
import type { AdminUser } from '$lib/types';
import type { PageLoad } from './$types';

export const load = (async ({ fetch, url }) => {
  const data = await gql<{ users: AdminUser[]; skills: Array<{ key: string; name: string }> }>(USERS, {}, { fetch }).catch((error: unknown) => failLoad(error, url));
  return { users: data.users, skills: data.skills };
}) satisfies PageLoad;
