/** One row in PostgreSQL's COPY CSV format: NULL is an empty unquoted field, text is always quoted. */
export function csvLine(values: readonly (string | number | null)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) line += ',';
    if (v === null || v === undefined) continue;
    line += typeof v === 'number' ? String(v) : `"${v.replaceAll('"', '""')}"`;
  }
  return line + '\n';
}
