// Who is signed in, as the API sees it, and the role check every section's layout runs.
import { error } from '@sveltejs/kit';
import { section, type SectionKey } from '$lib/routes';
import type { SessionUser } from '$lib/types';
import { callApi } from './api';

const ME = /* GraphQL */ `
  query Me {
    me { id name email roles }
  }
`;

export async function currentUser(token: string): Promise<SessionUser> {
  const data = await callApi<{ me: SessionUser }>(ME, {}, token);
  return data.me;
}

/** Throws 403 unless the user holds one of the section's roles (signed-out visitors never get here: hooks redirect them). */
export function requireSection(user: SessionUser | null, key: SectionKey): SessionUser {
  const s = section(key);
  if (!user) error(401, 'Sign in first.');
  if (!s.roles.some((r) => user.roles.includes(r))) {
    error(403, { message: `${s.label} needs one of these roles: ${s.roles.join(', ')}. You have: ${user.roles.join(', ') || 'none'}.`, code: 'FORBIDDEN' });
  }
  return user;
}
