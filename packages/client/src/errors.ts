/** An answer the server gave that is not a success: its status and parsed body. */
export class TraitforgeHttpError extends Error {
  override readonly name = 'TraitforgeHttpError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly retryAfterMs: number | undefined,
  ) {
    const message =
      typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : `HTTP ${status}`;
    super(`${status}: ${message}`);
  }
}

/**
 * What `onError` reports: records the client gave up on (`dropped`: the server refused them and
 * would refuse them again) or a push it could not queue (`queue_full`).
 */
export interface DeliveryError {
  kind: 'dropped' | 'queue_full' | 'store';
  message: string;
  type?: string;
  records?: readonly Record<string, unknown>[];
  status?: number;
  body?: unknown;
}
