// Text people type that others read (names of users, campaigns, classes, phases): trimmed, NFC, bounded,
// and free of characters that make a name look like something else (bidi overrides and isolates, zero-width
// characters, control characters). Pure zod: the API and the worker share it.
import { z } from 'zod';

/** Bidi embeddings/overrides/isolates, zero-width space/joiners, word joiner, BOM, and C0/C1 controls. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const DECEPTIVE = /[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u2060\uFEFF\u0000-\u001F\u007F-\u009F]/u;

/** A display name of 1..max characters. */
export function displayName(max = 200): z.ZodType<string> {
  return z
    .string()
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(max, `at most ${max} characters`)
        .refine((s) => !DECEPTIVE.test(s), { message: 'must not contain control, zero-width or bidirectional-override characters' }),
    );
}

/** Free text (guidelines, descriptions): bounded, controls other than tab and newline refused. */
export function freeText(max: number): z.ZodType<string> {
  return (
    z
      .string()
      .max(max, `at most ${max} characters`)
      // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
      .refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u202A-\u202E\u2066-\u2069]/u.test(s), { message: 'must not contain control or bidirectional-override characters' })
  );
}

/** Longest guidelines text (markdown), in characters. */
export const MAX_GUIDELINES = 100_000;
