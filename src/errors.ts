/**
 * Typed errors with stable codes. Services throw them; one HTTP handler maps each to the
 * calling API family's documented body. Messages are safe to show to the caller.
 */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_records'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'idempotency_mismatch'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'https_required'
  | 'quota_exceeded'
  | 'unavailable';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_records: 400,
  unauthorized: 401,
  forbidden: 403,
  https_required: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_mismatch: 422,
  quota_exceeded: 429,
  unavailable: 503,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data: unknown = null,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = STATUS[code];
  }
}

/** A 429 that says when to come back: the `Retry-After` header, in whole seconds. */
export class ThrottledError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('quota_exceeded', message);
  }
}

export interface FieldError {
  /** 0-based position of the record in the batch. */
  index: number;
  /** The offending field (dotted path for nested ones), or null for the record itself. */
  field: string | null;
  message: string;
}
