// Review of several labels of one task: which objects agree and, for masks, where annotators' pixels differ.
// An object agrees when every other label has an object the kind's server module counts as the same
// object: its agreement of the two one-object labels is >= 0.5, which takes the module's own matching (IoU,
// OKS or line distance against its threshold) and the class into account.
import { rleDecode } from '@suture/workflows/quality';
import { annotationType } from '@suture/workflows/annotation/registry';
import type { LabelSchema } from '$lib/types';
import type { AnnotationKind, ReviewObject } from './kind';
import { annotationContext, isRegisteredKind, parseStoredLabel } from './modules';

export const AGREEMENT_THRESHOLD = 0.5;

export interface ReviewedObject extends ReviewObject {
  agreed: boolean;
}

const objectsOfLabel = (parsed: unknown): unknown[] | null => {
  const objects = (parsed as { objects?: unknown } | null)?.objects;
  return Array.isArray(objects) ? objects : null;
};

/** Each label's objects, each marked agreed when every other label has an object its kind's module matches. */
export function markAgreement(kind: AnnotationKind, labels: unknown[], schema: LabelSchema): ReviewedObject[][] {
  const overlay = kind.overlay;
  if (!overlay || !isRegisteredKind(schema.geometry)) return labels.map(() => []);
  const module = annotationType(schema.geometry);
  const ctx = annotationContext(schema);
  // Labels that do not pass the module (stored before a rule existed) are drawn as they are, agreeing with nothing.
  const parsed = labels.map((data) => objectsOfLabel(parseStoredLabel(schema, data)));
  const one = (object: unknown) => ({ objects: [object] });
  return labels.map((data, i) => {
    const mine = parsed[i];
    if (!mine) return overlay(data, schema).map((o) => ({ ...o, agreed: false }));
    return overlay({ objects: mine }, schema).map((shape, k) => ({
      ...shape,
      agreed: parsed.every((theirs, j) => j === i || (theirs !== null && theirs.some((other) => module.agreement(one(mine[k]), one(other), ctx).value >= AGREEMENT_THRESHOLD))),
    }));
  });
}

/**
 * Pixels where the annotators' masks differ: covered by at least one label's masks and not by all of them.
 * Row-major 0/1 bitmap, or null when no label has a mask.
 */
export function maskDisagreement(objects: ReviewObject[][]): { width: number; height: number; data: Uint8Array; pixels: number } | null {
  const first = objects.flat().find((o) => o.shape.type === 'mask');
  if (!first || first.shape.type !== 'mask') return null;
  const [height, width] = first.shape.size;
  const votes = new Uint8Array(width * height);
  for (const label of objects) {
    const covered = new Uint8Array(width * height);
    for (const o of label) {
      if (o.shape.type !== 'mask' || o.shape.size[0] !== height || o.shape.size[1] !== width) continue;
      const bitmap = rleDecode({ size: o.shape.size, counts: o.shape.counts });
      for (let k = 0; k < bitmap.data.length; k++) if (bitmap.data[k]) covered[k] = 1;
    }
    for (let k = 0; k < covered.length; k++) votes[k]! += covered[k]!;
  }
  const data = new Uint8Array(width * height);
  let pixels = 0;
  for (let k = 0; k < votes.length; k++)
    if (votes[k]! > 0 && votes[k]! < objects.length) {
      data[k] = 1;
      pixels++;
    }
  return { width, height, data, pixels };
}
