/**
 * One files bench phase in its own process (its peak RSS and CPU are its own):
 * - `import` reads the dataset's files of one format through the real path, `importObjects`
 *   with a LocalObjectSource or an S3ObjectSource, into a fresh database;
 * - `ceiling` writes exactly the same rows, normalized before timing, with `store.writeBatch`
 *   in chunks of the same size, one at a time as the import does.
 * Started by files.ts with the phase as JSON in argv[2]; answers over IPC.
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config/config.js';
import { sqlEventStore } from '../src/events/sql/sql-event-store.js';
import { RECORD_TYPE_DEFS } from '../src/domain/records.js';
import { buildServices } from '../src/services.js';
import { chunkKey, RECORDS_PER_CHUNK } from '../src/sources/bucket-file.js';
import { importObjects } from '../src/sources/bucket-import.js';
import { LocalObjectSource } from '../src/sources/local-source.js';
import { S3ObjectSource } from '../src/sources/s3-source.js';
import { prepareDashboard, type BenchDatabase } from './support/database.js';
import { FORMAT_FOLDER, normalizedBatch, type FileFormat } from './support/file-workload.js';
import {
  cpuSince,
  phaseMain,
  sendToParent,
  timeJobs,
  type DoneMessage,
  type FailedMessage,
} from './support/process.js';
import type { RssSampler } from './support/stats.js';
import type { Workload } from './support/workload.js';

export type FilesSource =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      endpoint: string;
      bucket: string;
      credentials: { accessKeyId: string; secretAccessKey: string };
    };

export interface FilesPhaseSpec {
  phase: 'import' | 'ceiling';
  database: BenchDatabase;
  format: FileFormat;
  /** The rows the files hold: `batches` × `batchSize` (the ceiling rebuilds them from it). */
  workload: Workload;
  /** Import: where the files are. */
  source?: FilesSource;
  /** Ceiling: record each chunk's dedupe key too, as the import does. */
  dedupe?: boolean;
}

export interface FilesDoneMessage extends DoneMessage {
  /** Records the import stored. */
  records?: number;
  /** The kernel's peak resident set of this process (VmHWM), MiB, where /proc tells it. */
  hwmMb?: number;
}

export type FilesPhaseMessage = FilesDoneMessage | FailedMessage;

/** The process's peak resident set as the kernel counts it: VmHWM, else getrusage's maxrss. */
export function peakResidentMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS / 1024;
}

const openSource = (source: FilesSource) =>
  source.kind === 'local'
    ? new LocalObjectSource(source.root)
    : new S3ObjectSource({
        bucket: source.bucket,
        endpoint: source.endpoint,
        credentials: source.credentials,
      });

async function importPhase(spec: FilesPhaseSpec, rss: RssSampler): Promise<void> {
  const { store, dashboardId } = await prepareDashboard(spec.database);
  const { ingest } = buildServices(parseConfig({ logLevel: 'silent', port: 0, host: '127.0.0.1' }), store);
  const source = openSource(spec.source!);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const summary = await importObjects({
    source,
    sourceId: `bench:${spec.source!.kind}`,
    ingest,
    principal: { dashboardId, environment: 'production', keyId: 'bench-files' },
    folders: [FORMAT_FOLDER[spec.format]],
  });
  const elapsedMs = performance.now() - started;
  const cpuMs = cpuSince(cpu);
  const peakRssMb = rss.stop();
  const hwmMb = peakResidentMb();
  if ('destroy' in source) source.destroy();
  await store.close();
  const expected = spec.workload.batches * spec.workload.batchSize;
  if (summary.files_failed > 0 || summary.records_ingested !== expected) {
    throw new Error(
      `the import stored ${summary.records_ingested} of ${expected} records: ${JSON.stringify(summary.errors.slice(0, 3))}`,
    );
  }
  await sendToParent({
    type: 'done',
    peakRssMb,
    hwmMb,
    cpuMs,
    elapsedMs,
    records: summary.records_ingested,
  } satisfies FilesDoneMessage);
}

async function ceilingPhase(spec: FilesPhaseSpec, rss: RssSampler): Promise<void> {
  const { store, dashboardId } = await prepareDashboard(spec.database);
  // The ceiling: the event store's write path alone, no HTTP nor parsing.
  const events = sqlEventStore(store);
  const { workload, format } = spec;
  if (workload.batchSize !== RECORDS_PER_CHUNK) throw new Error(`chunks are ${RECORDS_PER_CHUNK} rows`);
  const def = RECORD_TYPE_DEFS[FORMAT_FOLDER[format]];
  // Normalized once, outside the timed section: the ceiling is the store alone.
  const now = Date.now();
  const batches = Array.from({ length: workload.batches }, (_, i) =>
    normalizedBatch(format, workload, i, now),
  );
  await timeJobs(store, rss, {
    warmup: 0,
    timed: workload.batches,
    concurrency: 1,
    job: async (index) => {
      const rows = batches[index]!;
      // One key per chunk, as the import records.
      const first = index * rows.length + 1;
      const once = spec.dedupe
        ? { source: 'bench:ceiling', key: chunkKey(index, first, first + rows.length - 1) }
        : undefined;
      await events.write({
        dashboardId,
        environment: 'production',
        def,
        rows,
        receivedAt: Date.now(),
        ...(once ? { once } : {}),
      });
    },
  });
}

phaseMain<FilesPhaseSpec>({ import: importPhase, ceiling: ceilingPhase });
