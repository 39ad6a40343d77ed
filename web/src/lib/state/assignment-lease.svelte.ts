// The claim on one assignment while its page is open: a countdown to the lease expiry and a heartbeat
// every 20 s while the page is visible (active time is measured from heartbeats on the server). Each beat says
// whether the person interacted since the last one; a visible but untouched tab earns no active time.
import { DOMAIN_ERROR_FIELDS, gql, isApiError } from '$lib/api';
import { describeError } from '$lib/errors';
import type { DomainErrorResult } from '$lib/types';

const HEARTBEAT = /* GraphQL */ `
  mutation Heartbeat($id: ID!, $active: Boolean!) {
    heartbeat(assignmentId: $id, active: $active) { ${DOMAIN_ERROR_FIELDS} ... on Assignment { id status leaseExpiresAt activeSeconds } }
  }
`;

type HeartbeatResult = { heartbeat: { __typename: 'Assignment'; id: string; status: string; leaseExpiresAt: string; activeSeconds: number } | DomainErrorResult };

export const HEARTBEAT_MS = 20_000;

/** What counts as the person working on the page: pointer, keys, wheel, touch (media playing is checked at each beat). */
const INTERACTION_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

/** Some video or audio element on the page is playing: watching is work even without input. */
function mediaPlaying(): boolean {
  return [...document.querySelectorAll('video, audio')].some((m) => !(m as HTMLMediaElement).paused && !(m as HTMLMediaElement).ended);
}

export class AssignmentLease {
  readonly assignmentId: string;
  #expiresAt = $state(0);
  #now = $state(Date.now());
  #expired = $state(false);
  #closed = $state(false);
  #activeSeconds = $state(0);
  #problem = $state<string | null>(null);
  /** Interaction since the last beat was sent. */
  #interacted = false;

  constructor(assignmentId: string, leaseExpiresAt: string, activeSeconds = 0, status = 'ACTIVE') {
    this.assignmentId = assignmentId;
    this.#expiresAt = new Date(leaseExpiresAt).getTime();
    this.#activeSeconds = activeSeconds;
    this.#closed = status !== 'ACTIVE';
    this.#expired = status === 'EXPIRED' || status === 'RELEASED';
  }

  get secondsLeft(): number {
    return Math.max(0, Math.floor((this.#expiresAt - this.#now) / 1000));
  }
  /** The lease ran out (by the clock or because the API said LEASE_EXPIRED). */
  get expired(): boolean {
    return this.#expired || (!this.#closed && this.#expiresAt <= this.#now);
  }
  get activeSeconds(): number {
    return this.#activeSeconds;
  }
  /** The last heartbeat's failure other than expiry (network trouble), or null. */
  get problem(): string | null {
    return this.#problem;
  }

  markExpired(): void {
    this.#expired = true;
  }

  /** The work was submitted: heartbeats stop. */
  close(): void {
    this.#closed = true;
  }

  /** Starts the countdown and the heartbeat; the returned function stops both. */
  listen(): () => void {
    const tick = setInterval(() => (this.#now = Date.now()), 1000);
    const beat = setInterval(() => {
      if (document.visibilityState === 'visible') void this.heartbeat();
    }, HEARTBEAT_MS);
    const onVisibility = () => {
      if (document.visibilityState === 'visible') void this.heartbeat();
    };
    const onInteraction = () => (this.#interacted = true);
    document.addEventListener('visibilitychange', onVisibility);
    for (const event of INTERACTION_EVENTS) window.addEventListener(event, onInteraction, { capture: true, passive: true });
    void this.heartbeat();
    return () => {
      clearInterval(tick);
      clearInterval(beat);
      document.removeEventListener('visibilitychange', onVisibility);
      for (const event of INTERACTION_EVENTS) window.removeEventListener(event, onInteraction, { capture: true });
    };
  }

  async heartbeat(): Promise<void> {
    if (this.#closed || this.#expired) return;
    // A hidden tab earns nothing whatever happened before it was hidden.
    const active = document.visibilityState === 'visible' && (this.#interacted || mediaPlaying());
    this.#interacted = false;
    try {
      const { heartbeat } = await gql<HeartbeatResult>(HEARTBEAT, { id: this.assignmentId, active });
      this.#expiresAt = new Date(heartbeat.leaseExpiresAt).getTime();
      this.#activeSeconds = heartbeat.activeSeconds;
      this.#problem = null;
      if (heartbeat.status !== 'ACTIVE') this.#closed = true;
    } catch (error) {
      if (isApiError(error, 'LEASE_EXPIRED')) this.#expired = true;
      else if (isApiError(error, 'CONFLICT')) this.#closed = true;
      else this.#problem = describeError(error);
    }
  }
}
