import type { Kysely } from 'kysely';
import type { Environment, RecordTypeDef } from '../domain/records.js';
import type { NormalizedRow } from '../ingest/normalize.js';
import type { Database } from './database.js';

export type Backend = 'sqlite' | 'postgres';

/** One validated batch, written in one transaction: all of it or none of it. */
export interface WriteBatch {
  dashboardId: string;
  environment: Environment;
  def: RecordTypeDef;
  rows: readonly NormalizedRow[];
  receivedAt: number;
  /**
   * When set, rows carrying a key already recorded for this source are skipped, and the new
   * keys are recorded in the same transaction (PlayFab's EventId). Parallel to `rows`.
   */
  dedupe?: { source: string; keys: readonly (string | null)[] };
  /**
   * When set, one key for the whole batch (a chunk of a file): recorded for this source in the
   * same transaction as the rows; when it was recorded before, nothing is written (written 0).
   */
  once?: { source: string; key: string };
  /**
   * When the records entered the system; default `receivedAt`. Records of a player deleted
   * (`DELETE /v1/userData`) after they entered are withheld: neither stored nor keyed. With
   * `byEventTime`, each record entered at the earlier of its own event time and `at` (a PlayFab
   * event redelivered: PlayStream had it from its timestamp on).
   */
  entered?: { at: number; byEventTime?: boolean };
  /** When set, the batch is recorded under this key in the same transaction. */
  idempotency?: { key: string; requestHash: string; response: string; notBefore: number };
}

export interface WriteResult {
  /** True when another request already recorded the idempotency key: nothing was written. */
  duplicate: boolean;
  /** Rows written (rows skipped by `dedupe` are not). */
  written: number;
  /** Rows withheld: their player was deleted after they entered (see `WriteBatch.entered`). */
  withheld: number;
}

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
