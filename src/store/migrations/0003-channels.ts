import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/** Per-dashboard channel settings, and the keys that make redelivered events harmless. */
export const channels: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('dashboard_settings')
      .addColumn('dashboard_id', 'text', (c) =>
        c.primaryKey().references('dashboards.id').onDelete('cascade'),
      )
      .addColumn('playfab_level_statistics', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    // One row per event id a channel has stored (PlayFab's EventId), written in the batch's
    // transaction: a redelivery finds its key and stores nothing.
    await db.schema
      .createTable('ingest_dedupe')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('ingest_dedupe_pk', ['dashboard_id', 'environment', 'source', 'key'])
      .execute();
  },
};
