// Spot-check entry points for the lifecycle: one plain-JSON settings object in, a plan out.
import { QualityInputError } from '../errors.ts';
import { z14Plan, zeroAcceptancePlan, type Z14Plan, type ZeroAcceptancePlan } from './plans.ts';
import type { Z14InspectionLevel } from './z14-tables.ts';

/** Spot-check plan settings as stored on a campaign. */
export type SpotCheckPlanSettings =
  { method: 'zero-acceptance'; lotSize: number; tolerableRate: number; confidence: number } | { method: 'z1.4'; lotSize: number; aql: number; level?: Z14InspectionLevel };

/** Builds the spot-check plan for a lot from stored settings. */
export function spotCheckPlan(settings: SpotCheckPlanSettings): ZeroAcceptancePlan | Z14Plan {
  if (settings.method === 'zero-acceptance') return zeroAcceptancePlan(settings);
  if (settings.method === 'z1.4') return z14Plan(settings);
  throw new QualityInputError('INVALID_PLAN', `unknown spot-check method '${String((settings as { method: unknown }).method)}' (expected zero-acceptance or z1.4)`);
}
