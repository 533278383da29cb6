/**
 * Cells of every CSV the product writes. RFC 4180 quoting, and formula neutralisation (OWASP
 * "CSV injection"): a text cell starting with `=`, `+`, `-`, `@`, tab or carriage return is
 * run as a formula by spreadsheet programs, so it gets a leading `'`, which they show as text.
 * The values written are often players' ids, which anyone holding a client key (shipped inside
 * game builds) chooses. Numbers the server computed are written as they are.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of cells, ending in a line feed. */
export function csvRow(values: readonly (string | number)[]): string {
  return `${values.map(csvCell).join(',')}\n`;
}
