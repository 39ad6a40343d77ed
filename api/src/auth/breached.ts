// Breached and guessable passwords (ASVS 2.1.7): every new password is checked, offline, against the
// 49,233 most common passwords seen in breaches (the list @zxcvbn-ts/language-common ships), including the
// usual disguises (case, leetspeak, digits and symbols before or after, repetition), and against the
// person's own email and name. Where the deployment can reach one, a Pwned Passwords range API
// (SUTURE_BREACHED_PASSWORDS_API, e.g. https://api.pwnedpasswords.com/range/) is asked too, by k-anonymity:
// only the first five hex digits of the password's SHA-1 leave the server.
import { createHash } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';

const COMMON: ReadonlySet<string> = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', $: 's', '!': 'i', '|': 'i', '+': 't' };

function deleet(s: string): string {
  return [...s].map((c) => LEET[c] ?? c).join('');
}

/** The shortest unit the text repeats (e.g. "qwertyqwerty" → "qwerty"), or the text itself. */
function repeatedUnit(s: string): string {
  for (let n = 1; n <= s.length / 2; n++) if (s.length % n === 0 && s.slice(0, n).repeat(s.length / n) === s) return s.slice(0, n);
  return s;
}

/** The forms a guesser tries first: the password itself, without case, padding, leetspeak or repetition. */
function disguises(password: string): string[] {
  const lower = password.normalize('NFKC').toLowerCase();
  const forms = new Set<string>();
  for (const base of [lower, lower.replace(/\s+/g, '')]) {
    const stripped = base.replace(/^[\d\W_]+/u, '').replace(/[\d\W_]+$/u, '');
    for (const f of [base, stripped, deleet(base), deleet(stripped)]) {
      forms.add(f);
      forms.add(repeatedUnit(f));
    }
  }
  return [...forms].filter((f) => f.length >= 4);
}

export interface PasswordContext {
  email?: string;
  name?: string;
}

/** Why the password is unsafe, or null: breached or trivially derived from a breached one, or built from who you are. */
export function weakPasswordReason(password: string, context: PasswordContext = {}): string | null {
  const forms = disguises(password);
  if (forms.some((f) => COMMON.has(f))) return 'this password is one of the most common in breaches (or a simple variation of one): choose another';
  const compact = password
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\d\W_]+/gu, '');
  const own = [context.email?.split('@')[0], ...(context.name?.split(/\s+/) ?? [])].map((w) => w?.toLowerCase().replace(/[\d\W_]+/gu, '') ?? '').filter((w) => w.length >= 4);
  if (own.some((w) => compact.includes(w))) return 'the password contains your name or email: choose one that does not';
  if (new Set(compact).size <= 2 && password.length > 0) return 'the password repeats one or two characters: choose another';
  return null;
}

/**
 * Asks a Pwned Passwords range API whether the password appears in a breach corpus. Answers null when the
 * service is not configured or cannot be reached in time (the offline check has already run): a login
 * service that a third party's outage could stop would be worse.
 */
export async function pwnedCount(password: string, apiUrl: string | undefined, log?: (message: string) => void): Promise<number | null> {
  if (!apiUrl) return null;
  const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  const prefix = sha1.slice(0, 5);
  const suffix = sha1.slice(5);
  try {
    const res = await fetch(`${apiUrl.replace(/\/?$/, '/')}${prefix}`, { headers: { 'add-padding': 'true' }, signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    for (const line of (await res.text()).split('\n')) {
      const [hash, count] = line.trim().split(':');
      if (hash?.toUpperCase() === suffix) return Number(count) || 0;
    }
    return 0;
  } catch (error) {
    log?.(`the breached-password service did not answer (${error instanceof Error ? error.message : String(error)}); the offline list was checked`);
    return null;
  }
}
