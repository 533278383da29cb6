import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Database } from '../database.js';
import { migrate } from '../migrations/index.js';
import { SQLITE_MIGRATION_DIALECT } from '../migrations/dialect.js';
import { privateDirectory, privateFile } from '../private-path.js';
import { CloseHooks, type Store } from '../store.js';

/** The embedded backend: one SQLite file in WAL mode, every commit fsynced (synchronous=FULL). */
export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  readonly capabilities = { rowLocks: false };
  readonly db: Kysely<Database>;
  readonly native: { backend: 'sqlite'; database: BetterSqlite3.Database };
  private readonly closeHooks = new CloseHooks();

  private constructor(raw: BetterSqlite3.Database) {
    this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    this.native = { backend: 'sqlite', database: raw };
  }

  static open(file: string): SqliteStore {
    if (file !== ':memory:') {
      privateDirectory(dirname(file));
      privateFile(file, [`${file}-wal`, `${file}-shm`]);
    }
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    // Deleted rows (a player's erased data) are overwritten with zeros, freed pages included,
    // instead of staying readable in the file until the space is reused.
    raw.pragma('secure_delete = ON');
    raw.pragma('busy_timeout = 5000');
    // 16 MiB of page cache (default 2 MiB): the pages a whole group dirties stay in memory
    // instead of spilling to the WAL mid-transaction.
    raw.pragma('cache_size = -16384');
    // Checkpoint every ~40 MiB of WAL (default ~4 MiB): pages dirtied again and again are copied once.
    raw.pragma('wal_autocheckpoint = 10000');
    return new SqliteStore(raw);
  }

  migrate(): Promise<string[]> {
    return migrate(this.db as unknown as Kysely<unknown>, SQLITE_MIGRATION_DIALECT);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  beforeClose(hook: () => Promise<void>): void {
    this.closeHooks.add(hook);
  }

  async close(): Promise<void> {
    await this.closeHooks.run();
    await this.db.destroy();
  }
}
