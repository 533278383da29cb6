import type { Kysely } from 'kysely';
import type { EventDatabase } from '../../src/events/sql/schema.js';
import type { Database } from '../../src/store/database.js';
import type { Store } from '../../src/store/store.js';

/**
 * The whole SQL database, event tables included, for tests that look at what was stored (the
 * application reaches event tables only through `src/events/`).
 */
export function storage(store: Store): Kysely<Database & EventDatabase> {
  return store.db as unknown as Kysely<Database & EventDatabase>;
}

/** A handle typed with the event tables alone, as `src/events/sql/` sees the database. */
export function eventTables(db: Store | Kysely<Database & EventDatabase>): Kysely<EventDatabase> {
  return ('db' in db ? db.db : db) as unknown as Kysely<EventDatabase>;
}
