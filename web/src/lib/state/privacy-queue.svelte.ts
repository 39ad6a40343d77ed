// The privacy officer's queue: flagged assets waiting for a decision. Box edits come back with the review as
// the server stores it; while the worker is still blacking boxes out (applying), the queue polls that review
// until its frames show them. Decisions take the asset out of the queue.
import { DOMAIN_ERROR_FIELDS, gql } from '$lib/api';
import { describeError } from '$lib/errors';
import type { DomainErrorResult, PrivacyReviewItem, RedactionBox } from '$lib/types';

export const PRIVACY_REVIEW_FIELDS = /* GraphQL */ `
  reasons revision appliedRevision applying automaticBoxCount
  boxes { id x y width height automatic }
  frames { frame width height url automaticBoxes { id x y width height automatic } }
  asset { id kind contentType campaign { id name } }
`;

export const PRIVACY_QUEUE_QUERY = /* GraphQL */ `
  query PrivacyReviewQueue($campaignId: ID) {
    privacyReviewQueue(campaignId: $campaignId) { ${PRIVACY_REVIEW_FIELDS} }
  }
`;

const REVIEW = /* GraphQL */ `
  query PrivacyReview($assetId: ID!) {
    privacyReview(assetId: $assetId) { ${DOMAIN_ERROR_FIELDS} ... on PrivacyReview { ${PRIVACY_REVIEW_FIELDS} } }
  }
`;
const ADD_BOX = /* GraphQL */ `
  mutation AddRedactionBox($assetId: ID!, $box: RedactionBoxInput!) {
    addRedactionBox(assetId: $assetId, box: $box) { ${DOMAIN_ERROR_FIELDS} ... on PrivacyReview { ${PRIVACY_REVIEW_FIELDS} } }
  }
`;
const REMOVE_BOX = /* GraphQL */ `
  mutation RemoveRedactionBox($assetId: ID!, $boxId: ID!) {
    removeRedactionBox(assetId: $assetId, boxId: $boxId) { ${DOMAIN_ERROR_FIELDS} ... on PrivacyReview { ${PRIVACY_REVIEW_FIELDS} } }
  }
`;
const RELEASE = /* GraphQL */ `
  mutation ReleaseAsset($assetId: ID!) {
    releaseAsset(assetId: $assetId) { ${DOMAIN_ERROR_FIELDS} ... on Asset { id privacyStatus } }
  }
`;
const REJECT = /* GraphQL */ `
  mutation RejectAsset($assetId: ID!, $reason: String!) {
    rejectAsset(assetId: $assetId, reason: $reason) { ${DOMAIN_ERROR_FIELDS} ... on Asset { id privacyStatus } }
  }
`;

type ReviewResult = (PrivacyReviewItem & { __typename: 'PrivacyReview' }) | DomainErrorResult;

export class PrivacyQueue {
  #items = $state<PrivacyReviewItem[]>([]);
  #problem = $state<string | null>(null);
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #intervalMs: number;

  constructor(initial: PrivacyReviewItem[], intervalMs = 1500) {
    this.#items = initial;
    this.#intervalMs = intervalMs;
  }

  get items(): readonly PrivacyReviewItem[] {
    return this.#items;
  }
  /** Why the last refresh failed; null while refreshes succeed. */
  get problem(): string | null {
    return this.#problem;
  }

  /** Polls the reviews whose boxes are still being applied; the returned function stops it. */
  listen(): () => void {
    this.#timer ??= setInterval(() => void this.refreshApplying(), this.#intervalMs);
    return () => {
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }

  async refreshApplying(): Promise<void> {
    for (const item of this.#items.filter((i) => i.applying)) {
      try {
        const data = await gql<{ privacyReview: ReviewResult | null }>(REVIEW, { assetId: item.asset.id });
        if (data.privacyReview) this.#replace(data.privacyReview);
        this.#problem = null;
      } catch (error) {
        this.#problem = describeError(error);
      }
    }
  }

  #replace(review: PrivacyReviewItem): void {
    this.#items = this.#items.map((i) => (i.asset.id === review.asset.id ? review : i));
  }

  #remove(assetId: string): void {
    this.#items = this.#items.filter((i) => i.asset.id !== assetId);
  }

  async addBox(assetId: string, box: Pick<RedactionBox, 'x' | 'y' | 'width' | 'height'>): Promise<void> {
    const data = await gql<{ addRedactionBox: ReviewResult }>(ADD_BOX, { assetId, box });
    this.#replace(data.addRedactionBox);
  }

  async removeBox(assetId: string, boxId: string): Promise<void> {
    const data = await gql<{ removeRedactionBox: ReviewResult }>(REMOVE_BOX, { assetId, boxId });
    this.#replace(data.removeRedactionBox);
  }

  async release(assetId: string): Promise<void> {
    await gql<{ releaseAsset: { __typename: 'Asset'; id: string } | DomainErrorResult }>(RELEASE, { assetId });
    this.#remove(assetId);
  }

  async reject(assetId: string, reason: string): Promise<void> {
    await gql<{ rejectAsset: { __typename: 'Asset'; id: string } | DomainErrorResult }>(REJECT, { assetId, reason });
    this.#remove(assetId);
  }
}
