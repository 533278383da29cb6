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
  /** When set, the batch is recorded under this key in the same transaction. */
  idempotency?: { key: string; requestHash: string; response: string; notBefore: number };
}

export interface WriteResult {
  /** True when another request already recorded the idempotency key: nothing was written. */
  duplicate: boolean;
  /** Rows written (rows skipped by `dedupe` are not). */
  written: number;
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
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
