// The root sends each user to their first section; users with none see the overview.
import { redirect } from '@sveltejs/kit';
import { homeFor, routes } from '$lib/routes';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
  if (!locals.user) redirect(303, routes.login());
  const home = homeFor(locals.user.roles);
  if (home !== routes.home) redirect(303, home);
  return {};
};
