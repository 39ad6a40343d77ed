// The registry of review views: kind -> a component showing several labels of one task over its media,
// read-only (review shows the annotators' labels, QA the consensus). Kinds without one use LabelOverlay
// (image kinds, through their module's `review`) or the bare media (LabelsView picks).
import type { Component } from 'svelte';
import type { GeometryKind } from '$lib/types';
import PhasesReview from './reviews/PhasesReview.svelte';
import TrackReview from './reviews/TrackReview.svelte';
import VolumeReview from './reviews/VolumeReview.svelte';
import type { ReviewViewProps } from './reviews/types';

export type { ReviewLabel, ReviewViewProps } from './reviews/types';

export const reviewViews: Partial<Record<GeometryKind, Component<ReviewViewProps>>> = {
  phases: PhasesReview,
  track: TrackReview,
  volume: VolumeReview,
};

/** The review view of a kind, or null when the kind has none of its own. */
export function reviewViewFor(kind: string): Component<ReviewViewProps> | null {
  return (reviewViews as Record<string, Component<ReviewViewProps>>)[kind] ?? null;
}
