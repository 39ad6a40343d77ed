// What the finance page reads from the API, and how its money reads: always two decimals, in the entry's currency.

export type PayUnit = 'TASK' | 'HOUR' | 'OBJECT' | 'VIDEO_MINUTE';
export type PayableWorkKind = 'LABEL' | 'REVIEW' | 'AUDIT' | 'REWORK';
export type BudgetStatus = 'NO_BUDGET' | 'OK' | 'ALERT' | 'BLOCKED';
export type CostComponent = 'LABEL' | 'REDUNDANCY' | 'REVIEW' | 'AUDIT' | 'REWORK' | 'COMPUTE' | 'BONUS';

export interface CampaignFinance {
  campaignId: string;
  currency: string;
  spentCents: number;
  budgetCents: number;
  alertPercent: number;
  alertThresholdCents: number | null;
  status: BudgetStatus;
  alertedAt: string | null;
  blockedAt: string | null;
  burnRatePerDayCents: number;
  forecastDaysToBudget: number | null;
  daily: Array<{ day: string; cents: number }>;
  acceptedLabels: number;
  costPerAcceptedLabelCents: number | null;
  costPerAcceptedLabel: Array<{ component: CostComponent; cents: number; entries: number; perAcceptedLabelCents: number | null }>;
  annotators: Array<{ userId: string; name: string; entries: number; amountCents: number; activeHours: number; acceptedLabels: number; labelsPerHour: number | null }>;
  qualityBonusPercent: number | null;
  qualityBonusMinAccuracy: number;
}

export interface PayRate {
  id: string;
  kind: string;
  unit: PayUnit;
  amountCents: number;
  currency: string;
  effectiveFrom: string;
  user: { id: string; name: string } | null;
}

export interface PayoutRun {
  id: string;
  currency: string;
  cutoff: string;
  status: 'DRAFT' | 'APPROVED';
  totalCents: number;
  createdAt: string;
  createdById: string | null;
  approvedById: string | null;
  approvedAt: string | null;
  lines: Array<{ userId: string; name: string; amountCents: number; entries: number }>;
}

export const FINANCE_FIELDS = `campaignId currency spentCents budgetCents alertPercent alertThresholdCents status alertedAt blockedAt
  burnRatePerDayCents forecastDaysToBudget daily { day cents } acceptedLabels costPerAcceptedLabelCents
  costPerAcceptedLabel { component cents entries perAcceptedLabelCents }
  annotators { userId name entries amountCents activeHours acceptedLabels labelsPerHour }
  qualityBonusPercent qualityBonusMinAccuracy`;
export const RATE_FIELDS = 'id kind unit amountCents currency effectiveFrom user { id name }';
export const RUN_FIELDS = 'id currency cutoff status totalCents createdAt createdById approvedById approvedAt lines { userId name amountCents entries }';

/** Whole cents as money with exactly two decimals ("$12.30", "12.30 EUR" for codes without a symbol here). */
export function money(cents: number | null | undefined, currency = 'USD'): string {
  if (cents === null || cents === undefined || !Number.isFinite(cents)) return '—';
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(cents / 100);
  } catch {
    // An unknown code still reads as an amount; the code says which money it is.
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** A rate's amount with what it pays for ("$0.07 per object"). */
export function rateInWords(rate: Pick<PayRate, 'amountCents' | 'currency' | 'unit'>): string {
  const per: Record<PayUnit, string> = { TASK: 'per task', HOUR: 'per active hour', OBJECT: 'per object', VIDEO_MINUTE: 'per video minute' };
  return `${money(rate.amountCents, rate.currency)} ${per[rate.unit]}`;
}

/** Dollars (or euros ...) typed by a person as whole cents; null when it is not an amount with at most two decimals. */
export function parseAmount(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(trimmed)) return null;
  const [whole, fraction = ''] = trimmed.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}
