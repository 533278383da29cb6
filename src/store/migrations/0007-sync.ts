import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Scheduled syncs and their outcome per storage connection, notification webhooks per
 * dashboard, and the age of stored upload pieces (so pieces of an upload that never finished
 * can be swept).
 */
export const sync: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('storage_connections').addColumn('next_sync_at', 'bigint').execute();
    await db.schema
      .alterTable('storage_connections')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('never_synced'))
      .execute();
    await db.schema.alterTable('storage_connections').addColumn('last_sync', 'text').execute();
    await db.schema
      .createIndex('storage_connections_due')
      .on('storage_connections')
      .columns(['next_sync_at'])
      .execute();
    await db.schema
      .createTable('dashboard_notifications')
      .addColumn('dashboard_id', 'text', (c) => c.primaryKey())
      .addColumn('webhook_url', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('upload_chunks').addColumn('created_at', 'bigint').execute();
  },
};
