import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Write intents of the ClickHouse event store (docs/clickhouse.md, "The write protocol"): one row
 * per batch being written, from before its rows reach the shards until its keys are recorded in the
 * same transaction that deletes the row. Reads hide the rows of every batch still listed here; a
 * row left by a crash is rolled back by the sweeper, which first sets `rolled_back_at` (a writer
 * finding it set may no longer acknowledge its batch).
 */
export const writeIntents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('event_write_intents')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('batch_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('rolled_back_at', 'bigint')
      .addPrimaryKeyConstraint('event_write_intents_pk', ['dashboard_id', 'environment', 'batch_id'])
      .execute();
    await db.schema
      .createIndex('event_write_intents_created')
      .on('event_write_intents')
      .column('created_at')
      .execute();
  },
};
