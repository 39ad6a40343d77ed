import { error } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
  if (locals.apiProblem) error(503, { message: locals.apiProblem, code: 'API_UNAVAILABLE' });
  return { user: locals.user };
};
