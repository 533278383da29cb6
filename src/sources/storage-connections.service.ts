import type { Environment } from '../domain/records.js';
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
import type { NotificationService } from '../notifications/notifications.service.js';
import type { ConnectionStatus, StorageConnectionTable } from '../store/database.js';
import type { SecretBox } from '../tenancy/secret-box.js';
import { randomId } from '../tenancy/secrets.js';
import type { Principal, TenancyService } from '../tenancy/tenancy.service.js';
import { importObjects, type ImportError, type ImportSummary } from './bucket-import.js';
import { openConnectionSource, checkConnectionInput, type Provider } from './connection-source.js';
import { testSource, type ConnectionTest } from './connection-test.js';
import { SourceError, unableToConnect } from './object-source.js';
import {
  NO_FILES,
  type ConnectionTotals,
  type StorageConnectionsRepository,
} from './storage-connections.repository.js';

export const STORAGE_SYNC_JOB = 'storage_sync';
/** Errors kept with a connection's last sync (the sync's answer has up to 100). */
const STATUS_ERRORS = 20;
/** Changed files named in a sync's answer. */
const MAX_UPDATED_LISTED = 100;

export interface CreateConnection {
  provider: Provider;
  environment?: Environment;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  credentials?: Record<string, string>;
  path?: string;
  schedule_minutes?: number;
}

/** A sync's answer: what it ingested, what failed, and the files re-ingested as a new version. */
export interface SyncSummary extends Omit<ImportSummary, 'errors'> {
  files_seen: number;
  /** Files whose ETag changed since they were ingested: ingested again as a new version. */
  files_updated: number;
  updated_files: string[];
  errors: (Omit<ImportError, 'file'> & { file: string | null })[];
}

interface LastSync extends SyncSummary {
  started_at: string;
  finished_at: string;
}

/** A connection as the API shows it: never its credentials. */
export interface ConnectionView {
  id: string;
  dashboard_id: string;
  provider: string;
  environment: string;
  bucket: string | null;
  prefix: string | null;
  endpoint: string | null;
  region: string | null;
  path: string | null;
  has_credentials: boolean;
  schedule_minutes: number | null;
  created_at: string;
  status: ConnectionStatus;
  last_sync_at: string | null;
  next_sync_at: string | null;
  /** Files ingested by this connection since it was created (each key once), and their rows. */
  files_ingested: number;
  records_ingested: number;
  records_rejected: number;
  /** The last sync's counts and first errors; null before the first sync. */
  last_sync: LastSync | null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Storage connections of dashboards: register, test, sync each new file (path + ETag) once. */
export class StorageConnectionService implements JobHandler {
  constructor(
    private readonly repo: StorageConnectionsRepository,
    private readonly tenancy: TenancyService,
    private readonly ingest: IngestService,
    private readonly queue: JobQueue,
    private readonly notifications: NotificationService,
    /** Opened on first use: only connections with credentials need the server key. */
    private readonly secrets: () => SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  private view(row: StorageConnectionTable, totals: ConnectionTotals = NO_FILES): ConnectionView {
    return {
      id: row.id,
      dashboard_id: row.dashboard_id,
      provider: row.provider,
      environment: row.environment,
      bucket: row.bucket,
      prefix: row.prefix,
      endpoint: row.endpoint,
      region: row.region,
      path: row.path,
      has_credentials: row.credentials !== null,
      schedule_minutes: row.schedule_minutes,
      created_at: formatTimestamp(row.created_at),
      status: row.status,
      last_sync_at: row.last_sync_at === null ? null : formatTimestamp(row.last_sync_at),
      next_sync_at: row.next_sync_at === null ? null : formatTimestamp(row.next_sync_at),
      files_ingested: totals.files,
      records_ingested: totals.records,
      records_rejected: totals.rejected,
      last_sync: row.last_sync === null ? null : (JSON.parse(row.last_sync) as LastSync),
    };
  }

  async create(dashboardId: string, input: CreateConnection): Promise<ConnectionView> {
    await this.tenancy.getDashboard(dashboardId);
    await checkConnectionInput(input);
    const now = this.now();
    const row: StorageConnectionTable = {
      id: randomId('stc'),
      dashboard_id: dashboardId,
      environment: input.environment ?? 'production',
      provider: input.provider,
      bucket: input.bucket ?? null,
      prefix: input.prefix ?? null,
      endpoint: input.endpoint ?? null,
      region: input.region ?? null,
      path: input.path ?? null,
      credentials: input.credentials ? this.secrets().seal(JSON.stringify(input.credentials)) : null,
      schedule_minutes: input.schedule_minutes ?? null,
      created_at: now,
      last_sync_at: null,
      // A scheduled connection has its first sync at the scheduler's next tick.
      next_sync_at: input.schedule_minutes ? now : null,
      status: 'never_synced',
      last_sync: null,
    };
    await this.repo.insert(row);
    return this.view(row);
  }

  async get(dashboardId: string, id: string): Promise<ConnectionView> {
    const row = await this.row(dashboardId, id);
    return this.view(row, (await this.repo.totals([id])).get(id));
  }

  async list(dashboardId: string): Promise<ConnectionView[]> {
    await this.tenancy.getDashboard(dashboardId);
    const rows = await this.repo.list(dashboardId);
    const totals = await this.repo.totals(rows.map((r) => r.id));
    return rows.map((row) => this.view(row, totals.get(row.id)));
  }

  /** Removes the connection; the records it ingested stay. */
  async remove(dashboardId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(dashboardId, id))) throw this.notFound(dashboardId, id);
  }

  private notFound(dashboardId: string, id: string): AppError {
    return new AppError('not_found', `no storage connection ${id} on dashboard ${dashboardId}`);
  }

  private async row(dashboardId: string, id: string): Promise<StorageConnectionTable> {
    const row = await this.repo.find(dashboardId, id);
    if (!row) throw this.notFound(dashboardId, id);
    return row;
  }

  private principal(row: StorageConnectionTable): Principal {
    return {
      dashboardId: row.dashboard_id,
      environment: row.environment as Environment,
      keyId: `storage:${row.id}`,
    };
  }

  private credentialsOf(row: StorageConnectionTable): Record<string, string> | undefined {
    return row.credentials === null
      ? undefined
      : (JSON.parse(this.secrets().open(row.credentials)) as Record<string, string>);
  }

  /** Connects and reads the start of a few files: "unable to connect" vs bad files by line. */
  async test(dashboardId: string, id: string): Promise<ConnectionTest> {
    const row = await this.row(dashboardId, id);
    const source = await openConnectionSource(row, this.credentialsOf(row));
    try {
      return await testSource(source, this.ingest, this.principal(row));
    } finally {
      source.destroy?.();
    }
  }

  /** Syncs now (the API's "sync now"): answers when the sync ends. */
  async sync(dashboardId: string, id: string): Promise<SyncSummary> {
    return this.syncRow(await this.row(dashboardId, id));
  }

  /**
   * Ingests each file not ingested before (by path + ETag); a file whose ETag changed is
   * ingested again as a new version. The outcome becomes the connection's status, and a sync
   * with errors is sent to the dashboard's notification webhook.
   */
  private async syncRow(row: StorageConnectionTable, ctx?: JobContext): Promise<SyncSummary> {
    const startedAt = this.now();
    const summary: SyncSummary = {
      files_seen: 0,
      files_ingested: 0,
      files_updated: 0,
      updated_files: [],
      records_ingested: 0,
      records_already_stored: 0,
      records_withheld: 0,
      files_failed: 0,
      errors: [],
    };
    const changed = new Set<string>();
    let status: ConnectionStatus;
    const source = await openConnectionSource(row, this.credentialsOf(row));
    // A long file must not outlive the job's lease: another worker would start the sync again.
    const heartbeat = ctx && setInterval(() => void ctx.save(null).catch(() => undefined), ctx.leaseMs / 3);
    try {
      const imported = await importObjects({
        source,
        sourceId: `connection:${row.id}`,
        ingest: this.ingest,
        principal: this.principal(row),
        isNew: async (object) => {
          summary.files_seen++;
          const version = await this.repo.fileVersion(row.id, object.key, object.etag);
          if (version === 'changed') changed.add(object.key);
          return version !== 'ingested';
        },
        onFile: async (object, outcome) => {
          // A failed file is tried again on the next sync; an ingested one never.
          if (!(outcome instanceof Error)) {
            await this.repo.recordFile({
              connection_id: row.id,
              key: object.key,
              etag: object.etag,
              // The file's rows in the store, whichever read stored them (a crashed sync's included).
              records: outcome.records + outcome.duplicates,
              rejected: outcome.rejected,
              ingested_at: this.now(),
            });
            if (changed.has(object.key)) {
              summary.files_updated++;
              if (summary.updated_files.length < MAX_UPDATED_LISTED) summary.updated_files.push(object.key);
            }
          }
          if (ctx?.stopping()) throw new JobInterruptedError('stopping');
        },
      });
      Object.assign(summary, { ...imported, errors: imported.errors });
      status = summary.files_failed > 0 || summary.errors.length > 0 ? 'errors' : 'ok';
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      status = 'unreachable';
      summary.errors.push({
        file: null,
        line: null,
        field: null,
        message: unableToConnect(error),
      });
    } finally {
      clearInterval(heartbeat);
      source.destroy?.();
    }
    const finishedAt = this.now();
    const last: LastSync = {
      ...summary,
      errors: summary.errors.slice(0, STATUS_ERRORS),
      started_at: formatTimestamp(startedAt),
      finished_at: formatTimestamp(finishedAt),
    };
    await this.repo.saveOutcome(row.id, status, last, finishedAt);
    if (status !== 'ok') {
      await this.notifications.notify({
        event: 'storage_sync.failed',
        dashboard_id: row.dashboard_id,
        occurred_at: formatTimestamp(finishedAt),
        connection_id: row.id,
        environment: row.environment,
        status,
        message:
          status === 'unreachable'
            ? summary.errors[0]!.message
            : `${plural(summary.files_failed, 'file')} failed, ${plural(summary.errors.length, 'error')}`,
        sync: last,
      });
    }
    return summary;
  }

  /** Queues a sync job for each connection whose schedule is due; returns how many. */
  async enqueueDue(): Promise<number> {
    const due = await this.repo.claimDue(this.now());
    for (const { id } of due) {
      await this.queue.enqueue({ kind: STORAGE_SYNC_JOB, payload: { connection_id: id }, maxAttempts: 3 });
    }
    return due.length;
  }

  /** The scheduled sync job. A connection deleted meanwhile has nothing to sync. */
  async run(job: Job, ctx: JobContext): Promise<void> {
    const { connection_id } = JSON.parse(job.payload) as { connection_id: string };
    const row = await this.repo.findById(connection_id);
    if (!row) throw new PermanentJobError(`storage connection ${connection_id} no longer exists`);
    await this.syncRow(row, ctx);
  }
}
