/**
 * Rows for `COPY … FROM STDIN` in PostgreSQL's text format (tab-separated, `\N` for NULL,
 * backslash escapes). Cheaper to build than CSV: JSON columns are full of double quotes, which
 * CSV must double, while text only escapes backslashes and control characters, rare in both.
 */
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field: `\N` for NULL, numbers as digits, text with its backslashes and control characters escaped. */
export function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}

/** One row, newline-terminated. */
export function copyLine(values: readonly (string | number | null)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += copyField(values[i]);
  }
  return line + '\n';
}
