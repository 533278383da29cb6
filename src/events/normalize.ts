import type { FieldError } from '../errors.js';
import type { RecordTypeDef } from '../domain/records.js';
import { parseDate, parseTimestamp, TIMESTAMP_HINT } from '../domain/timestamp.js';

/** A schema-valid record reduced to what the store writes: typed columns and the rest as JSON. */
export interface NormalizedRow {
  userId: string | null;
  /** Event time, epoch ms (the batch's arrival time when the record had none). */
  ts: number;
  /** Typed column values, in the order of the type's `columns`. */
  values: (string | number | null)[];
  /** Unknown fields, kept as a JSON object text, or null. */
  extra: string | null;
}

export const MAX_EXTRA_BYTES = 16 * 1024;
export const MAX_EXTRA_DEPTH = 8;
const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  for (const v of Object.values(value)) max = Math.max(max, depth(v));
  return max + 1;
}

/** Turns one schema-valid record into a row, or pushes the field errors schema checks cannot see. */
/** PostgreSQL text cannot hold U+0000: refused on every backend rather than stored on one only. */
const hasNul = (value: unknown) => typeof value === 'string' && value.includes('\u0000');

const KNOWN = new WeakMap<RecordTypeDef, ReadonlySet<string>>();

/** The fields a type stores in columns; everything else is kept as `extra`. */
function knownFields(def: RecordTypeDef): ReadonlySet<string> {
  let known = KNOWN.get(def);
  if (!known) {
    known = new Set([...(def.userScoped ? ['timestamp', 'user_id'] : []), ...def.columns.map((c) => c.name)]);
    KNOWN.set(def, known);
  }
  return known;
}

export function normalizeRecord(
  def: RecordTypeDef,
  record: Record<string, unknown>,
  index: number,
  receivedAt: number,
  errors: FieldError[],
): NormalizedRow | undefined {
  const before = errors.length;
  let ts = receivedAt;
  // Items are catalogue rows, not events: a `timestamp` on one is an unknown field like any other.
  const timed = def.userScoped;
  if (timed && record.timestamp !== undefined && record.timestamp !== null && record.timestamp !== '') {
    const parsed = parseTimestamp(record.timestamp);
    if (parsed === undefined) errors.push({ index, field: 'timestamp', message: TIMESTAMP_HINT });
    else ts = parsed;
  }
  if (timed && hasNul(record.user_id)) errors.push({ index, field: 'user_id', message: NUL_MESSAGE });
  const values = def.columns.map(({ name, kind }) => {
    const value = record[name];
    if (value === undefined || value === null) return null;
    switch (kind) {
      case 'json':
        return JSON.stringify(value);
      case 'timestamp': {
        if (value === '') return null;
        const parsed = parseTimestamp(value);
        if (parsed === undefined) errors.push({ index, field: name, message: TIMESTAMP_HINT });
        return parsed ?? null;
      }
      case 'date': {
        if (value === '') return null;
        const parsed = parseDate(value);
        if (parsed === undefined)
          errors.push({ index, field: name, message: 'must be a date: "YYYY-MM-DD"' });
        return parsed ?? null;
      }
      default:
        if (hasNul(value)) {
          errors.push({ index, field: name, message: NUL_MESSAGE });
          return null;
        }
        return name === 'country' && typeof value === 'string'
          ? value.toUpperCase()
          : (value as string | number);
    }
  });

  let extra: string | null = null;
  // The hot path (a record with only known fields) allocates nothing here.
  const known = knownFields(def);
  let rest: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    if (known.has(key)) continue;
    rest ??= {};
    rest[key] = record[key];
  }
  if (rest !== undefined) {
    extra = JSON.stringify(rest);
    if (Buffer.byteLength(extra, 'utf8') > MAX_EXTRA_BYTES) {
      errors.push({
        index,
        field: null,
        message: `unknown fields must total at most ${MAX_EXTRA_BYTES} bytes`,
      });
    } else if (depth(rest) > MAX_EXTRA_DEPTH) {
      errors.push({
        index,
        field: null,
        message: `unknown fields must nest at most ${MAX_EXTRA_DEPTH} levels`,
      });
    }
  }
  if (errors.length > before) return undefined;
  return { userId: def.userScoped ? (record.user_id as string) : null, ts, values, extra };
}
