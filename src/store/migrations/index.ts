import { sql, type Kysely } from 'kysely';
import type { Migration, MigrationDialect } from './dialect.js';
import { foundation } from './0001-foundation.js';

/** Every migration, in order. Names are permanent: add new ones at the end. */
export const MIGRATIONS: readonly (readonly [string, Migration])[] = [['0001-foundation', foundation]];

export class SchemaTooNewError extends Error {}

/**
 * Applies pending migrations, each in its own transaction, and refuses a database that a
 * newer Traitforge has migrated (it would not understand the data). Returns the names applied.
 */
export async function migrate(db: Kysely<unknown>, dialect: MigrationDialect): Promise<string[]> {
  await sql`create table if not exists traitforge_migrations (name text primary key, applied_at bigint not null)`.execute(
    db,
  );
  const rows = await sql<{ name: string }>`select name from traitforge_migrations`.execute(db);
  const applied = new Set(rows.rows.map((r) => r.name));
  const known = new Set(MIGRATIONS.map(([name]) => name));
  const unknown = [...applied].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database was migrated by a newer Traitforge (unknown migrations: ${unknown.join(', ')}); upgrade this server`,
    );
  }
  const done: string[] = [];
  for (const [name, migration] of MIGRATIONS) {
    if (applied.has(name)) continue;
    await db.transaction().execute(async (trx) => {
      // Two servers starting together: the primary key lets only one record the migration.
      await sql`insert into traitforge_migrations (name, applied_at) values (${name}, ${Date.now()})`.execute(
        trx,
      );
      await migration.up(trx, dialect);
    });
    done.push(name);
  }
  return done;
}
