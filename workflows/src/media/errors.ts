// The one expected-error type of the media library: a stable code plus a message that never holds PHI.

export const mediaErrorCodes = [
  'EMPTY_FILE',
  'TRUNCATED',
  'FORMAT_MISMATCH',
  'UNKNOWN_FORMAT',
  'DECOMPRESSION_BOMB',
  'INVALID_SEQUENCE',
  'INVALID_HEADER',
  'MISSING_FILE_META',
  'UNSUPPORTED_TRANSFER_SYNTAX',
  'UNSUPPORTED_FORMAT',
  'DECODE_FAILED',
  'TOOL_FAILED',
  'HASH_MISMATCH',
  'INVALID_ARGUMENT',
] as const;

export type MediaErrorCode = (typeof mediaErrorCodes)[number];

export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly code: MediaErrorCode;
  /** Technical, PHI-free facts (tag numbers, byte offsets, transfer syntax UIDs). */
  readonly details: Record<string, string | number | boolean>;

  constructor(code: MediaErrorCode, message: string, details: Record<string, string | number | boolean> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: MediaErrorCode; message: string; details: Record<string, string | number | boolean> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isMediaError(error: unknown, code?: MediaErrorCode): error is MediaError {
  return error instanceof MediaError && (code === undefined || error.code === code);
}
