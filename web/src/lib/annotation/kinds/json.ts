// Fallback for kinds without a visual editor yet: the payload is typed as JSON and the API validates it.
import type { AnnotationKind } from '../kind';

export function jsonKind(kind: string, title: string): AnnotationKind {
  return {
    kind,
    title,
    payload: (value) => ({ ok: true, data: value ?? {} }),
  };
}
