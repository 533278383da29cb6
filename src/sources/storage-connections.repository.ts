import { sql, type Kysely } from 'kysely';
import type {
  ConnectionStatus,
  Database,
  StorageConnectionTable,
  StorageFileTable,
} from '../store/database.js';

export interface ConnectionTotals {
  files: number;
  records: number;
  rejected: number;
}

export const NO_FILES: ConnectionTotals = { files: 0, records: 0, rejected: 0 };

/** Whether a file version was ingested before: the same ETag, another ETag of the key, or never. */
export type FileVersion = 'ingested' | 'changed' | 'new';

/** The SQL of storage connections and the file versions each has ingested. */
export class StorageConnectionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: StorageConnectionTable): Promise<void> {
    await this.db.insertInto('storage_connections').values(row).execute();
  }

  find(dashboardId: string, id: string): Promise<StorageConnectionTable | undefined> {
    return this.db
      .selectFrom('storage_connections')
      .selectAll()
      .where('id', '=', id)
      .where('dashboard_id', '=', dashboardId)
      .executeTakeFirst();
  }

  findById(id: string): Promise<StorageConnectionTable | undefined> {
    return this.db.selectFrom('storage_connections').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(dashboardId: string): Promise<StorageConnectionTable[]> {
    return this.db
      .selectFrom('storage_connections')
      .selectAll()
      .where('dashboard_id', '=', dashboardId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Deletes the connection and its record of ingested files (the records stay). */
  async delete(dashboardId: string, id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('storage_connections')
        .where('id', '=', id)
        .where('dashboard_id', '=', dashboardId)
        .executeTakeFirst();
      if (deleted.numDeletedRows === 0n) return false;
      await trx.deleteFrom('storage_files').where('connection_id', '=', id).execute();
      return true;
    });
  }

  /** What each connection has ingested: files (each key once, whatever its versions) and rows. */
  async totals(connectionIds: readonly string[]): Promise<Map<string, ConnectionTotals>> {
    if (connectionIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('storage_files')
      .select((eb) => [
        'connection_id',
        eb.fn.count<string | number>('key').distinct().as('files'),
        eb.fn.sum<string | number>('records').as('records'),
        eb.fn.sum<string | number>('rejected').as('rejected'),
      ])
      .where('connection_id', 'in', connectionIds)
      .groupBy('connection_id')
      .execute();
    return new Map(
      rows.map((r) => [
        r.connection_id,
        { files: Number(r.files), records: Number(r.records), rejected: Number(r.rejected) },
      ]),
    );
  }

  async fileVersion(connectionId: string, key: string, etag: string): Promise<FileVersion> {
    const rows = await this.db
      .selectFrom('storage_files')
      .select('etag')
      .where('connection_id', '=', connectionId)
      .where('key', '=', key)
      .execute();
    if (rows.some((r) => r.etag === etag)) return 'ingested';
    return rows.length > 0 ? 'changed' : 'new';
  }

  async recordFile(row: StorageFileTable): Promise<void> {
    await this.db
      .insertInto('storage_files')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async saveOutcome(id: string, status: ConnectionStatus, outcome: unknown, at: number): Promise<void> {
    await this.db
      .updateTable('storage_connections')
      .set({ status, last_sync: JSON.stringify(outcome), last_sync_at: at })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Claims the connections whose scheduled sync is due: moves each one's next sync a schedule
   * later in the same statement, so of several server processes only one claims it.
   */
  async claimDue(now: number): Promise<{ id: string }[]> {
    return this.db
      .updateTable('storage_connections')
      .set({ next_sync_at: sql<number>`cast(${now} as bigint) + schedule_minutes * 60000` })
      .where('next_sync_at', '<=', now)
      .where('schedule_minutes', 'is not', null)
      .returning('id')
      .execute();
  }
}
