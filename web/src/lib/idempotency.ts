// Idempotency keys for submissions: one per assignment, kept in sessionStorage so that a retry after a
// crash or a lost response re-sends the same key and the API records the work once.

export type SubmissionScope = 'label' | 'review';

function storageKey(scope: SubmissionScope, assignmentId: string): string {
  return `suture:submit:${scope}:${assignmentId}`;
}

function randomHex(bytes: number): string {
  // crypto.getRandomValues works in insecure contexts too (randomUUID does not).
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The key for this assignment's submission, created on first use. Matches the API's [A-Za-z0-9_:.-]{8,128}. */
export function submissionKey(scope: SubmissionScope, assignmentId: string): string {
  const name = storageKey(scope, assignmentId);
  const existing = sessionStorage.getItem(name);
  if (existing) return existing;
  const key = `${scope}:${assignmentId}:${randomHex(16)}`;
  sessionStorage.setItem(name, key);
  return key;
}

/** After the API confirmed the submission the key is no longer needed. */
export function forgetSubmissionKey(scope: SubmissionScope, assignmentId: string): void {
  sessionStorage.removeItem(storageKey(scope, assignmentId));
}
