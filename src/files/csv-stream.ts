import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/** One CSV record and the line of the file it starts on (1-based, the header is line 1). */
export interface CsvLine {
  line: number;
  fields: string[];
}

/** A record the parser could not read (e.g. a stray quote): skipped, with the line it stopped at. */
export interface CsvSkip {
  line: number;
  message: string;
}

/** What one input chunk completes, in file order: records, and skips (records it could not read). */
export type CsvItem = CsvLine | (CsvSkip & { fields?: undefined });

/** csv-parse's parser core, driven synchronously (what its stream wraps). */
interface ParserCore {
  parse(
    buf: Buffer | undefined,
    end: boolean,
    push: (record: string[]) => void,
    close: () => void,
  ): Error | undefined;
  readonly info: { empty_lines: number };
}

/** Line feeds in a record's fields (quoted newlines): the lines the record spans beyond its first. */
function newlinesIn(record: readonly string[]): number {
  let n = 0;
  for (const field of record) {
    for (let at = field.indexOf('\n'); at >= 0; at = field.indexOf('\n', at + 1)) n++;
  }
  return n;
}

/**
 * Streams a CSV (UTF-8, optional BOM, RFC 4180 quoting) with back-pressure, the records each
 * input chunk completes together (one async step per chunk, not per record): the input is read
 * only as fast as the consumer takes them. Unreadable records come as skips, in file order; an
 * error the parser cannot get past is thrown (its code starts `CSV_`).
 *
 * The parser's core is called directly on each chunk, so a record's line is read from the
 * parser's live counters as it is pushed instead of from a per-record `info` snapshot.
 */
export async function* csvLineGroups(input: Readable): AsyncGenerator<CsvItem[]> {
  let items: CsvItem[] = [];
  let nextLine = 1;
  let emptySeen = 0;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      const lines = (error as { lines?: number } | undefined)?.lines;
      items.push({ line: lines ?? nextLine, message: `invalid CSV: ${error?.message}` });
      return undefined;
    },
  });
  const core = (parser as unknown as { api: ParserCore }).api;
  const push = (record: string[]) => {
    const empty = core.info.empty_lines;
    const line = nextLine + (empty - emptySeen);
    emptySeen = empty;
    nextLine = line + 1 + newlinesIn(record);
    items.push({ line, fields: record });
  };
  const close = () => undefined;
  const take = () => {
    const taken = items;
    items = [];
    return taken;
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const error = core.parse(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, false, push, close);
      if (error) throw error;
      if (items.length > 0) yield take();
    }
    const error = core.parse(undefined, true, push, close);
    if (error) throw error;
    if (items.length > 0) yield take();
  } finally {
    if (!input.destroyed) input.destroy();
  }
}

/**
 * Streams a CSV (UTF-8, optional BOM, RFC 4180 quoting) record by record with back-pressure:
 * the input is read only as fast as the consumer takes records. Unreadable records are
 * reported to `onSkip`; an error the parser cannot get past is thrown (its code starts `CSV_`).
 */
export async function* csvLines(input: Readable, onSkip: (skip: CsvSkip) => void): AsyncGenerator<CsvLine> {
  for await (const group of csvLineGroups(input)) {
    for (const item of group) {
      if (item.fields) yield item;
      else onSkip(item);
    }
  }
}

/** True for the parser's own errors (malformed CSV), as opposed to I/O errors. */
export function isCsvError(error: unknown): boolean {
  return (error as { code?: unknown }).code?.toString().startsWith('CSV_') ?? false;
}
