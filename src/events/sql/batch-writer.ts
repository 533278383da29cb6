import type { Kysely } from 'kysely';
import type { EventScope, WriteBatch, WriteResult } from '../event-store.js';
import type { EventDatabase } from './schema.js';

/**
 * The backend-specific half of the SQL event store: the bulk-write path (prepared statements on
 * SQLite, COPY on PostgreSQL) and what a deletion needs from it. Everything else is shared SQL.
 */
export interface BatchWriter {
  write(batch: WriteBatch): Promise<WriteResult>;
  /**
   * Inside a deletion's transaction: waits for the scope's batch writes in flight and holds new
   * ones until the transaction ends, so a batch either commits before the deletion (and is
   * deleted with the rest) or reads its marker.
   */
  excludeWriters(trx: Kysely<EventDatabase>, scope: EventScope): Promise<void>;
  /** See `EventStore.purgeDeleted`. */
  purgeDeleted(): Promise<void>;
  readonly overwritesDeleted: boolean;
  /** Resolves once every batch handed over so far has settled. */
  drain(): Promise<void>;
}
