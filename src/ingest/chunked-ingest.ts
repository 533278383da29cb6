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
