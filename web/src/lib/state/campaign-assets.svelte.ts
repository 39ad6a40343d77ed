// The media of one campaign, shared by the upload panel, the assets table and the batch form. Polls
// every few seconds while any asset is still on its way (uploading or in quarantine).
import { gql } from '$lib/api';
import { describeError } from '$lib/errors';
import type { CampaignAsset } from '$lib/types';

export const ASSETS_QUERY = /* GraphQL */ `
  query CampaignAssets($campaignId: ID!) {
    assets(campaignId: $campaignId) { id kind status contentType metadata errorCode errorMessage url }
  }
`;

/** Whether the media workflow flagged the asset for a person to look at. */
export function needsHumanReview(asset: CampaignAsset): boolean {
  return asset.metadata?.needsHumanReview === true;
}

/** Statuses that change without anyone acting on this page. */
const SETTLING = new Set<string>(['AWAITING_UPLOAD', 'QUARANTINED']);

export class CampaignAssets {
  #assets = $state<CampaignAsset[]>([]);
  #problem = $state<string | null>(null);
  #inFlight: AbortController | null = null;
  readonly campaignId: string;

  constructor(campaignId: string, initial: CampaignAsset[], problem: string | null = null) {
    this.campaignId = campaignId;
    this.#assets = initial;
    this.#problem = problem;
  }

  get list(): readonly CampaignAsset[] {
    return this.#assets;
  }
  /** Why the last load failed; null while loads succeed. */
  get problem(): string | null {
    return this.#problem;
  }
  /** True while some asset is still uploading or in quarantine (the page polls then). */
  get settling(): boolean {
    return this.#assets.some((a) => SETTLING.has(a.status));
  }

  /** Polls every `intervalMs` while `settling`; call from an $effect (it returns the cleanup). */
  poll(intervalMs = 3000): (() => void) | undefined {
    if (!this.settling) return undefined;
    const timer = setInterval(() => void this.refresh(), intervalMs);
    return () => {
      clearInterval(timer);
      this.#inFlight?.abort();
      this.#inFlight = null;
    };
  }

  async refresh(): Promise<void> {
    if (this.#inFlight) return; // never stack a second load on a slow one
    const controller = new AbortController();
    this.#inFlight = controller;
    try {
      const { assets } = await gql<{ assets: CampaignAsset[] }>(ASSETS_QUERY, { campaignId: this.campaignId }, { signal: controller.signal });
      this.#assets = assets;
      this.#problem = null;
    } catch (error) {
      if (!controller.signal.aborted) this.#problem = describeError(error);
    } finally {
      if (this.#inFlight === controller) this.#inFlight = null;
    }
  }
}
