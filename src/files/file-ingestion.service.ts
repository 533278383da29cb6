import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { FILE_RECORD_TYPE_DEFS, type Environment } from '../domain/records.js';
import { formatTimestamp } from '../domain/timestamp.js';
import { AppError } from '../errors.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { Job, JobQueue } from '../jobs/job-queue.js';
import {
  JobInterruptedError,
  PermanentJobError,
  type JobContext,
  type JobHandler,
} from '../jobs/job-worker.js';
import type { Database, IngestionStatus } from '../store/database.js';
import {
  ingestChunks,
  lineKeys,
  type FileRow,
  type FileTally,
  type IngestionError,
} from '../ingest/chunked-ingest.js';
import type { Principal } from '../tenancy/tenancy.service.js';
import { HeaderError, rowMapper, type FileKind, type RowMapper } from './csv-mapping.js';
import { csvLineGroups, isCsvError } from './csv-stream.js';

export const CSV_INGESTION_JOB = 'csv_ingestion';
export const DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

/**
 * An upload's rows: the header picks the mapper (told to `onHeader`), then each line's records,
 * or why the line is refused (unreadable, unmappable). A file without a header line throws.
 */
async function* uploadRows(
  input: Readable,
  kind: FileKind,
  onHeader: (mapper: RowMapper) => void,
): AsyncGenerator<FileRow[]> {
  let mapper: RowMapper | undefined;
  for await (const group of csvLineGroups(input)) {
    const rows: FileRow[] = [];
    for (const item of group) {
      const { line, fields } = item;
      if (!fields) rows.push({ line, error: { field: null, message: item.message } });
      else if (!mapper) onHeader((mapper = rowMapper(kind, fields)));
      else {
        const mapped = mapper.map(fields);
        if ('error' in mapped) rows.push({ line, error: mapped.error });
        else for (const record of mapped.records) rows.push({ line, record });
      }
    }
    yield rows;
  }
  if (!mapper) throw new HeaderError('line 1: the file has no header line');
}

/** Uploads are stored in pieces of this size. */
const STORED_CHUNK_BYTES = 1024 * 1024;
/** Records (or refused rows) per chunk handed to the ingest service; progress is saved after each. */
const ROWS_PER_CHUNK = 1000;
/** The principal a job acts as: the upload's dashboard and environment, not a live key. */
const KEY_ID = 'csv-upload';
/** For `estimated_time_to_complete` before any ingestion has been measured: a conservative rate. */
const DEFAULT_BYTES_PER_SECOND = 2 * 1024 * 1024;
/** The rate is measured over this many of the latest finished ingestions. */
const MEASURED_INGESTIONS = 20;
/** An upload whose pieces are this old and still has no ingestion was abandoned mid-way. */
const ABANDONED_UPLOAD_MS = 60 * 60_000;

export type { IngestionError };

export interface IngestionView {
  ingestion_id: string;
  status: IngestionStatus;
  rows_accepted: number;
  rows_rejected: number;
  errors: IngestionError[];
  created_at: string;
  finished_at: string | null;
}

export interface FileIngestionOptions {
  maxUploadBytes?: number;
  rowsPerChunk?: number;
  /** Test hook: runs after a chunk is stored and before its progress is saved. */
  afterChunkStored?: (chunk: number) => Promise<void> | void;
}

interface Progress {
  /** CSV data rows (after the header) fully handled. */
  rows_done: number;
}

/**
 * CSV uploads (KPIs, survey data): the upload is stored in the database with its ingestion and
 * a queued job; the job streams the stored CSV through the parser and hands rows to the ingest
 * service in chunks, each row keyed by its line so a resumed job stores nothing twice.
 */
export class FileIngestionService implements JobHandler {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ingest: IngestService,
    private readonly queue: JobQueue,
    private readonly options: FileIngestionOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  get maxUploadBytes(): number {
    return this.options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  }

  /** Stores the upload durably, then queues its ingestion. */
  async upload(
    principal: Principal,
    kind: FileKind,
    file: AsyncIterable<Buffer>,
  ): Promise<{ ingestionId: string; estimatedSeconds: number }> {
    const id = randomUUID();
    let seq = 0;
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.db
        .insertInto('upload_chunks')
        .values({ ingestion_id: id, seq: seq++, data, created_at: this.now() })
        .execute();
    };
    try {
      for await (const chunk of file) {
        size += chunk.length;
        if (size > this.maxUploadBytes) throw this.tooLarge();
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= STORED_CHUNK_BYTES) await flush();
      }
      await flush();
      if (size === 0) throw new AppError('bad_request', 'the file is empty: send a CSV with a header line');
      await this.db.transaction().execute(async (trx) => {
        const jobId = await this.queue.enqueue(
          { kind: CSV_INGESTION_JOB, payload: { ingestion_id: id } },
          trx,
        );
        await trx
          .insertInto('ingestions')
          .values({
            id,
            dashboard_id: principal.dashboardId,
            environment: principal.environment,
            kind,
            status: 'queued',
            byte_size: size,
            rows_accepted: 0,
            rows_rejected: 0,
            errors: '[]',
            job_id: jobId,
            created_at: this.now(),
            started_at: null,
            finished_at: null,
          })
          .execute();
      });
    } catch (error) {
      await this.db.deleteFrom('upload_chunks').where('ingestion_id', '=', id).execute();
      if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw this.tooLarge();
      throw error;
    }
    const rate = await this.measuredBytesPerSecond();
    return { ingestionId: id, estimatedSeconds: Math.max(1, Math.ceil(size / rate)) };
  }

  /**
   * The parse-and-store rate of this server: bytes over seconds of the latest ingestions that
   * finished (any dashboard: it measures the machine, not the tenant), else a conservative default.
   */
  async measuredBytesPerSecond(): Promise<number> {
    const rows = await this.db
      .selectFrom('ingestions')
      .select(['byte_size', 'started_at', 'finished_at'])
      .where('status', '=', 'succeeded')
      .where('started_at', 'is not', null)
      .orderBy('finished_at', 'desc')
      .limit(MEASURED_INGESTIONS)
      .execute();
    let bytes = 0;
    let ms = 0;
    for (const row of rows) {
      bytes += row.byte_size;
      ms += Math.max(1, Number(row.finished_at) - Number(row.started_at));
    }
    // Tiny files finish in a millisecond or two: a rate from under a second of work means little.
    return ms >= 1000 ? (bytes * 1000) / ms : DEFAULT_BYTES_PER_SECOND;
  }

  private tooLarge(): AppError {
    return new AppError(
      'payload_too_large',
      `the file is larger than ${this.maxUploadBytes} bytes: split it into smaller files`,
    );
  }

  /** An ingestion of the caller's dashboard and environment; another's is not found. */
  async status(principal: Principal, id: string): Promise<IngestionView> {
    const row = await this.db
      .selectFrom('ingestions')
      .selectAll()
      .where('id', '=', id)
      .where('dashboard_id', '=', principal.dashboardId)
      .where('environment', '=', principal.environment)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no ingestion ${id}`);
    return {
      ingestion_id: row.id,
      status: row.status,
      rows_accepted: row.rows_accepted,
      rows_rejected: row.rows_rejected,
      errors: JSON.parse(row.errors) as IngestionError[],
      created_at: formatTimestamp(row.created_at),
      finished_at: row.finished_at === null ? null : formatTimestamp(row.finished_at),
    };
  }

  /** A dashboard environment's CSV ingestions, newest first (for the web dashboard). */
  async list(
    dashboardId: string,
    environment: Environment,
    limit = 20,
  ): Promise<(IngestionView & { kind: string; byte_size: number })[]> {
    const rows = await this.db
      .selectFrom('ingestions')
      .selectAll()
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      ingestion_id: row.id,
      kind: row.kind,
      byte_size: row.byte_size,
      status: row.status,
      rows_accepted: row.rows_accepted,
      rows_rejected: row.rows_rejected,
      errors: JSON.parse(row.errors) as IngestionError[],
      created_at: formatTimestamp(row.created_at),
      finished_at: row.finished_at === null ? null : formatTimestamp(row.finished_at),
    }));
  }

  /** The job: parse the stored CSV from where the last attempt stopped. */
  async run(job: Job, ctx: JobContext): Promise<void> {
    const ingestionId = (JSON.parse(job.payload) as { ingestion_id: string }).ingestion_id;
    const ingestion = await this.db
      .selectFrom('ingestions')
      .selectAll()
      .where('id', '=', ingestionId)
      .executeTakeFirst();
    if (!ingestion) throw new PermanentJobError(`ingestion ${ingestionId} does not exist`);
    if (ingestion.status === 'succeeded' || ingestion.status === 'failed') return;
    await this.db
      .updateTable('ingestions')
      .set({ status: 'running', started_at: ingestion.started_at ?? this.now() })
      .where('id', '=', ingestionId)
      .execute();

    const principal: Principal = {
      dashboardId: ingestion.dashboard_id,
      environment: ingestion.environment,
      keyId: KEY_ID,
    };
    const kind = ingestion.kind as FileKind;
    const done = (ctx.saved as Progress | null)?.rows_done ?? 0;
    // Accepted rows: stored now or by an earlier attempt (duplicates); withheld ones are neither.
    const tally: FileTally = {
      written: ingestion.rows_accepted,
      duplicates: 0,
      withheld: 0,
      rejected: ingestion.rows_rejected,
      errors: JSON.parse(ingestion.errors) as IngestionError[],
    };
    const source = `csv:${ingestionId}`;
    let mapper: RowMapper | undefined;
    let chunkNo = 0;
    try {
      await ingestChunks({
        rows: uploadRows(Readable.from(this.storedChunks(ingestionId)), kind, (m) => (mapper = m)),
        perChunk: this.options.rowsPerChunk ?? ROWS_PER_CHUNK,
        tally,
        resumeAfterRows: done,
        store: (records, lines) =>
          this.ingest.ingestValid({
            principal,
            def: FILE_RECORD_TYPE_DEFS[mapper!.type],
            records,
            dedupeSource: source,
            dedupeKeys: lineKeys(lines),
            // The rows entered when the upload was accepted: a player deleted since is withheld.
            entered: { at: ingestion.created_at },
          }),
        stored: async (rowsRead) => {
          await this.options.afterChunkStored?.(chunkNo++);
          const progress: Progress = { rows_done: rowsRead };
          await ctx.save(progress, async (trx) => {
            await trx
              .updateTable('ingestions')
              .set({
                rows_accepted: tally.written + tally.duplicates,
                rows_rejected: tally.rejected,
                errors: JSON.stringify(tally.errors),
              })
              .where('id', '=', ingestionId)
              .execute();
          });
          if (ctx.stopping()) throw new JobInterruptedError('stopping');
        },
        // Rows before a malformed one are stored; each row is keyed by its line.
        storePartial: isCsvError,
      });
    } catch (error) {
      if (error instanceof HeaderError) throw new PermanentJobError(error.message);
      if (isCsvError(error)) throw new PermanentJobError(`invalid CSV: ${(error as Error).message}`);
      throw error;
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('ingestions')
        .set({ status: 'succeeded', finished_at: this.now() })
        .where('id', '=', ingestionId)
        .execute();
      await trx.deleteFrom('upload_chunks').where('ingestion_id', '=', ingestionId).execute();
    });
  }

  /** The ingestion fails for good: its message is its last error. */
  async failed(job: Job, message: string): Promise<void> {
    const ingestionId = (JSON.parse(job.payload) as { ingestion_id: string }).ingestion_id;
    const row = await this.db
      .selectFrom('ingestions')
      .select('errors')
      .where('id', '=', ingestionId)
      .executeTakeFirst();
    if (!row) return;
    const errors = JSON.parse(row.errors) as IngestionError[];
    const line = Number(/^line (\d+)/.exec(message)?.[1] ?? /line (\d+)/.exec(message)?.[1] ?? 1);
    errors.push({ line, field: null, message });
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('ingestions')
        .set({ status: 'failed', finished_at: this.now(), errors: JSON.stringify(errors) })
        .where('id', '=', ingestionId)
        .execute();
      // Nothing will read the file again: its stored pieces go.
      await trx.deleteFrom('upload_chunks').where('ingestion_id', '=', ingestionId).execute();
    });
  }

  /**
   * Deletes stored pieces no ingestion will read: those of an upload the server stopped
   * receiving (it crashed or the client went away before the ingestion was recorded) once they
   * are older than `olderThanMs`. Returns how many pieces went.
   */
  async sweepAbandonedUploads(olderThanMs = ABANDONED_UPLOAD_MS): Promise<number> {
    const result = await this.db
      .deleteFrom('upload_chunks')
      .where((eb) =>
        eb.and([
          eb.not(
            eb.exists(
              eb.selectFrom('ingestions').select('id').whereRef('id', '=', 'upload_chunks.ingestion_id'),
            ),
          ),
          eb.or([eb('created_at', 'is', null), eb('created_at', '<', this.now() - olderThanMs)]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The stored upload, one piece at a time (memory stays flat whatever the file size). */
  private async *storedChunks(ingestionId: string): AsyncGenerator<Buffer> {
    for (let seq = 0; ; seq++) {
      const row = await this.db
        .selectFrom('upload_chunks')
        .select('data')
        .where('ingestion_id', '=', ingestionId)
        .where('seq', '=', seq)
        .executeTakeFirst();
      if (!row) return;
      yield Buffer.from(row.data);
    }
  }
}
