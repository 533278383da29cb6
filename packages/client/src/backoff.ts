/** Retry timing: which failures are worth another try, and how long to wait before it. */
import { TraitforgeHttpError } from './errors.js';

export interface BackoffOptions {
  /** First retry waits up to this long (ms). */
  baseDelayMs: number;
  /** No wait is longer than this (ms), except one the server asks for with Retry-After. */
  maxDelayMs: number;
}

/** Network failures, 408, 429 and 5xx: the same request may well succeed later. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof TraitforgeHttpError)) return true;
  return error.status === 408 || error.status === 429 || error.status >= 500;
}

/**
 * "Full jitter" exponential backoff, so many clients that failed together do not retry together;
 * a Retry-After the server sent is a floor.
 */
export function retryDelay(
  attempt: number,
  error: unknown,
  options: BackoffOptions,
  random = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(random() * ceiling);
  const asked = error instanceof TraitforgeHttpError ? error.retryAfterMs : undefined;
  return asked === undefined ? jittered : Math.max(asked, jittered);
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
