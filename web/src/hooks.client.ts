// Errors thrown while loading a page in the browser: API refusals keep their message, the rest say so plainly.
import type { HandleClientError } from '@sveltejs/kit';
import { isApiError } from '$lib/api';

export const handleError: HandleClientError = ({ error, status, message }) => {
  if (status === 404) return { message };
  console.error(error);
  if (isApiError(error)) return { message: error.message, code: error.code };
  return { message: 'Something went wrong in the console; reload the page to try again.' };
};
