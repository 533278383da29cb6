import type { TObject } from '@sinclair/typebox';
import type { FieldError } from '../errors.js';
import type { RecordTypeDef } from '../domain/records.js';
import { normalizeRecord, type NormalizedRow } from '../events/normalize.js';
import { schemaErrors, withoutNullOptionals } from './validate.js';

export interface CheckedRecords {
  /** Valid records as rows, with their position in the batch. */
  rows: { index: number; row: NormalizedRow }[];
  /** Every problem: one error per record and field, in record order. */
  errors: FieldError[];
}

/**
 * Schema checks then format checks (timestamps, dates, extras) for a batch. Format checks run
 * on schema-invalid records too, so every problem of a record is listed at once.
 */
export function checkRecords(
  def: RecordTypeDef,
  sent: readonly unknown[],
  receivedAt: number,
  schema: TObject = def.schema,
  userField: 'user_id' | 'player_id' = 'user_id',
): CheckedRecords {
  const records = withoutNullOptionals(schema, sent);
  const schemaFailures = schemaErrors(schema, records);
  const failed = new Set(schemaFailures.map((e) => e.index));
  const formatFailures: FieldError[] = [];
  const rows: CheckedRecords['rows'] = [];
  records.forEach((record, index) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return;
    let fields = record as Record<string, unknown>;
    if (userField === 'player_id') {
      const { player_id, ...rest } = fields;
      fields = { ...rest, user_id: player_id };
    }
    const row = normalizeRecord(def, fields, index, receivedAt, formatFailures);
    if (row && !failed.has(index)) rows.push({ index, row });
  });
  return { rows, errors: mergeFieldErrors(schemaFailures, formatFailures, userField) };
}

/** One error per record and field (the schema's word first), in record order. */
function mergeFieldErrors(schema: FieldError[], format: FieldError[], userField: string): FieldError[] {
  const seen = new Set(schema.map((e) => `${e.index}\0${e.field ?? ''}`));
  const extra = format
    .map((e) => (userField === 'player_id' && e.field === 'user_id' ? { ...e, field: 'player_id' } : e))
    .filter((e) => !seen.has(`${e.index}\0${e.field ?? ''}`));
  return [...schema, ...extra].sort((a, b) => a.index - b.index);
}
