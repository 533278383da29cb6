import type { FileRecordType } from '../domain/records.js';

export type FileKind = 'kpis' | 'survey_data';

export const KPI_COLUMNS = [
  'timestamp',
  'user_id',
  'register_date',
  'churn_date',
  'kpi_id',
  'value',
] as const;
const KPI_REQUIRED = ['user_id', 'kpi_id', 'value'];
const SURVEY_LONG = ['user_id', 'question_id', 'value'];

/** A header that cannot be read as the kind's CSV: the whole file is refused. */
export class HeaderError extends Error {
  override name = 'HeaderError';
}

/** One CSV row turned into records (several for a wide survey row), or a problem with the row. */
export type MappedRow =
  | { records: Record<string, unknown>[] }
  | { error: { field: string | null; message: string } };

export interface RowMapper {
  readonly type: FileRecordType;
  map(fields: readonly string[]): MappedRow;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The header's problems first; then a mapper from rows to records of the kind's type. */
export function rowMapper(kind: FileKind, header: readonly string[]): RowMapper {
  const names = header.map((h) => h.trim());
  const width = names.length;
  const checkWidth = (fields: readonly string[]) =>
    fields.length === width
      ? undefined
      : { error: { field: null, message: `has ${fields.length} fields; the header has ${width}` } };

  if (kind === 'kpis') {
    const missing = KPI_REQUIRED.filter((c) => !names.includes(c));
    if (missing.length > 0) {
      throw new HeaderError(
        `line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}: ` +
          `a KPI CSV starts with the header ${KPI_COLUMNS.join(',')}`,
      );
    }
    if (names.some((n) => n === '')) throw new HeaderError('line 1: the header has an empty column name');
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new HeaderError(`line 1: column "${dup}" appears twice in the header`);
    return {
      type: 'kpis',
      map(fields) {
        const bad = checkWidth(fields);
        if (bad) return bad;
        const record: Record<string, unknown> = {};
        names.forEach((name, i) => {
          const cell = fields[i]!;
          if (cell === '') return;
          record[name] = name === 'value' && NUMBER.test(cell.trim()) ? Number(cell.trim()) : cell;
        });
        return { records: [record] };
      },
    };
  }

  if (!names.includes('user_id')) {
    throw new HeaderError(
      'line 1: missing column "user_id": a survey-data CSV starts with user_id and one column per question, ' +
        'or the header user_id,question_id,value',
    );
  }
  if (names.some((n) => n === '')) throw new HeaderError('line 1: the header has an empty column name');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new HeaderError(`line 1: column "${dup}" appears twice in the header`);
  const long = SURVEY_LONG.every((c) => names.includes(c));
  if (long) {
    return {
      type: 'survey_answers',
      map(fields) {
        const bad = checkWidth(fields);
        if (bad) return bad;
        const record: Record<string, unknown> = {};
        names.forEach((name, i) => {
          if (fields[i] !== '') record[name] = fields[i];
        });
        return { records: [record] };
      },
    };
  }
  const questions = names
    .map((n, i) => [n, i] as const)
    .filter(([n]) => n !== 'user_id' && n !== 'timestamp');
  if (questions.length === 0) {
    throw new HeaderError('line 1: no question columns: add one column per question after user_id');
  }
  const userAt = names.indexOf('user_id');
  const tsAt = names.indexOf('timestamp');
  return {
    type: 'survey_answers',
    map(fields) {
      const bad = checkWidth(fields);
      if (bad) return bad;
      const base: Record<string, unknown> = {};
      if (fields[userAt] !== '') base.user_id = fields[userAt];
      if (tsAt >= 0 && fields[tsAt] !== '') base.timestamp = fields[tsAt];
      // An empty cell is a question the user did not answer.
      const records = questions
        .filter(([, i]) => fields[i] !== '')
        .map(([question_id, i]) => ({ ...base, question_id, value: fields[i] }));
      return { records };
    },
  };
}
