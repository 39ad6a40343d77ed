// The media of one campaign, shared by the upload panel, the assets table and the batch form. Polls
// every few seconds while any asset is still on its way (uploading, in quarantine, or being ingested)
// and stops once every asset has settled (READY or FAILED).
import { gql } from '$lib/api';
import { describeError } from '$lib/errors';
import { ingestRunning } from '$lib/ingest';
import type { CampaignAsset } from '$lib/types';

/** What the ops pages read of an asset (the list and setAssetTrim's answer). */
export const ASSET_FIELDS = /* GraphQL */ `
  id kind status contentType fileName metadata errorCode errorMessage url
  ingestStep ingestProgress needsHumanReview originalRetained spriteUrl trimStartSeconds trimEndSeconds
  privacyStatus privacyReview { decidedAt reason }
`;

export const ASSETS_QUERY = /* GraphQL */ `
  query CampaignAssets($campaignId: ID!) {
    assets(campaignId: $campaignId) { ${ASSET_FIELDS} }
  }
`;

/** Whether the media workflow flagged the asset for a person to look at. */
export function needsHumanReview(asset: CampaignAsset): boolean {
  return asset.needsHumanReview === true || asset.metadata?.needsHumanReview === true;
}

/** Statuses that change without anyone acting on this page. */
const SETTLING = new Set<string>(['AWAITING_UPLOAD', 'QUARANTINED']);

/** Whether the asset may still change by itself (upload, quarantine, ingest under way). */
export function assetSettling(asset: CampaignAsset): boolean {
  return SETTLING.has(asset.status) || ingestRunning(asset.ingestStep);
}

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
  /** True while some asset is still uploading, in quarantine or being ingested (the page polls then). */
  get settling(): boolean {
    return this.#assets.some(assetSettling);
  }

  /** Puts a fresher copy of one asset into the list (e.g. setAssetTrim's answer). */
  replace(asset: CampaignAsset): void {
    this.#assets = this.#assets.map((a) => (a.id === asset.id ? asset : a));
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
      // Presigned URLs change on every read: keep a sprite strip already shown, so polling for other
      // assets does not download it again every few seconds.
      const before = new Map(this.#assets.map((a) => [a.id, a]));
      this.#assets = assets.map((a) => {
        const previous = before.get(a.id)?.spriteUrl;
        return previous && a.spriteUrl ? { ...a, spriteUrl: previous } : a;
      });
      this.#problem = null;
    } catch (error) {
      if (!controller.signal.aborted) this.#problem = describeError(error);
    } finally {
      if (this.#inFlight === controller) this.#inFlight = null;
    }
  }
}
