/**
 * The one place where values become ClickHouse SQL text. ClickHouse 18.16 has no server-side
 * query parameters (`{name:Type}` arrived in 19.x), so every value a query carries is written
 * as a literal here, and every query is built with the `chSql` tag below: a value interpolated
 * anywhere else would be an injection waiting to happen.
 */

/** A value `chSql` writes as a literal. Arrays become `[…]` (for `IN` and `has`). */
export type LiteralValue = string | number | bigint | boolean | null | readonly LiteralValue[];

/** SQL text that `chSql` inserts verbatim: identifiers (`identifier`) and nested fragments. */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/**
 * A string literal. Inside single quotes ClickHouse reads backslash escapes, so the backslash
 * and the quote are escaped; control characters are written as `\xHH` so no byte of the value
 * can end the statement or be mangled on the way (both readers, 18.16 and 25.x, accept them).
 */
export function stringLiteral(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `'${value.replace(/[\\'\u0000-\u001f\u007f]/g, (c) =>
    c === '\\' || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )}'`;
}

/** A number literal: integers exactly, floats in the shortest text that reads back the same. */
export function numberLiteral(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  // 18.16's parser refuses subnormal numbers (5e-324 underflows its strtod) and its text-to-float
  // conversion rounds them to 0: written as an exact product of a normal number and a power of 2.
  if (value !== 0 && Math.abs(value) < MIN_NORMAL)
    return `(${numberLiteral(value * 2 ** 600)} * ${2 ** -600})`;
  // Parenthesized so that `x - -1` or `-1` after an operator never reads as something else.
  return value < 0 || Object.is(value, -0) ? `(${String(value)})` : String(value);
}

const MIN_NORMAL = 2.2250738585072014e-308;

export function literal(value: LiteralValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'bigint') return numberLiteral(value);
  return `[${value.map(literal).join(', ')}]`;
}

/**
 * A value as a field of `FORMAT TabSeparated` (the rows of an INSERT): NULL as `\N`; in text,
 * the backslash and the characters that would end the field or the row (tab, newline, carriage
 * return, NUL) as backslash escapes, which ClickHouse reads back (18.16 and 25.x alike); numbers
 * in the shortest text that reads back the same, as JSON writes them (and NULL when not finite).
 */
export function tsvField(value: unknown): string {
  if (typeof value === 'string')
    return TSV_SPECIAL.test(value) ? value.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c]!) : value;
  // Not finite: NULL, as JSON writes it.
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '\\N';
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value.toString();
  throw new TypeError(`no TabSeparated form for a ${typeof value}`);
}

// eslint-disable-next-line no-control-regex
const TSV_SPECIAL = /[\\\t\n\r\u0000]/;
// eslint-disable-next-line no-control-regex
const TSV_SPECIAL_ALL = /[\\\t\n\r\u0000]/g;
const TSV_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\u0000': '\\0',
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A table, column or database name. Only plain names are accepted (they come from our schema
 * and the operator's URL): refusing the rest is simpler and safer than quoting them.
 */
export function identifier(name: string): SqlFragment {
  if (!IDENTIFIER.test(name))
    throw new RangeError(`not a plain ClickHouse identifier: ${JSON.stringify(name)}`);
  return new SqlFragment(name);
}

/** Raw SQL text known at build time (a keyword, a column list built from identifiers). */
export function raw(text: string): SqlFragment {
  return new SqlFragment(text);
}

/** Joins fragments and literals with a separator: `join([a, b], ', ')`. */
export function join(parts: readonly (SqlFragment | LiteralValue)[], separator = ', '): SqlFragment {
  return new SqlFragment(parts.map((p) => (p instanceof SqlFragment ? p.text : literal(p))).join(separator));
}

/** The right side of `IN`: `('a', 'b')` (18.16 reads an array there as one value). Never empty. */
export function inList(values: readonly LiteralValue[]): SqlFragment {
  if (values.length === 0) throw new RangeError('IN needs at least one value');
  return new SqlFragment(`(${values.map(literal).join(', ')})`);
}

/**
 * Builds a statement: each interpolated value is written as a literal, fragments verbatim.
 * `chSql\`SELECT count() FROM ${identifier(t)} WHERE dashboard_id = ${id}\``
 */
export function chSql(strings: TemplateStringsArray, ...values: (SqlFragment | LiteralValue)[]): SqlFragment {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += (value instanceof SqlFragment ? value.text : literal(value)) + (strings[i + 1] ?? '');
  });
  return new SqlFragment(text);
}
