import { AppError } from '../errors.js';

/**
 * The paging cursor of the user-ids endpoint: the last id of a page as base64url of its UTF-8
 * bytes. A user id may hold any character (non-Latin-1 letters, CR/LF, commas, `%`), which an HTTP
 * header cannot carry and a query string carries only when encoded; base64url is header-safe,
 * and URL-safe as it stands, so `?after=<the header's value>` works whether a client pastes it as
 * received or URL-encodes it again (encoding leaves its characters unchanged).
 */
export function encodeCursor(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

/** A user id cap (256 characters, up to 3 UTF-8 bytes each) as base64url, with room to spare. */
export const MAX_CURSOR_LENGTH = 1_100;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The user id a cursor names; anything that is not a cursor this server gave is the client's 400. */
export function decodeCursor(cursor: string): string {
  const invalid = () =>
    new AppError('bad_request', 'after must be the X-Next-After header of the previous page, as received');
  if (!BASE64URL.test(cursor) || cursor.length % 4 === 1) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  // Only the canonical form is accepted: one id, one cursor.
  if (bytes.toString('base64url') !== cursor) throw invalid();
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid();
  }
}

/**
 * Code point order: the order SQLite (binary) and PostgreSQL (C collation) sort text in, which
 * UTF-16 `<` differs from only for characters beyond U+FFFF against U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

/**
 * The first `limit` distinct ids of two pages, each already in code point order and starting
 * after the same cursor: one page of their union, as a `UNION … ORDER BY … LIMIT` would give.
 */
export function mergeIdPages(a: readonly string[], b: readonly string[], limit: number): string[] {
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < limit && (i < a.length || j < b.length)) {
    const order = i >= a.length ? 1 : j >= b.length ? -1 : compareCodePoints(a[i]!, b[j]!);
    merged.push(order <= 0 ? a[i]! : b[j]!);
    if (order <= 0) i++;
    if (order >= 0) j++;
  }
  return merged;
}
