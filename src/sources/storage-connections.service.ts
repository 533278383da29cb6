import type { Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import { formatTimestamp } from '../domain/timestamp.js';
import type { SecretBox } from '../tenancy/secret-box.js';
import { AppError } from '../errors.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { Database, StorageConnectionTable } from '../store/database.js';
import { randomId } from '../tenancy/secrets.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';
import { BUCKET_ROOT_FOLDERS } from './bucket-file.js';
import { importObjects, type ImportSummary } from './bucket-import.js';
import { LocalObjectSource } from './local-source.js';
import type { ObjectSource } from './object-source.js';

export const PROVIDERS = ['s3', 'azure', 'local'] as const;
export type Provider = (typeof PROVIDERS)[number];

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
  last_sync_at: string | null;
}

export interface ConnectionFiles {
  files_ingested: number;
  records_ingested: number;
  records_rejected: number;
}

export interface ConnectionTest {
  ok: boolean;
  /** Files found under the layout's root folders (the first 1000 at most). */
  files: number;
  message: string;
}

function view(row: StorageConnectionTable): ConnectionView {
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
    last_sync_at: row.last_sync_at === null ? null : formatTimestamp(row.last_sync_at),
  };
}

/** Storage connections of dashboards: register, test, and sync each new file (path + ETag) once. */
export class StorageConnectionService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tenancy: TenancyService,
    private readonly ingest: IngestService,
    /** Opened on first use: only connections with credentials need the server key. */
    private readonly secrets: () => SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  /** Credentials are kept sealed (AES-256-GCM under the server key) and opened only to connect. */
  private credentialsOf(row: StorageConnectionTable): Record<string, string> | undefined {
    return row.credentials === null
      ? undefined
      : (JSON.parse(this.secrets().open(row.credentials)) as Record<string, string>);
  }

  async create(dashboardId: string, input: CreateConnection): Promise<ConnectionView> {
    await this.tenancy.getDashboard(dashboardId);
    if (input.provider === 's3' && !input.bucket) {
      throw new AppError('bad_request', 'an s3 connection needs "bucket"');
    }
    if (input.provider === 'azure') {
      const { connection_string, sas_url } = input.credentials ?? {};
      if (!sas_url && !(connection_string && input.bucket)) {
        throw new AppError(
          'bad_request',
          'an azure connection needs credentials {"sas_url"} (a container SAS URL), or {"connection_string"} and "bucket" (the container)',
        );
      }
    }
    if (input.provider === 'local' && !input.path) {
      throw new AppError('bad_request', 'a local connection needs "path": a directory on the server');
    }
    if (input.provider === 's3' && input.credentials) {
      const { access_key_id, secret_access_key } = input.credentials;
      if (!access_key_id || !secret_access_key) {
        throw new AppError(
          'bad_request',
          'credentials of an s3 connection are {"access_key_id", "secret_access_key"}',
        );
      }
    }
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
      created_at: this.now(),
      last_sync_at: null,
    };
    await this.db.insertInto('storage_connections').values(row).execute();
    return view(row);
  }

  /** A dashboard's connections with what each has ingested so far. */
  async list(dashboardId: string): Promise<(ConnectionView & ConnectionFiles)[]> {
    const rows = await this.db
      .selectFrom('storage_connections')
      .selectAll()
      .where('dashboard_id', '=', dashboardId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    if (rows.length === 0) return [];
    const totals = await this.db
      .selectFrom('storage_files')
      .select((eb) => [
        'connection_id',
        eb.fn.countAll<number | string>().as('files'),
        eb.fn.sum<number | string>('records').as('records'),
        eb.fn.sum<number | string>('rejected').as('rejected'),
      ])
      .where(
        'connection_id',
        'in',
        rows.map((r) => r.id),
      )
      .groupBy('connection_id')
      .execute();
    const byId = new Map(totals.map((t) => [t.connection_id, t]));
    return rows.map((row) => {
      const t = byId.get(row.id);
      return {
        ...view(row),
        files_ingested: Number(t?.files ?? 0),
        records_ingested: Number(t?.records ?? 0),
        records_rejected: Number(t?.rejected ?? 0),
      };
    });
  }

  /** The files a connection ingested last, newest first. */
  async recentFiles(
    dashboardId: string,
    id: string,
    limit = 20,
  ): Promise<{ key: string; records: number; rejected: number; ingested_at: string }[]> {
    await this.row(dashboardId, id);
    const rows = await this.db
      .selectFrom('storage_files')
      .select(['key', 'records', 'rejected', 'ingested_at'])
      .where('connection_id', '=', id)
      .orderBy('ingested_at', 'desc')
      .orderBy('key')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, ingested_at: formatTimestamp(r.ingested_at) }));
  }

  async get(dashboardId: string, id: string): Promise<ConnectionView> {
    return view(await this.row(dashboardId, id));
  }

  private async row(dashboardId: string, id: string): Promise<StorageConnectionTable> {
    const row = await this.db
      .selectFrom('storage_connections')
      .selectAll()
      .where('id', '=', id)
      .where('dashboard_id', '=', dashboardId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no storage connection ${id} on dashboard ${dashboardId}`);
    return row;
  }

  private async source(row: StorageConnectionTable): Promise<ObjectSource & { destroy?(): void }> {
    if (row.provider === 'local') return new LocalObjectSource(row.path!);
    if (row.provider === 'azure') {
      const { AzureObjectSource } = await import('./azure-source.js');
      const credentials = this.credentialsOf(row) ?? {};
      return new AzureObjectSource({
        ...(credentials.sas_url ? { sasUrl: credentials.sas_url } : {}),
        ...(credentials.connection_string ? { connectionString: credentials.connection_string } : {}),
        ...(row.bucket ? { container: row.bucket } : {}),
        ...(row.prefix ? { prefix: row.prefix } : {}),
      });
    }
    // Loaded on demand: the AWS SDK is large and only S3 connections need it.
    const { S3ObjectSource } = await import('./s3-source.js');
    const credentials = this.credentialsOf(row);
    return new S3ObjectSource({
      bucket: row.bucket!,
      ...(row.prefix ? { prefix: row.prefix } : {}),
      ...(row.region ? { region: row.region } : {}),
      ...(row.endpoint ? { endpoint: row.endpoint } : {}),
      ...(credentials?.access_key_id && credentials.secret_access_key
        ? {
            credentials: {
              accessKeyId: credentials.access_key_id,
              secretAccessKey: credentials.secret_access_key,
            },
          }
        : {}),
    });
  }

  /** Lists the layout's root folders: "unable to connect" with the store's reason when it fails. */
  async test(dashboardId: string, id: string): Promise<ConnectionTest> {
    const row = await this.row(dashboardId, id);
    const source = await this.source(row);
    let files = 0;
    try {
      for (const folder of BUCKET_ROOT_FOLDERS) {
        for await (const object of source.list(`${folder}/`)) {
          void object;
          if (++files >= 1000) break;
        }
        if (files >= 1000) break;
      }
      return { ok: true, files, message: `connected: ${files} file${files === 1 ? '' : 's'} found` };
    } catch (error) {
      return { ok: false, files, message: (error as Error).message };
    } finally {
      source.destroy?.();
    }
  }

  /** Ingests each file not ingested before (by path + ETag). */
  async sync(dashboardId: string, id: string): Promise<ImportSummary> {
    const row = await this.row(dashboardId, id);
    const source = await this.source(row);
    try {
      const summary = await importObjects({
        source,
        sourceId: `connection:${row.id}`,
        ingest: this.ingest,
        principal: {
          dashboardId: row.dashboard_id,
          environment: row.environment as Environment,
          keyId: `storage:${row.id}`,
        },
        isNew: async (object) =>
          !(await this.db
            .selectFrom('storage_files')
            .select('key')
            .where('connection_id', '=', row.id)
            .where('key', '=', object.key)
            .where('etag', '=', object.etag)
            .executeTakeFirst()),
        onFile: async (object, outcome) => {
          // A failed file is tried again on the next sync; an ingested one never.
          if (outcome instanceof Error) return;
          await this.db
            .insertInto('storage_files')
            .values({
              connection_id: row.id,
              key: object.key,
              etag: object.etag,
              records: outcome.records,
              rejected: outcome.rejected,
              ingested_at: this.now(),
            })
            .onConflict((oc) => oc.doNothing())
            .execute();
        },
      });
      await this.db
        .updateTable('storage_connections')
        .set({ last_sync_at: this.now() })
        .where('id', '=', row.id)
        .execute();
      return summary;
    } finally {
      source.destroy?.();
    }
  }
}
