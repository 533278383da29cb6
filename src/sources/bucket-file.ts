import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/json-depth.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ALL_RECORD_TYPE_DEFS, type RecordTypeDef } from '../domain/records.js';
import { rowMapper, HeaderError, type MappedRow } from '../files/csv-mapping.js';
import { csvLineGroups, isCsvError } from '../files/csv-stream.js';
import {
  ingestChunks,
  lineKeys,
  type FileRow,
  type FileTally,
  type IngestionError,
} from '../ingest/chunked-ingest.js';
import { checkRecords } from '../ingest/check-records.js';
import type { IngestService, PartialIngestResult } from '../ingest/ingest.service.js';
import type { Principal } from '../tenancy/tenancy.service.js';

/** The root folders of the bucket layout; each holds files of one record type, at any depth. */
export const BUCKET_ROOT_FOLDERS = [
  'actions',
  'logins',
  'purchases',
  'kpis',
  'virtual_purchases',
  'level_ups',
  'items',
  'social_dynamics',
] as const;
export type BucketRecordType = (typeof BUCKET_ROOT_FOLDERS)[number];

export type BucketFormat = 'ndjson' | 'csv';

export interface BucketFileKind {
  type: BucketRecordType;
  format: BucketFormat;
  gzip: boolean;
}

/** Records handed to the ingest service at once. */
export const RECORDS_PER_CHUNK = 1000;

/**
 * What a key holds: the record type from its root folder (`purchases/date=2024-01-01/x.json`:
 * purchases), the format from its extension (`.json`/`.ndjson`/`.jsonl`, `.csv`, either + `.gz`).
 * A string says why the key is not a bucket file.
 */
export function classifyKey(key: string): BucketFileKind | string {
  const parts = key.split('/').filter((p) => p !== '');
  const root = parts[0] ?? '';
  if (parts.length < 2 || !(BUCKET_ROOT_FOLDERS as readonly string[]).includes(root)) {
    return `not under a record-type folder (${BUCKET_ROOT_FOLDERS.join('/, ')}/)`;
  }
  let name = parts[parts.length - 1]!.toLowerCase();
  const gzip = name.endsWith('.gz');
  if (gzip) name = name.slice(0, -3);
  const ext = name.slice(name.lastIndexOf('.') + 1);
  const format: BucketFormat | undefined =
    ext === 'json' || ext === 'ndjson' || ext === 'jsonl' ? 'ndjson' : ext === 'csv' ? 'csv' : undefined;
  if (name.lastIndexOf('.') < 0 || !format) {
    return 'not a .json, .ndjson, .jsonl or .csv file (optionally .gz)';
  }
  return { type: root as BucketRecordType, format, gzip };
}

/**
 * The dedupe channel of one version of one file: where it lives (`ObjectSource.location`) and its
 * version (ETag, or size + mtime for a local file). Every channel reading the file (`import`, a
 * connection, a retry) uses it, so the same file version stores nothing twice, whoever reads it.
 */
export function fileDedupeSource(location: string, etag: string): string {
  return `file:${createHash('sha256').update(`${location}\n${etag}`).digest('hex')}`;
}

/**
 * The channel's own dedupe channel of a file version, as Traitforge keyed files before
 * `fileDedupeSource` (per import root or connection): a version already read so is still keyed so.
 */
export function legacyFileDedupeSource(sourceId: string, key: string, etag: string): string {
  return `bucket:${createHash('sha256').update(`${sourceId}\n${key}\n${etag}`).digest('hex')}`;
}

export interface FileIngestResult {
  /** Records stored by this read (a connection test: the valid records). */
  records: number;
  /** Records an earlier read of this file version stored (any channel): not stored again. */
  duplicates: number;
  /** Records of players deleted after the file was written: not stored. */
  withheld: number;
  /** Rows (lines) rejected. */
  rejected: number;
  /** The first row errors, by line. */
  errors: IngestionError[];
}

/** The whole file cannot be read: bad header, broken CSV quoting, corrupt gzip. */
export class FileFormatError extends Error {
  override name = 'FileFormatError';
}

export interface IngestFileRequest {
  ingest: IngestService;
  principal: Principal;
  kind: BucketFileKind;
  input: Readable;
  dedupeSource: string;
  /** The channel's dedupe channel before `fileDedupeSource`: used when it holds this version. */
  legacyDedupeSource?: string;
  /** When the file's records entered the system (its last change): see `WriteBatch.entered`. */
  enteredAt?: number;
  recordsPerChunk?: number;
  /** Told after each chunk is stored: lines read so far and records handled (new, stored before, withheld). */
  onProgress?: (lines: number, records: number) => void;
  /** Check the rows without storing them (a connection test): `records` counts the valid ones. */
  validateOnly?: boolean;
  /** Stop after this many lines (a connection test reads the start of each file). */
  maxLines?: number;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Newline-delimited text with back-pressure (the input is read as lines are taken): the lines
 * each input chunk completes, together, with the number of the first. One yield per chunk rather
 * than per line keeps the async-iteration cost off every row.
 */
async function* textLines(input: Readable): AsyncGenerator<{ first: number; lines: string[] }> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    const lines: string[] = [];
    let from = 0;
    let at: number;
    while ((at = text.indexOf('\n', from)) >= 0) {
      lines.push(text.slice(from, at));
      from = at + 1;
    }
    rest = text.slice(from);
    if (lines.length > 0) {
      yield { first: line + 1, lines };
      line += lines.length;
    }
  }
  rest += decoder.end();
  if (rest !== '') yield { first: line + 1, lines: [rest] };
}

function ndjsonRow(line: number, text: string): FileRow | undefined {
  const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
  if (trimmed === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    return { line, error: { field: null, message: `invalid JSON: ${(error as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, error: { field: null, message: 'invalid JSON: each line must be one JSON object' } };
  }
  // Normalisation and the schema checks recurse: a line nested thousands deep would overflow the stack.
  if (nestsDeeperThan(value)) {
    return {
      line,
      error: { field: null, message: `invalid JSON: nested deeper than ${MAX_JSON_DEPTH} levels` },
    };
  }
  return { line, record: value as Record<string, unknown> };
}

async function* ndjsonRows(input: Readable): AsyncGenerator<FileRow[]> {
  for await (const { first, lines } of textLines(input)) {
    const rows: FileRow[] = [];
    for (let i = 0; i < lines.length; i++) {
      const row = ndjsonRow(first + i, lines[i]!);
      if (row) rows.push(row);
    }
    yield rows;
  }
}

/** A CSV cell as the schema wants it: numbers for number columns, JSON for list/object columns. */
function cellReader(def: RecordTypeDef, name: string): (cell: string) => unknown {
  const schema = (def.schema.properties as Record<string, { type?: unknown } | undefined>)[name];
  const type = schema?.type;
  if (type === 'number' || type === 'integer') {
    return (cell) => {
      const trimmed = cell.trim();
      return NUMBER.test(trimmed) ? Number(trimmed) : cell;
    };
  }
  if (type === 'array' || type === 'object') {
    return (cell) => {
      try {
        const value = JSON.parse(cell) as unknown;
        // Too deep to check safely: kept as text, which the schema refuses for this column.
        return nestsDeeperThan(value) ? cell : value;
      } catch {
        return cell;
      }
    };
  }
  return (cell) => cell;
}

/** A CSV header's column names as record fields, each cell read by its column's schema. */
function csvMapper(def: RecordTypeDef, header: readonly string[]): (fields: readonly string[]) => MappedRow {
  if (def.type === 'kpis') {
    const mapper = rowMapper('kpis', header);
    return (fields) => mapper.map(fields);
  }
  const names = header.map((h) => h.trim());
  if (names.some((n) => n === '')) throw new HeaderError('line 1: the header has an empty column name');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new HeaderError(`line 1: column "${dup}" appears twice in the header`);
  const readers = names.map((n) => cellReader(def, n));
  return (fields) => {
    if (fields.length !== names.length) {
      return {
        error: { field: null, message: `has ${fields.length} fields; the header has ${names.length}` },
      };
    }
    const record: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      if (fields[i] !== '') record[names[i]!] = readers[i]!(fields[i]!);
    }
    return { records: [record] };
  };
}

async function* csvRows(input: Readable, def: RecordTypeDef): AsyncGenerator<FileRow[]> {
  let map: ((fields: readonly string[]) => MappedRow) | undefined;
  let rows: FileRow[] = [];
  try {
    for await (const group of csvLineGroups(input)) {
      for (const item of group) {
        const { line, fields } = item;
        if (!fields) {
          rows.push({ line, error: { field: null, message: item.message } });
          continue;
        }
        if (!map) {
          map = csvMapper(def, fields);
          continue;
        }
        const mapped = map(fields);
        if ('error' in mapped) rows.push({ line, error: mapped.error });
        else for (const record of mapped.records) rows.push({ line, record });
      }
      yield rows;
      rows = [];
    }
  } catch (error) {
    // The rows read before the problem are still stored.
    yield rows;
    throw error;
  }
  if (!map) throw new HeaderError('line 1: the file has no header line');
}

/** What storing would reject, without storing: a connection test's check of a file. */
function validated(def: RecordTypeDef, records: readonly unknown[]): PartialIngestResult {
  const { rows, errors } = checkRecords(def, records, Date.now());
  return { written: rows.length, duplicates: 0, withheld: 0, rejected: errors };
}

function decompressed(input: Readable, gzip: boolean): Readable {
  if (!gzip) return input;
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => input.destroy());
  return input.pipe(gunzip);
}

/** The dedupe key of a file's chunk `n` (from 0), which holds the rows of lines `first` to `last`. */
export function chunkKey(n: number, first: number, last: number): string {
  return `chunk:${n}:${first}-${last}`;
}

/** A read that failed this way fails the same way at the same place when the file is read again. */
function failsAlike(error: unknown): boolean {
  return error instanceof HeaderError || isCsvError(error);
}

/**
 * Streams one bucket file into the ingest service in chunks: each chunk is keyed
 * `chunk:<n>:<first line>-<last line>` in the file's dedupe channel and stored with its key in
 * one transaction, so reading a file again (a retry, a worker restarted mid-file) stores nothing
 * twice. The chunks of a file version are always the same: `recordsPerChunk` records, cut by
 * the same rule. A channel an earlier version keyed line by line (`line:<n>`) is still keyed so.
 * Rejected rows are counted and the first kept with their lines; a file that cannot be read at
 * all throws `FileFormatError` after storing the rows before the problem. A read that fails
 * otherwise (I/O) stores whole chunks only: the retry reads the same chunks again.
 *
 * The read loop is the uploads' (`ingestChunks`); what is particular to bucket files is how a
 * re-read finds what is stored: by the chunk's key.
 */
export async function ingestFile(request: IngestFileRequest): Promise<FileIngestResult> {
  const { ingest, principal, kind } = request;
  const def = ALL_RECORD_TYPE_DEFS[kind.type];
  const perChunk = request.recordsPerChunk ?? RECORDS_PER_CHUNK;
  let perLine = false;
  let dedupeSource = request.dedupeSource;
  if (!request.validateOnly) {
    try {
      const legacy = request.legacyDedupeSource;
      if (legacy !== undefined && (await ingest.hasDedupeKey(principal, legacy, ''))) dedupeSource = legacy;
      perLine = await ingest.hasDedupeKey(principal, dedupeSource, 'line:');
    } catch (error) {
      request.input.destroy();
      throw error;
    }
  }
  const input = decompressed(request.input, kind.gzip);
  const tally: FileTally = { written: 0, duplicates: 0, withheld: 0, rejected: 0, errors: [] };
  try {
    await ingestChunks({
      rows: kind.format === 'csv' ? csvRows(input, def) : ndjsonRows(input),
      perChunk,
      tally,
      ...(request.maxLines === undefined ? {} : { maxLines: request.maxLines }),
      store: (records, lines, { n, first, last }) =>
        request.validateOnly
          ? Promise.resolve(validated(def, records))
          : ingest.ingestValid({
              principal,
              def,
              records,
              dedupeSource,
              ...(perLine ? { dedupeKeys: lineKeys(lines) } : { dedupeBatchKey: chunkKey(n, first, last) }),
              ...(request.enteredAt === undefined ? {} : { entered: { at: request.enteredAt } }),
            }),
      stored: (_rows, { last }) =>
        request.onProgress?.(last, tally.written + tally.duplicates + tally.withheld),
      storePartial: (error) => perLine || failsAlike(error),
    });
  } catch (error) {
    if (error instanceof HeaderError) throw new FileFormatError(error.message);
    if (isCsvError(error)) throw new FileFormatError(`invalid CSV: ${(error as Error).message}`);
    const code = (error as { code?: unknown }).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
      throw new FileFormatError(`invalid gzip: ${(error as Error).message}`);
    }
    throw error;
  }
  const { written, ...rest } = tally;
  return { records: written, ...rest };
}
