// A payout run as CSV for the payroll system: RFC 4180 quoting, and no cell a spreadsheet would run as a formula.

export interface PayoutCsvLine {
  userId: string;
  name: string;
  email: string;
  entries: number;
  amountCents: number;
  currency: string;
}

export const PAYOUT_CSV_HEADER = ['user_id', 'name', 'email', 'entries', 'amount', 'currency'] as const;

/** Whole cents as an amount with two decimals ("1234" -> "12.34"), exact for any safe integer. */
export function centsToAmount(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new Error(`an amount is whole cents, got ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * One cell: text a spreadsheet would take for a formula (starting with = + - @, or a tab or carriage return that
 * some strip first) is prefixed with a quote; a cell holding a comma, a quote or a line break is quoted, its
 * quotes doubled.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV of a run's lines, header first, CRLF line ends (RFC 4180). */
export function payoutCsv(lines: readonly PayoutCsvLine[]): string {
  const rows = [[...PAYOUT_CSV_HEADER], ...lines.map((l) => [l.userId, l.name, l.email, String(l.entries), centsToAmount(l.amountCents), l.currency])];
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
