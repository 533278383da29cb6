import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/** Bucket channel: storage connections per dashboard and the file versions each has ingested. */
export const sources: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('storage_connections')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('bucket', 'text')
      .addColumn('prefix', 'text')
      .addColumn('endpoint', 'text')
      .addColumn('region', 'text')
      .addColumn('path', 'text')
      .addColumn('credentials', 'text')
      .addColumn('schedule_minutes', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_sync_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('storage_connections_dashboard')
      .on('storage_connections')
      .columns(['dashboard_id'])
      .execute();
    await db.schema
      .createTable('storage_files')
      .addColumn('connection_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('etag', 'text', (c) => c.notNull())
      .addColumn('records', 'integer', (c) => c.notNull())
      .addColumn('rejected', 'integer', (c) => c.notNull())
      .addColumn('ingested_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('storage_files_pk', ['connection_id', 'key', 'etag'])
      .execute();
  },
};
