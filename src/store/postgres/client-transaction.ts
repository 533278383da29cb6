import { Kysely, PostgresDialect, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import type { Database } from '../database.js';

/**
 * One transaction on one pooled connection, seen both ways: `trx` runs the Kysely queries and
 * `client` is the same connection's `pg` client, for what Kysely cannot send (`COPY … FROM
 * STDIN`). Kysely hides the client of its own transactions, so this Kysely is made over the one
 * connection (BEGIN/COMMIT/ROLLBACK are Kysely's), which goes back to the pool afterwards.
 */
export async function withClientTransaction<T>(
  pool: pg.Pool,
  work: (trx: Kysely<Database>, client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // Kysely releases the connection after the transaction: the pool gets it back below instead.
  const lent: PostgresPoolClient = {
    query: client.query.bind(client) as PostgresPoolClient['query'],
    release: () => undefined,
  };
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: { connect: () => Promise.resolve(lent), end: () => Promise.resolve() },
    }),
  });
  let failure: Error | undefined;
  try {
    return await db.transaction().execute((trx) => work(trx, client));
  } catch (error) {
    // A connection whose transaction failed (a COPY cut short, a lost socket) is not reused.
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(failure);
    await db.destroy();
  }
}
