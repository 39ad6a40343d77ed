// The one error type of the quality engine: every rejected input throws it with a stable code.

/** Stable machine-readable reasons for rejected input. */
export type QualityInputErrorCode =
  | 'EMPTY_INPUT'
  | 'INVALID_NUMBER'
  | 'INVALID_ARGUMENT'
  | 'LENGTH_MISMATCH'
  | 'UNKNOWN_CATEGORY'
  | 'DUPLICATE_ANSWER'
  | 'RATER_COUNT'
  | 'UNEQUAL_RATINGS'
  | 'INVALID_GEOMETRY'
  | 'SELF_INTERSECTING'
  | 'INVALID_RLE'
  | 'SHAPE_MISMATCH'
  | 'INVALID_PLAN';

/**
 * Thrown for any input the quality engine cannot evaluate (never a silent NaN).
 * `code` is stable for programmatic handling; `message` names the offending element.
 */
export class QualityInputError extends Error {
  readonly code: QualityInputErrorCode;
  constructor(code: QualityInputErrorCode, message: string) {
    super(message);
    this.name = 'QualityInputError';
    this.code = code;
  }
}

/** Throws unless `value` is a finite number; `what` names it in the message. */
export function assertFinite(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new QualityInputError('INVALID_NUMBER', `${what} must be a finite number, got ${String(value)}`);
  }
}

/** Throws unless `value` is an integer >= min. */
export function assertInteger(value: number, what: string, min = 0): void {
  if (!Number.isInteger(value) || value < min) {
    throw new QualityInputError('INVALID_ARGUMENT', `${what} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** Throws unless 0 < value < 1 (open interval) or, with `closed`, 0 <= value <= 1. */
export function assertProbability(value: number, what: string, closed = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (closed ? value >= 0 && value <= 1 : value > 0 && value < 1);
  if (!ok) {
    throw new QualityInputError('INVALID_ARGUMENT', `${what} must be in ${closed ? '[0, 1]' : '(0, 1)'}, got ${String(value)}`);
  }
}
