// What every export says about how its labels were formed: the campaign's consensus method and the quality
// engine's convention for empty labels (source.ts reads the method and the annotators' reliability).
import type { ExportCampaign } from './format.ts';

/** The empty-label convention of every agreement figure behind an accepted label (Suture's, not cocoapi's). */
export const EMPTY_LABELS_CONVENTION =
  "Two empty masks score IoU 1: two empty labels (no pixels, objects, points or segments) agree perfectly (IoU = Dice = 1, distances 0), where cocoapi's maskUtils gives 0; one empty label against a non-empty one has IoU 0.";

/** One line naming the campaign's consensus method, for formats whose header holds text. */
export function consensusLine(campaign: ExportCampaign): string {
  const c = campaign.consensus;
  const now = c.effectiveMethod !== c.method ? `, ${c.effectiveMethod} so far` : '';
  return `Consensus: ${c.title} (${c.method}${now}); each task's own method is in the Suture JSON export.`;
}
