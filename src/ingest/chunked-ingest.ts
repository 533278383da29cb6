import type { PartialIngestResult } from './ingest.service.js';

/** A rejected row of a file, by its line (1-based, the header included). */
export interface IngestionError {
  line: number;
  field: string | null;
  message: string;
}

/** The first errors of a file kept for its status: enough to fix the file, bounded in size. */
export const MAX_FILE_ERRORS = 20;

/** One chunk of a file's rows: the records read with their lines, and the rows already refused. */
export interface FileChunk {
  records: Record<string, unknown>[];
  /** The line of each record (parallel to `records`; a line may make several records). */
  lines: number[];
  /** Rows refused before ingestion (unreadable, unmappable). */
  rowErrors: IngestionError[];
}

/** A file's running totals across its chunks. */
export interface FileTally {
  written: number;
  /** Records stored before (their dedupe key was recorded): not stored again. */
  duplicates: number;
  withheld: number;
  /** Rows (lines) refused: a row is refused when it, or any record made of it, is invalid. */
  rejected: number;
  /** The first refused rows, in line order, at most MAX_FILE_ERRORS. */
  errors: IngestionError[];
}

/**
 * The step both file channels (CSV uploads, bucket files) take per chunk: hand the chunk's
 * records to `store` (the ingest service's `ingestValid` with the channel's dedupe keys), then
 * turn its refusals back into lines and add everything to the tally.
 */
export async function ingestChunk(
  chunk: FileChunk,
  tally: FileTally,
  store: (records: Record<string, unknown>[]) => Promise<PartialIngestResult>,
): Promise<void> {
  const rowErrors = [...chunk.rowErrors];
  if (chunk.records.length > 0) {
    const stored = await store(chunk.records);
    tally.written += stored.written;
    tally.duplicates += stored.duplicates;
    tally.withheld += stored.withheld;
    for (const e of stored.rejected)
      rowErrors.push({ line: chunk.lines[e.index]!, field: e.field, message: e.message });
  }
  tally.rejected += new Set(rowErrors.map((e) => e.line)).size;
  rowErrors.sort((a, b) => a.line - b.line);
  for (const e of rowErrors) if (tally.errors.length < MAX_FILE_ERRORS) tally.errors.push(e);
}

/** What a file channel read at one line: a record made of it, or why the line is refused. */
export interface FileRow {
  /** 1-based, the header included; the records of one line are consecutive rows. */
  line: number;
  record?: Record<string, unknown>;
  error?: { field: string | null; message: string };
}

/** A chunk handed to the store: its number in the file (from 0) and the lines of its rows. */
export interface ChunkPlace {
  n: number;
  first: number;
  last: number;
}

/**
 * How the two file channels read a file in chunks, and the one thing they do differently:
 * where a file read again (a retry, a worker killed mid-file) starts.
 * - An upload saves its progress (rows done) with each chunk and a new attempt starts after
 *   it (`resumeAfterRows`); its rows are keyed by line, which covers the chunk stored after
 *   the last save.
 * - A bucket file is read whole again (`resumeAfterRows` 0): its chunks are the same at
 *   every read (the cut below depends on the rows only), so each chunk's key finds it stored.
 */
export interface ChunkLoop {
  /** The file's rows, in line order, in groups (as read: the loop takes no async step per row). */
  rows: AsyncIterable<readonly FileRow[]>;
  /** A chunk ends before a new line once it holds this many records, or this many refused rows. */
  perChunk: number;
  tally: FileTally;
  /** Lines with rows stored by an earlier attempt: passed over, neither stored nor tallied. */
  resumeAfterRows?: number;
  /** Stop reading after this line (a connection test reads the start of each file). */
  maxLines?: number;
  /** Stores a chunk's records: `ingestValid` with the channel's dedupe keys (`lineKeys`, or one per chunk). */
  store(
    records: Record<string, unknown>[],
    lines: readonly number[],
    place: ChunkPlace,
  ): Promise<PartialIngestResult>;
  /** After each chunk is stored and tallied, in order: the lines with rows read so far (the upload's progress). */
  stored?(rowsRead: number, place: ChunkPlace): Promise<void> | void;
  /**
   * A read that failed: whether the rows read since the last chunk are stored as a chunk. Yes
   * when a new read would fail at the same place (the rows before a malformed line), or when
   * rows are keyed by line; otherwise a new read may find more rows for that chunk, which it
   * stores then, whole.
   */
  storePartial(error: unknown): boolean;
}

/**
 * The one read loop of the file channels: cuts the rows into chunks and hands each to
 * `ingestChunk`. The next chunk is read while the one before is stored (one write in flight,
 * chunks stored in order), so reading and writing overlap instead of taking turns. A failed
 * read stores what `storePartial` allows, waits for the write in flight and rethrows.
 */
export async function ingestChunks(loop: ChunkLoop): Promise<void> {
  const skip = loop.resumeAfterRows ?? 0;
  let chunk: FileChunk = { records: [], lines: [], rowErrors: [] };
  let first = 0;
  let last = 0;
  let n = 0;
  /** Lines with rows, read so far (those passed over included). */
  let rowsRead = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;

  const settle = async () => {
    await inFlight;
    if (failure) throw failure.error;
  };
  const flush = async () => {
    await settle();
    if (first === 0) return;
    const place = { n: n++, first, last };
    const taken = chunk;
    const read = rowsRead;
    inFlight = ingestChunk(taken, loop.tally, (records) => loop.store(records, taken.lines, place))
      .then(() => loop.stored?.(read, place))
      .catch((error: unknown) => {
        failure = { error };
      });
    chunk = { records: [], lines: [], rowErrors: [] };
    first = 0;
  };

  try {
    reading: for await (const group of loop.rows) {
      for (const row of group) {
        if (loop.maxLines !== undefined && row.line > loop.maxLines) break reading;
        if (row.line !== last) {
          const full = chunk.records.length >= loop.perChunk || chunk.rowErrors.length >= loop.perChunk;
          if (full) await flush();
          rowsRead++;
          last = row.line;
        }
        if (rowsRead <= skip) continue;
        if (first === 0) first = row.line;
        if (row.error) chunk.rowErrors.push({ line: row.line, ...row.error });
        else {
          chunk.lines.push(row.line);
          chunk.records.push(row.record!);
        }
      }
    }
  } catch (error) {
    if (loop.storePartial(error)) await flush();
    await settle();
    throw error;
  }
  await flush();
  await settle();
}

/** Each row's dedupe key: `line:<n>`, or `line:<n>:<i>` where one line made several records. */
export function lineKeys(lines: readonly number[]): string[] {
  let repeated = false;
  for (let i = 1; i < lines.length && !repeated; i++) repeated = lines[i] === lines[i - 1];
  if (!repeated) return lines.map((line) => `line:${line}`);
  const counts = new Map<number, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  const seen = new Map<number, number>();
  return lines.map((line) => {
    const i = seen.get(line) ?? 0;
    seen.set(line, i + 1);
    return counts.get(line) === 1 ? `line:${line}` : `line:${line}:${i}`;
  });
}
