// Separation of duties: the role pairs one person may not hold, in their organisation or in one campaign.
import type { Role } from '@suture/db';

/**
 * Role pairs one person may not hold, because each role checks the other's work: an annotator who is also an
 * adjudicator could settle disagreements about labels like their own, and finance approves the pay of
 * annotators, experts and auditors.
 */
export const CONFLICTING_ROLES: ReadonlyArray<readonly [Role, Role, string]> = [
  ['ANNOTATOR', 'EXPERT', 'an expert adjudicates annotators’ labels'],
  ['FINANCE', 'ANNOTATOR', 'finance approves annotators’ pay'],
  ['FINANCE', 'EXPERT', 'finance approves experts’ pay'],
  ['FINANCE', 'QA_AUDITOR', 'finance approves auditors’ pay'],
];

/**
 * Role pairs one person may not hold within one campaign (they may hold both in the organisation, for
 * different campaigns): a privacy officer of a campaign releases the media its annotators then see, so the
 * person who decides what annotators may see is not one of them.
 */
export const CAMPAIGN_CONFLICTING_ROLES: ReadonlyArray<readonly [Role, Role, string]> = [
  ['PRIVACY_OFFICER', 'ANNOTATOR', 'a privacy officer releases the media annotators of the campaign see'],
];
