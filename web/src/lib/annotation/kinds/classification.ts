// Classification: one class for the whole image or frame, `{label, attributes?}` (`{labels: [...]}` when the
// campaign is multi-label). The rules and summary are the server module's.
import type { ClassificationData } from '$lib/types';
import { isRecord } from '../common';
import type { AnnotationKind } from '../kind';

export function asClassification(data: unknown): ClassificationData | null {
  return isRecord(data) && typeof data.label === 'string' ? (data as unknown as ClassificationData) : null;
}

export const classification: AnnotationKind = {
  kind: 'classification',
  title: 'Classification',
  payload(value) {
    return isRecord(value) && (typeof value.label === 'string' || Array.isArray(value.labels)) ? { ok: true, data: value } : { ok: false, problem: 'Choose a class first.' };
  },
};
