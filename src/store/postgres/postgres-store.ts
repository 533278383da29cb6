import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../database.js';
import { migrate } from '../migrations/index.js';
import { POSTGRES_MIGRATION_DIALECT } from '../migrations/dialect.js';
import { CloseHooks, type Store } from '../store.js';

const INT8_OID = 20;
/** Epoch-ms columns are bigint: read them as numbers (exact below 2^53). */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number): ((value: string) => unknown) =>
    oid === INT8_OID
      ? Number
      : (pg.types.getTypeParser(oid) as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The production backend: PostgreSQL through a pool. */
export class PostgresStore implements Store {
  readonly backend = 'postgres';
  readonly capabilities = { rowLocks: true };
  readonly db: Kysely<Database>;
  readonly native: { backend: 'postgres'; pool: pg.Pool };
  private readonly closeHooks = new CloseHooks();

  private constructor(pool: pg.Pool) {
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    this.native = { backend: 'postgres', pool };
  }

  static open(url: string, poolSize = 10): PostgresStore {
    const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
    // An idle client's error (server restart) must not crash the process: the pool replaces it.
    pool.on('error', () => undefined);
    return new PostgresStore(pool);
  }

  async migrate(): Promise<string[]> {
    const client = await this.native.pool.connect();
    try {
      // Several servers may start at once: one migrates, the others wait and find nothing to do.
      await client.query('SELECT pg_advisory_lock(727274)');
      return await migrate(this.db as unknown as Kysely<unknown>, POSTGRES_MIGRATION_DIALECT);
    } finally {
      await client.query('SELECT pg_advisory_unlock(727274)').catch(() => undefined);
      client.release();
    }
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
