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

/**
 * Streams a CSV (UTF-8, optional BOM, RFC 4180 quoting) record by record with back-pressure:
 * the input is read only as fast as the consumer takes records. Unreadable records are
 * reported to `onSkip`; an error the parser cannot get past is thrown (its code starts `CSV_`).
 */
export async function* csvLines(input: Readable, onSkip: (skip: CsvSkip) => void): AsyncGenerator<CsvLine> {
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
  });
  let nextLine = 1;
  let emptySeen = 0;
  parser.on('skip', (error: Error & { lines?: number }) => {
    onSkip({ line: error.lines ?? nextLine, message: `invalid CSV: ${error.message}` });
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { empty_lines: number } }>) {
      const { record, info } = item;
      const line = nextLine + (info.empty_lines - emptySeen);
      emptySeen = info.empty_lines;
      nextLine = line + 1 + record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
      yield { line, fields: record };
    }
  } finally {
    if (!input.destroyed) input.destroy();
  }
}

/** True for the parser's own errors (malformed CSV), as opposed to I/O errors. */
export function isCsvError(error: unknown): boolean {
  return (error as { code?: unknown }).code?.toString().startsWith('CSV_') ?? false;
}
