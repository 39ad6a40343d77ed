// What every review view of a kind takes (registered in ../reviewers.ts): the task's media and the labels to
// show together, read-only; review pages show the annotators' labels, QA the consensus alone.
import type { Asset, LabelSchema } from '$lib/types';

export interface ReviewLabel {
  id: string;
  /** Who made it ("1. Ann", "Consensus"). */
  name: string;
  data: unknown;
}

export interface ReviewViewProps {
  schema: LabelSchema;
  asset: Asset | null;
  frameIndex?: number | null;
  labels: ReviewLabel[];
  /** The merge of all labels (the server module's consensus), shown as a preview where the view has one; null when unknown. */
  consensus?: { data: unknown; method: string } | null;
  label?: string;
  maxHeight?: string;
}
