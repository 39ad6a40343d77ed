// What the console reads of qualification tests (api/src/schema/qualification.ts) and pilot reports.
import type { Asset } from './types';

export const ASSET_FIELDS = 'id url kind contentType metadata frameIndexUrl spriteUrl volumeUrl';
const ATTEMPT_FIELDS = `id total answered correct accuracy passed startedAt finishedAt
  items { goldItemId frameIndex answered asset { ${ASSET_FIELDS} } }
  mistakes { goldItemId frameIndex myAnswer referenceAnswer score explanation guidelineSection }`;
export const QUALIFICATION_STATUS_FIELDS = `campaignId campaignName required passed passAccuracy maxAttempts attemptsUsed attemptsLeft itemCount
  current { ${ATTEMPT_FIELDS} } attempts { ${ATTEMPT_FIELDS} }`;
export const QUALIFICATION_ATTEMPT_FIELDS = ATTEMPT_FIELDS;

export interface QualificationItem {
  goldItemId: string;
  frameIndex: number | null;
  answered: boolean;
  asset: Asset;
}
export interface QualificationMistake {
  goldItemId: string;
  frameIndex: number | null;
  myAnswer: unknown;
  referenceAnswer: unknown;
  score: number;
  explanation: string;
  guidelineSection: string | null;
}
export interface QualificationAttempt {
  id: string;
  total: number;
  answered: number;
  correct: number | null;
  accuracy: number | null;
  passed: boolean | null;
  startedAt: string;
  finishedAt: string | null;
  items: QualificationItem[];
  mistakes: QualificationMistake[];
}
export interface QualificationStatus {
  campaignId: string;
  campaignName: string;
  required: boolean;
  passed: boolean;
  passAccuracy: number;
  maxAttempts: number;
  attemptsUsed: number;
  attemptsLeft: number;
  itemCount: number;
  current: QualificationAttempt | null;
  attempts: QualificationAttempt[];
}

export interface PilotReport {
  pilot: boolean;
  geometry: string;
  tasks: number;
  classSource: string;
  pairs: Array<{ nameA: string; nameB: string; tasks: number; meanAgreement: number; metric: string }>;
  classes: Array<{ key: string; pairs: number; agreed: number; rate: number | null }>;
  confusions: Array<{ classA: string; classB: string; count: number; exampleTaskIds: string[] }>;
}
export const PILOT_REPORT_FIELDS = `pilot geometry tasks classSource pairs { nameA nameB tasks meanAgreement metric }
  classes { key pairs agreed rate } confusions { classA classB count exampleTaskIds }`;
