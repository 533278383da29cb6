import type { Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { WriteBatch, WriteResult } from '../events/event-store.js';
import type { Database } from './database.js';

export type Backend = 'sqlite' | 'postgres';

/**
 * The storage port. Reads and small writes go through the shared Kysely handle; the hot
 * bulk-write path is the one backend-specific operation (COPY on PostgreSQL, prepared
 * statements on SQLite), always committed durably before it resolves.
 */
/** What differs between backends, named once here instead of tested for around the code. */
export interface StoreCapabilities {
  /** `SELECT … FOR UPDATE` locks rows (PostgreSQL). SQLite serializes every write instead. */
  readonly rowLocks: boolean;
}

export interface Store {
  readonly backend: Backend;
  readonly capabilities: StoreCapabilities;
  readonly db: Kysely<Database>;
  writeBatch(batch: WriteBatch): Promise<WriteResult>;
  /**
   * After a deletion (`DELETE /v1/userData`): pushes what the store keeps of deleted rows out of
   * its files where it can. SQLite zeroes deleted content as it goes (`secure_delete`); this
   * checkpoints the WAL, which still holds the pages as they were, and truncates it. PostgreSQL:
   * nothing (dead tuples stay until VACUUM reuses their space: see docs/api.md).
   */
  purgeDeleted(): Promise<void>;
  /**
   * Inside a deletion's transaction: waits for the scope's batch writes in flight and holds new
   * ones until the transaction ends, so a batch either commits before the deletion (and is
   * deleted with the rest) or reads its marker. SQLite: nothing (it has one writer at a time).
   */
  excludeWriters(trx: Kysely<Database>, dashboardId: string, environment: Environment): Promise<void>;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
