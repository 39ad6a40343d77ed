// Assertions the annotation type tests share: a payload refused with a problem naming its field, or parsed.
import { expect } from 'vitest';
import type { AnnotationContext } from './module.ts';
import { parseLabel } from './registry.ts';

/** The problems of a payload the module must refuse. */
export function problemsOf(c: AnnotationContext, data: unknown): string[] {
  const r = parseLabel(c, data);
  if (r.ok) throw new Error(`expected the label to be refused: ${JSON.stringify(data)}`);
  return r.problems;
}

/** The payload is refused with a problem that names `path` and says `reason`. */
export function expectProblem(c: AnnotationContext, data: unknown, path: string, reason: RegExp): void {
  const problems = problemsOf(c, data);
  expect(
    problems.some((p) => p.startsWith(`${path}: `) && reason.test(p)),
    `${problems.join(' | ')} should name ${path} with ${reason}`,
  ).toBe(true);
}

/** The canonical form of a payload the module must accept. */
export function parseOk<D>(c: AnnotationContext, data: unknown): D {
  const r = parseLabel(c, data);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value as D;
}
