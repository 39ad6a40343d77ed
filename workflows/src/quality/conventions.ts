// The one place where degenerate comparisons (nothing versus nothing) get their declared values.

/**
 * Overlap ratio `numerator / denominator` (IoU, Dice, OKS-like ratios) with the engine-wide convention:
 * when both sides are empty (denominator 0) the two annotators agree perfectly, so the ratio is 1.
 * Exactly one empty side gives intersection 0 over a positive union, i.e. 0, through the normal formula.
 */
export function overlapRatio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

/**
 * Distance between two point sets with the engine-wide convention: both empty → 0 (perfect agreement);
 * exactly one empty → `null` (no finite distance exists; callers must treat it as total disagreement).
 * Returns `undefined` when both sides are non-empty so the caller computes the real distance.
 */
export function emptyDistance(aEmpty: boolean, bEmpty: boolean): 0 | null | undefined {
  if (aEmpty && bEmpty) return 0;
  if (aEmpty || bEmpty) return null;
  return undefined;
}

/**
 * Chance-corrected coefficient `1 - observed/expected` disagreement (kappa, alpha) with the convention that
 * no expected disagreement (every rating is the same single category, so observed disagreement is 0 as well)
 * counts as perfect agreement: 1.
 */
export function chanceCorrected(observedDisagreement: number, expectedDisagreement: number): number {
  if (expectedDisagreement <= 1e-15) return 1;
  return 1 - observedDisagreement / expectedDisagreement;
}
