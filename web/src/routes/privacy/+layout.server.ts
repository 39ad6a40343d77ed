import { requireSection } from '$lib/server/auth';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
  requireSection(locals.user, 'privacy');
  return {};
};
