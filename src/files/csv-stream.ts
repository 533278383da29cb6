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

const PARSER_OPTIONS = {
  bom: true,
  relax_column_count: true,
  skip_empty_lines: true,
  skip_records_with_error: true,
} as const;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Streams a CSV (UTF-8, optional BOM, RFC 4180 quoting) with back-pressure, the records each
 * input chunk completes together (one async step per chunk, not per record): the input is read
 * only as fast as the consumer takes them. Unreadable records come as skips, in file order; an
 * error the parser cannot get past is thrown (its code starts `CSV_`).
 *
 * Two readers, one result. While the file has neither a quote nor a carriage return (most
 * exports), its lines are split on line feeds and commas directly, which is exactly what
 * csv-parse makes of such text. From the first input chunk holding either, csv-parse reads the
 * rest: its core is called directly on each chunk, so a record's line is read from the parser's
 * live counters as it is pushed instead of from a per-record `info` snapshot. A parser taking
 * over after N lines is first given N empty lines, so its line counts (in its messages too) and
 * its record delimiter (a line feed, as it would have found) are those of a parser that read
 * the file from the start.
 */
export async function* csvLineGroups(input: Readable): AsyncGenerator<CsvItem[]> {
  let items: CsvItem[] = [];
  let nextLine = 1;
  let emptySeen = 0;
  /** Fast reader: the lines read so far, and the bytes of the line not yet complete. */
  let linesRead = 0;
  let partial: Buffer | undefined;
  let started = false;
  let core: ParserCore | undefined;

  const push = (record: string[]) => {
    const empty = core!.info.empty_lines;
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
  /** csv-parse from here on, as if it had read the `linesRead` lines before. */
  const takeOver = (): ParserCore => {
    const parser = parse({
      ...PARSER_OPTIONS,
      on_skip: (error) => {
        const lines = (error as { lines?: number } | undefined)?.lines;
        items.push({ line: lines ?? nextLine, message: `invalid CSV: ${error?.message}` });
        return undefined;
      },
    });
    const taken = (parser as unknown as { api: ParserCore }).api;
    if (linesRead > 0) {
      const error = taken.parse(Buffer.alloc(linesRead, LF), false, push, close);
      if (error) throw error;
      // Each of them counts as an empty line, the last once the parser has seen what follows it.
      nextLine = linesRead + 1;
      emptySeen = linesRead;
    }
    return taken;
  };
  /** Fast reader: the records of complete lines, `text` ending with a line feed. */
  const splitLines = (text: string) => {
    let from = 0;
    let at: number;
    while ((at = text.indexOf('\n', from)) >= 0) {
      linesRead++;
      if (at > from) items.push({ line: linesRead, fields: text.slice(from, at).split(',') });
      from = at + 1;
    }
  };

  try {
    for await (const read of input as AsyncIterable<Buffer | string>) {
      let chunk = typeof read === 'string' ? Buffer.from(read) : read;
      if (!started && !core) {
        started = true;
        // csv-parse reads a BOM from the first 3 bytes: a UTF-8 one is dropped; others, or a
        // shorter first chunk, are left to it.
        if (chunk.length >= 3 && chunk.subarray(0, 3).equals(UTF8_BOM)) chunk = chunk.subarray(3);
        else if (chunk.length < 3 || chunk[0] === 0xfe || chunk[0] === 0xff) core = takeOver();
      }
      if (!core && (chunk.includes(QUOTE) || chunk.includes(CR))) {
        core = takeOver();
        if (partial) chunk = Buffer.concat([partial, chunk]);
        partial = undefined;
      }
      if (core) {
        const error = core.parse(chunk, false, push, close);
        if (error) throw error;
      } else {
        const end = chunk.lastIndexOf(LF);
        if (end < 0) {
          partial = partial ? Buffer.concat([partial, chunk]) : chunk;
          continue;
        }
        const complete = partial
          ? Buffer.concat([partial, chunk.subarray(0, end + 1)])
          : chunk.subarray(0, end + 1);
        partial = end + 1 < chunk.length ? chunk.subarray(end + 1) : undefined;
        splitLines(complete.toString('utf8'));
      }
      if (items.length > 0) yield take();
    }
    if (core) {
      const error = core.parse(undefined, true, push, close);
      if (error) throw error;
    } else if (partial) {
      splitLines(`${partial.toString('utf8')}\n`);
    }
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
