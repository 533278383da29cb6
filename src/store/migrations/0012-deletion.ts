import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Deletion markers (issue 11): one row per player deleted by `DELETE /v1/userData`, per dashboard
 * and environment, with the time of the deletion. Every batch write looks up the markers newer
 * than its records' entry time, so records that entered before a deletion (an upload queued, a
 * bucket file, a PlayFab retry) are never stored after it. The player is named by a hash.
 */
export const deletion: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('deleted_players')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('user_hash', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('deleted_players_pk', ['dashboard_id', 'environment', 'user_hash'])
      .execute();
    // The write path asks "deleted after <entry time>?": a range on this index, empty as a rule.
    await db.schema
      .createIndex('deleted_players_time')
      .on('deleted_players')
      .columns(['dashboard_id', 'environment', 'deleted_at'])
      .execute();
  },
};
