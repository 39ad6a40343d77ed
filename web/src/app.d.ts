// Types SvelteKit shares between hooks, loads and pages.
import type { SessionUser } from '$lib/types';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in user, resolved by hooks.server.ts from the session cookie; null when signed out. */
      user: SessionUser | null;
      /** The session token from the httpOnly cookie; only server code ever sees it. */
      token: string | null;
      /** Why the user could not be resolved when the API itself failed (not a bad session). */
      apiProblem: string | null;
    }
    interface Error {
      message: string;
      code?: string;
    }
    interface PageData {
      user?: SessionUser | null;
    }
  }
}

export {};
