import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from './database.js';

export type Backend = 'sqlite' | 'postgres';

/** What differs between backends, named once here instead of tested for around the code. */
export interface StoreCapabilities {
  /** `SELECT … FOR UPDATE` locks rows (PostgreSQL). SQLite serializes every write instead. */
  readonly rowLocks: boolean;
}

/**
 * The driver beneath Kysely, for bulk writes only: the events module's (`src/events/sql/`:
 * prepared statements on SQLite, COPY on PostgreSQL) and the persona memberships' (COPY on
 * PostgreSQL, `postgres/client-transaction.ts`).
 */
export type NativeConnection =
  | { readonly backend: 'sqlite'; readonly database: BetterSqlite3.Database }
  | { readonly backend: 'postgres'; readonly pool: pg.Pool };

/**
 * The control plane's database: connection, migrations and the Kysely handle its modules
 * (tenancy, jobs, survey, personas…) query. Player event data is not here: it belongs to the
 * events module (`src/events/`), which may share this connection (`native`).
 */
export interface Store {
  readonly backend: Backend;
  readonly capabilities: StoreCapabilities;
  readonly db: Kysely<Database>;
  readonly native: NativeConnection;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  /** Runs before the connection closes (in order): work in flight on it finishes first. */
  beforeClose(hook: () => Promise<void>): void;
  close(): Promise<void>;
}

/** The `beforeClose` hooks of a store. */
export class CloseHooks {
  private readonly hooks: (() => Promise<void>)[] = [];

  add(hook: () => Promise<void>): void {
    this.hooks.push(hook);
  }

  async run(): Promise<void> {
    for (const hook of this.hooks) await hook();
  }
}
