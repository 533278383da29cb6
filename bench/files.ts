/**
 * The files part of `npm run bench` (issue 4): bulk NDJSON and CSV rows/s through the bucket
 * channel (`importObjects`) from a local folder and from the S3 emulator (fauxqs, in this
 * process), against the store's direct bulk write of the same rows in chunks of the same size,
 * measured in the same run on the same backend; and the importer's peak RSS on one large NDJSON
 * file.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import type { Backend } from '../src/store/store.js';
import { RECORDS_PER_CHUNK } from '../src/sources/bucket-file.js';
import type { FilesPhaseMessage, FilesPhaseSpec, FilesSource } from './files-phase.js';
import { withBenchDatabase } from './support/database.js';
import { writeBatches, writeDataset, type FileFormat } from './support/file-workload.js';
import { drivePhase, reportDriver, startPhase, type PhaseFigures } from './support/process.js';
import { round, textTable } from './support/report.js';
import { buildBatch, type Workload } from './support/workload.js';

export interface FilesOptions {
  /** Rows per format (NDJSON actions, CSV purchases). */
  rows: number;
  /** Files per format. */
  files: number;
  /** Size of the peak-RSS file, GB (10^9 bytes); 0 skips that check. */
  fileGb: number;
  users: number;
  seed: number;
  baseTime: number;
}

/** Peak RSS the importer must stay under on the large file (issue 4). */
export const RSS_LIMIT_MB = 300;
/** The target of file rows/s ÷ ceiling rows/s (issue 4). */
export const RATIO_TARGET = 0.7;

export const FILE_CASES = ['ndjson_local', 'csv_local', 'ndjson_s3', 'csv_s3'] as const;
export type FileCase = (typeof FILE_CASES)[number];

export interface FileFigures {
  rows_per_s: number;
  /** `store.writeBatch` of the same normalized rows, chunk by chunk: the ratio's baseline. */
  ceiling_rows_per_s: number;
  ratio: number;
  /** The same ceiling, but recording each chunk's dedupe key as the import does (information). */
  dedupe_ceiling_rows_per_s: number;
  ratio_to_dedupe_ceiling: number;
  cpu_ms_per_1k: number;
  ceiling_cpu_ms_per_1k: number;
  peak_rss_mb: number;
}

export type FilesBackendFigures = Record<FileCase, FileFigures>;

export interface RssFigures {
  file_mb: number;
  rows: number;
  rows_per_s: number;
  peak_rss_mb: number;
  limit_mb: number;
  pass: boolean;
}

const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const BUCKET = 'traitforge-bench';
/** fauxqs takes single PUTs up to about 11 MiB; larger files go up in parts of this size. */
const PART_BYTES = 8 * 1024 * 1024;

const log = (text: string) => process.stderr.write(`${text}\n`);

const start = (spec: FilesPhaseSpec) =>
  startPhase<FilesPhaseMessage>('files-phase.js', `files ${spec.phase} ${spec.format}`, spec);

/** Uploads one local file: one PUT, or a multipart upload when it is larger than a part. */
async function upload(client: S3Client, file: string, key: string): Promise<void> {
  const size = statSync(file).size;
  const handle = await open(file);
  try {
    const read = async (position: number, length: number) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    if (size <= PART_BYTES) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await read(0, size) }));
      return;
    }
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let offset = 0, n = 1; offset < size; offset += PART_BYTES, n++) {
      const body = await read(offset, Math.min(PART_BYTES, size - offset));
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: n, Body: body }),
      );
      parts.push({ ETag: ETag!, PartNumber: n });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } finally {
    await handle.close();
  }
}

/** The dataset of one run: both formats in a temporary folder, and the same files in fauxqs. */
export class FilesDataset {
  private constructor(
    readonly root: string,
    readonly workload: Workload,
    readonly bytes: Record<FileFormat, number>,
    readonly files: number,
    private readonly fauxqs: FauxqsServer,
  ) {}

  static async create(options: FilesOptions): Promise<FilesDataset> {
    const workload: Workload = {
      batches: Math.ceil(options.rows / RECORDS_PER_CHUNK),
      batchSize: RECORDS_PER_CHUNK,
      users: options.users,
      seed: options.seed,
      baseTime: options.baseTime,
    };
    const root = mkdtempSync(join(tmpdir(), 'traitforge-bench-files-'));
    let fauxqs: FauxqsServer | undefined;
    try {
      const ndjson = await writeDataset(root, 'ndjson', workload, options.files);
      const csv = await writeDataset(root, 'csv', workload, options.files);
      fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
      const client = new S3Client({
        endpoint: `http://127.0.0.1:${fauxqs.port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: CREDENTIALS,
      });
      try {
        await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
        for (const key of [...ndjson.keys, ...csv.keys]) await upload(client, join(root, key), key);
      } finally {
        client.destroy();
      }
      return new FilesDataset(
        root,
        workload,
        { ndjson: ndjson.bytes, csv: csv.bytes },
        options.files,
        fauxqs,
      );
    } catch (error) {
      await fauxqs?.stop();
      rmSync(root, { recursive: true, force: true });
      throw error;
    }
  }

  source(kind: 'local' | 's3'): FilesSource {
    return kind === 'local'
      ? { kind, root: this.root }
      : { kind, endpoint: `http://127.0.0.1:${this.fauxqs.port}`, bucket: BUCKET, credentials: CREDENTIALS };
  }

  async close(): Promise<void> {
    await this.fauxqs.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** One phase on a fresh database of `backend`. */
const onFresh = (backend: Backend, adminUrl: string | undefined, spec: Omit<FilesPhaseSpec, 'database'>) =>
  withBenchDatabase(backend, adminUrl, (database) =>
    reportDriver(start({ ...spec, database }), `files ${spec.phase}`),
  );

/** One run on one backend: per format the two ceilings, then the import from each source. */
export async function runFilesBackend(
  backend: Backend,
  dataset: FilesDataset,
  adminUrl: string | undefined,
): Promise<FilesBackendFigures> {
  const rows = dataset.workload.batches * dataset.workload.batchSize;
  const rate = (f: PhaseFigures) => rows / (f.elapsedMs / 1000);
  const per1k = (f: PhaseFigures) => round(f.cpuMs / (rows / 1000), 1);
  const results: Partial<FilesBackendFigures> = {};
  for (const format of ['ndjson', 'csv'] as const) {
    const base = { format, workload: dataset.workload };
    const ceiling = await onFresh(backend, adminUrl, { ...base, phase: 'ceiling' });
    const dedupe = await onFresh(backend, adminUrl, { ...base, phase: 'ceiling', dedupe: true });
    for (const kind of ['local', 's3'] as const) {
      const imported = await onFresh(backend, adminUrl, {
        ...base,
        phase: 'import',
        source: dataset.source(kind),
      });
      const figures: FileFigures = {
        rows_per_s: Math.round(rate(imported)),
        ceiling_rows_per_s: Math.round(rate(ceiling)),
        ratio: round(rate(imported) / rate(ceiling), 3),
        dedupe_ceiling_rows_per_s: Math.round(rate(dedupe)),
        ratio_to_dedupe_ceiling: round(rate(imported) / rate(dedupe), 3),
        cpu_ms_per_1k: per1k(imported),
        ceiling_cpu_ms_per_1k: per1k(ceiling),
        peak_rss_mb: round(imported.peakRssMb, 1),
      };
      log(`files ${backend} ${format}_${kind}: ${JSON.stringify(figures)}`);
      results[`${format}_${kind}`] = figures;
    }
  }
  return results as FilesBackendFigures;
}

/**
 * Peak RSS of the importer on one NDJSON file of about `fileGb` GB: written to a temporary folder
 * (streamed, never held in memory), imported from there into a fresh SQLite database by a child
 * process that reports the kernel's high-water mark of its resident set; deleted afterwards.
 */
export async function runRssCheck(options: FilesOptions): Promise<RssFigures> {
  const probe: Workload = {
    batches: 1,
    batchSize: RECORDS_PER_CHUNK,
    users: options.users,
    seed: options.seed,
    baseTime: options.baseTime,
  };
  const perBatch =
    Buffer.byteLength(
      buildBatch(probe, 0)
        .map((a) => JSON.stringify(a))
        .join('\n'),
    ) + 1;
  const batches = Math.max(1, Math.ceil((options.fileGb * 1e9) / perBatch));
  const workload: Workload = { ...probe, batches, seed: options.seed + 1 };
  const root = mkdtempSync(join(tmpdir(), 'traitforge-bench-rss-'));
  try {
    const key = 'actions/date=2026-10-01/large.ndjson';
    log(`files rss: writing ${batches.toLocaleString('en-US')} × 1000 actions (~${options.fileGb} GB)…`);
    const bytes = await writeBatches(join(root, key), 'ndjson', workload, 0, batches);
    log(`files rss: importing ${(bytes / 1e6).toFixed(0)} MB…`);
    const spec: FilesPhaseSpec = {
      phase: 'import',
      format: 'ndjson',
      workload,
      source: { kind: 'local', root },
      database: { backend: 'sqlite', location: '' },
    };
    const done = await withBenchDatabase('sqlite', undefined, (database) =>
      drivePhase(start({ ...spec, database }), async (phase) => {
        const message = await phase.next();
        if (message.type !== 'done' || message.elapsedMs === undefined)
          throw new Error('the files rss phase did not report');
        return message;
      }),
    );
    const peak = Math.max(done.hwmMb ?? 0, done.peakRssMb);
    const rows = batches * RECORDS_PER_CHUNK;
    return {
      file_mb: round(bytes / (1024 * 1024), 0),
      rows,
      rows_per_s: Math.round(rows / (done.elapsedMs! / 1000)),
      peak_rss_mb: round(peak, 1),
      limit_mb: RSS_LIMIT_MB,
      pass: peak < RSS_LIMIT_MB,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const CASE_HEAD: Record<FileCase, string> = {
  ndjson_local: 'NDJSON local',
  csv_local: 'CSV local',
  ndjson_s3: 'NDJSON S3',
  csv_s3: 'CSV S3',
};

export function filesTable(
  results: Partial<Record<Backend, FilesBackendFigures>>,
  backends: readonly Backend[],
  dataset: { rows: number; files: number },
  runs: number,
  rss: RssFigures | undefined,
): string {
  const columns = backends.flatMap((b) =>
    results[b] ? FILE_CASES.map((c) => ({ head: `${b} ${CASE_HEAD[c]}`, figures: results[b]![c] })) : [],
  );
  const medians = runs > 1 ? `, medians of ${runs} runs` : '';
  const lines: string[] = [];
  if (columns.length > 0) {
    lines.push(
      textTable(
        `Bucket files (importObjects): ${dataset.rows.toLocaleString('en-US')} rows per format in ${dataset.files} files (NDJSON actions, CSV purchases), chunks of ${RECORDS_PER_CHUNK}, against store.writeBatch of the same rows${medians}`,
        columns,
        [
          ['file rows/s', (f) => f.rows_per_s.toLocaleString('en-US')],
          ['ceiling rows/s (store.writeBatch)', (f) => f.ceiling_rows_per_s.toLocaleString('en-US')],
          [
            `ratio file / ceiling (target ≥ ${RATIO_TARGET})`,
            (f) => `${f.ratio.toFixed(2)} ${f.ratio >= RATIO_TARGET ? 'PASS' : 'FAIL'}`,
          ],
          ['ceiling rows/s with dedupe keys', (f) => f.dedupe_ceiling_rows_per_s.toLocaleString('en-US')],
          ['ratio file / dedupe ceiling', (f) => f.ratio_to_dedupe_ceiling.toFixed(2)],
          ['importer CPU ms / 1000 rows', (f) => f.cpu_ms_per_1k.toFixed(1)],
          ['ceiling CPU ms / 1000 rows', (f) => f.ceiling_cpu_ms_per_1k.toFixed(1)],
          ['importer peak RSS MB', (f) => f.peak_rss_mb.toFixed(1)],
        ],
      ),
    );
  }
  if (rss) {
    if (lines.length > 0) lines.push('');
    lines.push(
      `Large file (sqlite, local folder): ${rss.file_mb.toLocaleString('en-US')} MiB NDJSON, ${rss.rows.toLocaleString('en-US')} rows at ${rss.rows_per_s.toLocaleString('en-US')} rows/s; importer peak RSS ${rss.peak_rss_mb.toFixed(1)} MB (limit ${rss.limit_mb} MB): ${rss.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  return lines.join('\n');
}

/** The `--json` object's `files` member. */
export function filesJson(
  results: Partial<Record<Backend, FilesBackendFigures>>,
  rss: RssFigures | undefined,
) {
  return { ...results, ...(rss ? { large_file: rss } : {}) };
}
