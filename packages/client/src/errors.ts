/** The message of a 12traits body (`message`) or a Forge one (`errors[0].message`). */
function describe(body: unknown): string | undefined {
  const { message, errors } = (typeof body === 'object' && body !== null ? body : {}) as {
    message?: unknown;
    errors?: { message?: unknown }[];
  };
  if (typeof message === 'string') return message;
  const first = Array.isArray(errors) ? errors[0]?.message : undefined;
  return typeof first === 'string' ? first : undefined;
}

/** An answer the server gave that is not a success: its status and parsed body. */
export class TraitforgeHttpError extends Error {
  override readonly name = 'TraitforgeHttpError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`${status}: ${describe(body) ?? `HTTP ${status}`}`);
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
