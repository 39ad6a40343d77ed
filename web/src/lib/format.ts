// How numbers, money and times read in the console.

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const moneyPrecise = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

export function cents(value: number | null | undefined, precise = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  // Sub-dollar figures (cost per label) need more than two decimals to compare.
  return (precise && Math.abs(value) < 100 ? moneyPrecise : money).format(value / 100);
}

export function percent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function decimal(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

export function dateTime(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const d = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function clock(value: Date): string {
  return value.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** 75 -> "1:15", 3725 -> "1:02:05"; negative values read as 0:00. */
export function countdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export function humanize(code: string): string {
  const text = code.replace(/[_-]+/g, ' ').toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ROLE_LABELS: Record<string, string> = {
  ADMIN: 'Admin',
  OPS_MANAGER: 'Ops manager',
  ANNOTATOR: 'Annotator',
  EXPERT: 'Clinical expert',
  QA_AUDITOR: 'QA auditor',
  FINANCE: 'Finance',
  PRIVACY_OFFICER: 'Privacy officer',
};

export function roleLabel(role: string): string {
  return ROLE_LABELS[role] ?? humanize(role);
}

/** A message from the API as a sentence: capital first letter, a full stop at the end. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');
}
