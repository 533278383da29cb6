/**
 * Timestamps as the 12traits documents accept them, stored as epoch milliseconds (UTC).
 * Accepted: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 with "T" (or a space), "Z" or an offset, epoch
 * seconds as a number or numeric string, and 13-digit epoch milliseconds.
 */
/** "T" or a space between date and time (RFC 3339; Python's str(datetime), PostgreSQL's text output). */
const DATE_TIME_FORMAT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DATE_FORMAT = /^(\d{4})-(\d{2})-(\d{2})$/;
const EPOCH_TEXT = /^\d{1,13}(\.\d+)?$/;

/** Years outside this range are almost certainly unit mistakes (ms sent as µs, etc.). */
const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1);

export const TIMESTAMP_HINT = 'must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds';

function utc(y: string, mo: string, d: string, h = '0', mi = '0', s = '0', frac = ''): number | undefined {
  const [Y, M, D, H, Mi, S] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || Mi > 59 || S > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(Y, M - 1, D);
  date.setUTCHours(H, Mi, S, Math.floor(Number(`0${frac || '.0'}`) * 1000));
  // Both roll 2019-02-30 over to March: reject dates that do not exist.
  if (date.getUTCFullYear() !== Y || date.getUTCMonth() !== M - 1 || date.getUTCDate() !== D)
    return undefined;
  return date.getTime();
}

function fromEpoch(n: number, digits: number): number {
  return digits >= 13 ? Math.trunc(n) : Math.trunc(n * 1000);
}

/** Parses an accepted timestamp into epoch ms, or undefined when it is not one. */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Digits of `text` from `at` to `at + n`, or -1 when one is not a digit. */
function digits(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The documents' own format, exactly "YYYY-MM-DD HH:MM:SS", read without regexes or string
 * copies: nearly every record carries one, and this is the ingest hot path.
 */
function fastSpaceFormat(text: string): number | undefined {
  if (
    text.length !== 19 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    text[10] !== ' ' ||
    text[13] !== ':' ||
    text[16] !== ':'
  ) {
    return undefined;
  }
  const [y, mo, d, h, mi, s] = [
    digits(text, 0, 4),
    digits(text, 5, 2),
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
  ];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
    return undefined;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const fast = fastSpaceFormat(value);
    if (fast !== undefined) return fast < MAX_MS ? fast : undefined;
  }
  let ms: number | undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    ms = fromEpoch(value, String(Math.trunc(value)).length);
  } else if (typeof value === 'string') {
    const text = value.trim();
    let m: RegExpExecArray | null;
    if (EPOCH_TEXT.test(text)) {
      ms = fromEpoch(Number(text), text.split('.')[0]?.length ?? 0);
    } else if ((m = DATE_TIME_FORMAT.exec(text))) {
      const local = utc(m[1]!, m[2]!, m[3]!, m[4], m[5], m[6] ?? '0', m[7]);
      const offset = offsetMinutes(m[8]);
      ms = local === undefined || offset === undefined ? undefined : local - offset * 60_000;
    } else if ((m = DATE_FORMAT.exec(text))) {
      ms = utc(m[1]!, m[2]!, m[3]!);
    }
  }
  return ms !== undefined && ms >= MIN_MS && ms < MAX_MS ? ms : undefined;
}

/** "Z", "+02:00", "+0200" or "+02" as minutes east of UTC; undefined for an impossible offset. */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** Parses a "YYYY-MM-DD" date; returns the same text when valid. */
export function parseDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE_FORMAT.exec(value.trim());
  if (!m) return undefined;
  return utc(m[1]!, m[2]!, m[3]!) === undefined ? undefined : value.trim();
}

/** Formats epoch ms as "YYYY-MM-DD HH:MM:SS" UTC, the one output format. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** The UTC day ("YYYY-MM-DD") that epoch ms falls on. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
