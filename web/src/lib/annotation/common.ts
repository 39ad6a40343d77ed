// Helpers the console's kind modules and editors share: class colours and names, reading objects.
import type { LabelSchema } from '$lib/types';

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46a0a0', '#f032e6', '#9a6324', '#808000', '#000075'];

export function classColor(schema: LabelSchema, key: string): string {
  const index = schema.classes.findIndex((c) => c.key === key);
  const cls = schema.classes[index];
  return cls?.color ?? PALETTE[(index < 0 ? 0 : index) % PALETTE.length] ?? '#e6194b';
}

export function className(schema: LabelSchema, key: string | undefined | null): string {
  if (!key) return '—';
  return schema.classes.find((c) => c.key === key)?.name ?? key;
}

/** A colour per annotator (review overlays), distinct from the class palette order. */
export function annotatorColor(index: number): string {
  const colors = ['#ff7f0e', '#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  return colors[index % colors.length]!;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `objects` array of a payload, each object a record with a string label; anything else is dropped. */
export function objectsOf(data: unknown): Array<Record<string, unknown> & { label: string }> {
  if (!isRecord(data) || !Array.isArray(data.objects)) return [];
  return data.objects.filter((o): o is Record<string, unknown> & { label: string } => isRecord(o) && typeof o.label === 'string');
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** [x, y] with finite numbers. */
export function isPoint(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length >= 2 && isFiniteNumber(value[0]) && isFiniteNumber(value[1]);
}

/** Rounds image coordinates to 1/100 pixel (what the payload stores). */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Adds the task's frame to a payload: frame tasks send `frame` equal to the task's frameIndex. */
export function withFrame<T extends object>(payload: T, frame: number | null): T & { frame?: number } {
  return frame === null ? payload : { ...payload, frame };
}

/**
 * The object's attributes limited to the keys the schema defines, empty inputs dropped (editor state, not
 * a check: the kind's server module checks the values); undefined when none are set.
 */
export function cleanAttributes(schema: LabelSchema, value: unknown): Record<string, boolean | number | string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, boolean | number | string> = {};
  for (const a of schema.attributes ?? []) {
    const v = value[a.key];
    if (typeof v === 'boolean' || typeof v === 'number' || (typeof v === 'string' && v !== '')) out[a.key] = v;
  }
  return Object.keys(out).length ? out : undefined;
}
