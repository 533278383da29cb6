import { sql, type Kysely } from 'kysely';
import type { Environment, RecordTypeDef } from '../../domain/records.js';
import type { Store } from '../../store/store.js';
import type {
  DailyCount,
  DeletionStatus,
  EventCapabilities,
  EventScope,
  EventStore,
  IdPage,
  IdempotentAnswer,
  PlayerAggregates,
  PlayerDeletion,
  RecordPage,
  RecordQuery,
  SegmentCriteria,
  StoredCount,
  TypeTotal,
  WriteBatch,
  WriteResult,
} from '../event-store.js';
import type { BatchWriter } from './batch-writer.js';
import { deletePlayer, deletionStatus, playerOf } from './delete-player.js';
import { SqlInsightsAggregates } from './insights-aggregates.js';
import { playerAggregates } from './player-aggregates.js';
import { PostgresBatchWriter } from './postgres-writer.js';
import { dailyCounts, listRecords, storedCounts, totals } from './record-reads.js';
import type { EventDatabase } from './schema.js';
import { segmentMembers } from './segment-members.js';
import { SqliteBatchWriter } from './sqlite-writer.js';

/**
 * The event store on the control plane's own database (SQLite or PostgreSQL): one
 * implementation of every read and of deletion in shared SQL; only the bulk-write path differs
 * per backend (`BatchWriter`).
 */
export class SqlEventStore implements EventStore {
  readonly capabilities: EventCapabilities;
  readonly insights: SqlInsightsAggregates;

  constructor(
    private readonly db: Kysely<EventDatabase>,
    private readonly writer: BatchWriter,
  ) {
    this.capabilities = { synchronousDelete: true, overwritesDeleted: writer.overwritesDeleted };
    this.insights = new SqlInsightsAggregates(db, writer);
  }

  write(batch: WriteBatch): Promise<WriteResult> {
    return this.writer.write(batch);
  }

  async replayed(
    { dashboardId, environment }: EventScope,
    key: string,
    notBefore: number,
  ): Promise<IdempotentAnswer | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'response', 'created_at'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row || row.created_at < notBefore) return undefined;
    return { requestHash: row.request_hash, response: row.response };
  }

  async hasDedupeKey(
    { dashboardId, environment }: EventScope,
    source: string,
    prefix: string,
  ): Promise<boolean> {
    const row = await this.db
      .selectFrom('ingest_dedupe')
      .select('key')
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('source', '=', source)
      .where('key', 'like', `${prefix}%`)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  listRecords(scope: EventScope, def: RecordTypeDef, query: RecordQuery): Promise<RecordPage> {
    return listRecords(this.db, scope, def, query);
  }

  storedCounts(dashboardId: string): Promise<StoredCount[]> {
    return storedCounts(this.db, dashboardId);
  }

  dailyCounts(
    dashboardId: string,
    query: { environment?: Environment; sinceDay: string },
  ): Promise<DailyCount[]> {
    return dailyCounts(this.db, dashboardId, query);
  }

  totals(scope: EventScope): Promise<TypeTotal[]> {
    return totals(this.db, scope);
  }

  async hasPlayer(scope: EventScope, userId: string): Promise<boolean> {
    return (await playerOf(this.db, scope, userId)) !== undefined;
  }

  playerAggregates(scope: EventScope): Promise<PlayerAggregates[]> {
    return playerAggregates(this.db, scope);
  }

  segmentMembers(scope: EventScope, criteria: SegmentCriteria, page?: IdPage): Promise<string[]> {
    return segmentMembers(this.db, scope, criteria, page);
  }

  async deletePlayer(scope: EventScope, userId: string, at: number): Promise<PlayerDeletion> {
    return { records: await deletePlayer(this.db, this.writer, scope, userId, at), complete: true };
  }

  deletionStatus(scope: EventScope, userId: string): Promise<DeletionStatus | undefined> {
    return deletionStatus(this.db, scope, userId);
  }

  purgeDeleted(): Promise<void> {
    return this.writer.purgeDeleted();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  close(): Promise<void> {
    return this.writer.drain();
  }
}

/** The store's backend's bulk-write path, on its connection. */
export function batchWriter(store: Store, db: Kysely<EventDatabase>): BatchWriter {
  const native = store.native;
  return native.backend === 'sqlite'
    ? new SqliteBatchWriter(native.database, db)
    : new PostgresBatchWriter(native.pool);
}

/**
 * The event store on the store's own database. Its writes share the store's connection, so the
 * store drains them before it closes.
 */
export function sqlEventStore(store: Store): SqlEventStore {
  // The same connection, typed with the event tables only (the control plane does not list them).
  const db = store.db as unknown as Kysely<EventDatabase>;
  const native = store.native;
  const writer =
    native.backend === 'sqlite'
      ? new SqliteBatchWriter(native.database, db)
      : new PostgresBatchWriter(native.pool);
  const events = new SqlEventStore(db, writer);
  store.beforeClose(() => events.close());
  return events;
}
