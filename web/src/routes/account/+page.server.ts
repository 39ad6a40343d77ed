// My account: change your own password. Server-side, because the API ends every session of the account and
// returns a fresh token for this one, which must go into the httpOnly session cookie.
import { fail } from '@sveltejs/kit';
import { isApiError } from '$lib/api';
import { capitalise } from '$lib/format';
import { CHANGE_PASSWORD } from '$lib/queries';
import { callApi } from '$lib/server/api';
import { setSessionCookie } from '$lib/server/session';
import type { Actions } from './$types';

export const actions: Actions = {
  default: async ({ request, cookies, url, locals }) => {
    const form = await request.formData();
    const currentPassword = String(form.get('currentPassword') ?? '');
    const newPassword = String(form.get('newPassword') ?? '');
    const confirm = String(form.get('confirmPassword') ?? '');
    if (!currentPassword || !newPassword) return fail(400, { message: 'Enter your current and your new password.' });
    if (newPassword !== confirm) return fail(400, { message: 'The new password and its confirmation differ.' });
    let token: string;
    try {
      token = (await callApi<{ changePassword: { data: string } }>(CHANGE_PASSWORD, { currentPassword, newPassword }, locals.token)).changePassword.data;
    } catch (error) {
      if (isApiError(error) && error.kind !== 'transport') return fail(400, { message: capitalise(error.message) });
      if (isApiError(error)) return fail(502, { message: `The Suture API is not answering (${error.message}). Try again in a moment.` });
      throw error;
    }
    if (token) setSessionCookie(cookies, url, token, null);
    return { changed: true };
  },
};
