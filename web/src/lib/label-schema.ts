// Reading a campaign's label schema in the browser (the API validates for real). What a label of each kind
// looks like is its module's business: $lib/annotation/kinds/*.ts, registered in $lib/annotation/modules.ts.
import type { LabelClass, LabelSchema } from './types';

const KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function slugKey(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 64);
}

/**
 * Parses "one class per line": `Grasper` or `grasper: Grasper` (explicit key).
 * Returns the classes and the problems a person should fix.
 */
export function parseClassLines(text: string): { classes: LabelClass[]; problems: string[] } {
  const classes: LabelClass[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    const explicit = colon > 0 ? line.slice(0, colon).trim() : null;
    const name = (colon > 0 ? line.slice(colon + 1) : line).trim() || (explicit ?? '');
    const key = explicit ?? slugKey(name);
    if (!KEY.test(key)) {
      problems.push(`line ${index + 1}: '${key || line}' is not a valid key (lowercase letters, digits, - and _)`);
      continue;
    }
    if (seen.has(key)) {
      problems.push(`line ${index + 1}: the key '${key}' is used twice`);
      continue;
    }
    seen.add(key);
    classes.push({ key, name });
  }
  return { classes, problems };
}

export function asLabelSchema(value: unknown): LabelSchema | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<LabelSchema>;
  if (typeof v.geometry !== 'string' || !Array.isArray(v.classes)) return null;
  return v as LabelSchema;
}
