import { pipeline, Transform, type Readable } from 'node:stream';
import type { IngestService } from '../ingest/ingest.service.js';
import type { Principal } from '../tenancy/tenancy.service.js';
import {
  BUCKET_ROOT_FOLDERS,
  FileFormatError,
  classifyKey,
  fileDedupeSource,
  ingestFile,
  legacyFileDedupeSource,
  type BucketRecordType,
  type FileIngestResult,
} from './bucket-file.js';
import type { ObjectInfo, ObjectSource } from './object-source.js';

/** Errors kept in a summary, across its files. */
export const MAX_SUMMARY_ERRORS = 100;

export interface ImportError {
  file: string;
  /** The line of a rejected row; null when the whole file failed. */
  line: number | null;
  field: string | null;
  message: string;
}

export interface ImportSummary {
  files_ingested: number;
  /** Records stored by this import or sync: new. */
  records_ingested: number;
  /** Records of the files that an earlier read stored (any channel: import, connection): kept once. */
  records_already_stored: number;
  /** Records of players deleted (`DELETE /v1/userData`) after the file was written: not stored. */
  records_withheld: number;
  files_failed: number;
  errors: ImportError[];
}

export interface ImportRequest {
  source: ObjectSource;
  /**
   * The channel (`local:<root>`, `connection:<id>`): names the dedupe channels files were keyed
   * in before they were keyed by location (`legacyFileDedupeSource`).
   */
  sourceId: string;
  ingest: IngestService;
  principal: Principal;
  /** Only these keys (e.g. one file); default: every root folder of the layout. */
  keys?: readonly string[];
  /** Only these root folders; default: all of them. */
  folders?: readonly BucketRecordType[];
  /** Skip an object (e.g. already ingested by path + ETag); default: ingest all. */
  isNew?: (object: ObjectInfo) => Promise<boolean>;
  /** Told after each file, ingested or failed. */
  onFile?: (object: ObjectInfo, outcome: FileIngestResult | Error) => Promise<void> | void;
  /** Told as records are handled (stored, already stored, withheld): totals over the whole import. */
  onProgress?: (records: number) => void;
  /** Told as file bytes are read (as stored: compressed for .gz): totals over the whole import. */
  onBytes?: (bytes: number) => void;
  recordsPerChunk?: number;
}

/** The stream with its bytes counted as the reader takes them (back-pressure kept). */
function counted(input: Readable, onChunk: (bytes: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onChunk(chunk.length);
      done(null, chunk);
    },
  });
  pipeline(input, counter, () => undefined);
  return counter;
}

/** Marker files of Spark/Hive exports (`_SUCCESS`) and hidden files are not data. */
const isMarker = (key: string) => /(^|\/)[_.][^/]*$/.test(key);

async function* layoutObjects(
  source: ObjectSource,
  folders: readonly BucketRecordType[],
): AsyncGenerator<ObjectInfo> {
  for (const folder of folders) yield* source.list(`${folder}/`);
}

/**
 * Ingests every file of a source in the bucket layout, one file at a time (each streamed with
 * back-pressure). A file that cannot be read is counted as failed and the import goes on.
 */
export async function importObjects(request: ImportRequest): Promise<ImportSummary> {
  const summary: ImportSummary = {
    files_ingested: 0,
    records_ingested: 0,
    records_already_stored: 0,
    records_withheld: 0,
    files_failed: 0,
    errors: [],
  };
  const handled = () => summary.records_ingested + summary.records_already_stored + summary.records_withheld;
  const addError = (e: ImportError) => {
    if (summary.errors.length < MAX_SUMMARY_ERRORS) summary.errors.push(e);
  };
  let bytes = 0;
  const onChunk =
    request.onBytes &&
    ((n: number) => {
      request.onBytes!((bytes += n));
    });
  const objects: AsyncIterable<ObjectInfo> = request.keys
    ? (async function* () {
        for (const key of request.keys!) {
          let found = false;
          for await (const object of request.source.list(key)) {
            if (object.key !== key) continue;
            found = true;
            yield object;
          }
          if (!found) yield { key, etag: '', size: -1 };
        }
      })()
    : layoutObjects(request.source, request.folders ?? BUCKET_ROOT_FOLDERS);

  for await (const object of objects) {
    if (!request.keys && isMarker(object.key)) continue;
    if (request.isNew && !(await request.isNew(object))) continue;
    const kind = classifyKey(object.key);
    let outcome: FileIngestResult | Error;
    if (object.size < 0) {
      outcome = new Error('no such file');
    } else if (typeof kind === 'string') {
      outcome = new FileFormatError(kind);
    } else {
      const before = handled();
      try {
        outcome = await ingestFile({
          ingest: request.ingest,
          principal: request.principal,
          kind,
          input: onChunk
            ? counted(await request.source.open(object.key), onChunk)
            : await request.source.open(object.key),
          dedupeSource: fileDedupeSource(request.source.location(object.key), object.etag),
          legacyDedupeSource: legacyFileDedupeSource(request.sourceId, object.key, object.etag),
          // Its last change, never later than now (a clock ahead must not let old records in).
          enteredAt: Math.min(object.modifiedAt ?? Date.now(), Date.now()),
          ...(request.recordsPerChunk ? { recordsPerChunk: request.recordsPerChunk } : {}),
          onProgress: (_lines, records) => request.onProgress?.(before + records),
        });
      } catch (error) {
        outcome = error instanceof Error ? error : new Error(String(error));
      }
    }
    if (outcome instanceof Error) {
      summary.files_failed++;
      addError({ file: object.key, line: null, field: null, message: outcome.message });
    } else {
      summary.files_ingested++;
      summary.records_ingested += outcome.records;
      summary.records_already_stored += outcome.duplicates;
      summary.records_withheld += outcome.withheld;
      for (const e of outcome.errors) addError({ file: object.key, ...e });
    }
    request.onProgress?.(handled());
    await request.onFile?.(object, outcome);
  }
  return summary;
}
