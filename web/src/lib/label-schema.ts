// Reading a campaign's label schema and annotation payloads in the browser (the API validates for real).
import type { BoxData, BoxObject, ClassificationData, LabelClass, LabelSchema, Prelabel } from './types';

const KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46a0a0', '#f032e6', '#9a6324', '#808000', '#000075'];

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

export function classColor(schema: LabelSchema, key: string): string {
  const index = schema.classes.findIndex((c) => c.key === key);
  const cls = schema.classes[index];
  return cls?.color ?? PALETTE[(index < 0 ? 0 : index) % PALETTE.length] ?? '#e6194b';
}

export function className(schema: LabelSchema, key: string | undefined | null): string {
  if (!key) return '—';
  return schema.classes.find((c) => c.key === key)?.name ?? key;
}

export function asClassification(data: unknown): ClassificationData | null {
  if (typeof data !== 'object' || data === null) return null;
  const label = (data as { label?: unknown }).label;
  return typeof label === 'string' ? (data as ClassificationData) : null;
}

function isBox(value: unknown): value is [number, number, number, number] {
  return Array.isArray(value) && value.length === 4 && value.every((n) => typeof n === 'number' && Number.isFinite(n));
}

export function asBoxes(data: unknown): BoxObject[] {
  if (typeof data !== 'object' || data === null) return [];
  const objects = (data as { objects?: unknown }).objects;
  if (!Array.isArray(objects)) return [];
  return objects.filter((o): o is BoxObject => typeof o === 'object' && o !== null && typeof (o as BoxObject).label === 'string' && isBox((o as BoxObject).box));
}

export function boxData(objects: BoxObject[], frame: number | null): BoxData {
  const clean = objects.map((o) => ({ label: o.label, box: o.box.map((n) => Math.round(n * 100) / 100) as BoxObject['box'] }));
  return frame === null ? { objects: clean } : { objects: clean, frame };
}

export function asPrelabel(value: unknown): Prelabel | null {
  if (typeof value !== 'object' || value === null) return null;
  return value as Prelabel;
}

/** Geometries the console has a dedicated editor for; others get the JSON editor. */
export function hasVisualEditor(schema: LabelSchema): boolean {
  return schema.geometry === 'classification' || schema.geometry === 'bbox';
}

/** One line describing a label for lists (classification name, or "3 boxes: grasper ×2, clip"). */
export function summarizeLabel(schema: LabelSchema, data: unknown): string {
  if (schema.geometry === 'classification') return className(schema, asClassification(data)?.label);
  if (schema.geometry === 'bbox') {
    const boxes = asBoxes(data);
    if (boxes.length === 0) return 'no boxes';
    const counts = new Map<string, number>();
    for (const b of boxes) counts.set(b.label, (counts.get(b.label) ?? 0) + 1);
    const parts = [...counts].map(([k, n]) => (n > 1 ? `${className(schema, k)} ×${n}` : className(schema, k)));
    return `${boxes.length} box${boxes.length === 1 ? '' : 'es'}: ${parts.join(', ')}`;
  }
  return JSON.stringify(data);
}
