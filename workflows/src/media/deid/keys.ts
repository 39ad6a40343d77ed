// Keyed, deterministic pseudonymisation: UID remapping, patient pseudonyms and per-patient date shifts.
import { createHmac } from 'node:crypto';
import { MediaError } from '../errors.ts';

export type SecretKey = string | Uint8Array;

function hmac(key: SecretKey, purpose: string, value: string): Buffer {
  if (typeof key === 'string' ? key.length === 0 : key.byteLength === 0) {
    throw new MediaError('INVALID_ARGUMENT', 'A de-identification key must not be empty.');
  }
  return createHmac('sha256', key).update(purpose).update('\0').update(value).digest();
}

/** Maps a UID to a stable "2.25.<decimal>" UID (PS3.5 B.2): same key and UID, same result. */
export function remapUid(uidKey: SecretKey, uid: string): string {
  const digest = hmac(uidKey, 'uid', uid.trim());
  const n = BigInt(`0x${digest.subarray(0, 16).toString('hex')}`);
  return `2.25.${n.toString()}`;
}

const base32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A pseudonymous patient ID ("SP" + 14 base-32 characters) from a secret key; never stored beside the original. */
export function pseudonymFor(patientKey: SecretKey, patientIdentity: string): string {
  const digest = hmac(patientKey, 'patient', patientIdentity);
  let out = 'SP';
  for (let i = 0; i < 14; i++) out += base32[digest[i]! & 31];
  return out;
}

/** A per-patient date shift in days, between -3650 and -1: the same patient always gets the same shift. */
export function dateShiftFor(dateShiftKey: SecretKey, patientIdentity: string): number {
  const digest = hmac(dateShiftKey, 'date-shift', patientIdentity);
  return -(1 + (digest.readUInt32BE(0) % 3650));
}

export interface DeidKeys {
  uidKey: Buffer;
  patientKey: Buffer;
  dateShiftKey: Buffer;
}

/** Derives independent sub-keys from one project secret (for the CLI and the worker). */
export function deriveDeidKeys(secret: SecretKey): DeidKeys {
  const sub = (label: string): Buffer => hmac(secret, 'derive', label);
  return { uidKey: sub('uid'), patientKey: sub('patient'), dateShiftKey: sub('date-shift') };
}

/** Shifts a DICOM DA (YYYYMMDD) by `days`; returns undefined when the value is not a valid date. */
export function shiftDA(value: string, days: number): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(t + days * 86_400_000);
  if (Number.isNaN(d.getTime())) return undefined;
  return `${d.getUTCFullYear().toString().padStart(4, '0')}${(d.getUTCMonth() + 1).toString().padStart(2, '0')}${d.getUTCDate().toString().padStart(2, '0')}`;
}

/** Shifts the date part of a DICOM DT (YYYYMMDDhhmmss.ffffff&ZZXX); time and offset are kept. */
export function shiftDT(value: string, days: number): string | undefined {
  const v = value.trim();
  if (v.length < 8) return undefined;
  const date = shiftDA(v.slice(0, 8), days);
  return date === undefined ? undefined : date + v.slice(8);
}
