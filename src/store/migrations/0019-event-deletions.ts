import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Player deletions an event backend carries out after answering (ClickHouse mutations): one row per
 * player and scope, named by the hash of the id as `deleted_players` does. The id itself is held only
 * while the deletion runs (`pending_user_id`: the job needs it to check the shards) and cleared when
 * it completes; `completed_at` is what `GET /v1/userData/deletion` reports.
 */
export const eventDeletions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('event_deletions')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('user_hash', 'text', (c) => c.notNull())
      .addColumn('pending_user_id', 'text')
      .addColumn('records', 'bigint', (c) => c.notNull())
      .addColumn('requested_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .addPrimaryKeyConstraint('event_deletions_pk', ['dashboard_id', 'environment', 'user_hash'])
      .execute();
  },
};
