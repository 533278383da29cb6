import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Segments, personas and persona memberships (issue 5), and the owner of each ingest dedupe key
 * so that deleting a player's data (`DELETE /v1/userData`) reaches the keys their events left.
 */
export const personas: Migration = {
  async up(db: Kysely<unknown>) {
    // Custom segments of a dashboard (both environments); `default` is implicit: every player.
    await db.schema
      .createTable('segments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dashboard_id', 'text', (c) => c.notNull().references('dashboards.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('filter', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('segments_dashboard').on('segments').columns(['dashboard_id']).execute();

    // The last recompute of a segment's personas: what the admin recompute answers with.
    await db.schema
      .createTable('persona_runs')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('segment_id', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('last_number', 'integer', (c) => c.notNull())
      .addColumn('computed_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('persona_runs_pk', ['dashboard_id', 'environment', 'segment_id'])
      .execute();

    // One row per persona: centroid (trait units), size, and the trait means of surveyed members.
    await db.schema
      .createTable('personas')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('segment_id', 'text', (c) => c.notNull())
      .addColumn('persona', 'integer', (c) => c.notNull())
      .addColumn('centroid', 'text', (c) => c.notNull())
      .addColumn('trait_means', 'text', (c) => c.notNull())
      .addColumn('surveyed', 'bigint', (c) => c.notNull())
      .addColumn('predicted', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('personas_pk', ['dashboard_id', 'environment', 'segment_id', 'persona'])
      .execute();

    await db.schema
      .createTable('persona_members')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('segment_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('persona', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('persona_members_pk', ['dashboard_id', 'environment', 'segment_id', 'user_id'])
      .execute();
    // The user-ids endpoint pages through one persona in user id order.
    await db.schema
      .createIndex('persona_members_persona')
      .on('persona_members')
      .columns(['dashboard_id', 'environment', 'segment_id', 'persona', 'user_id'])
      .execute();
    // A player's memberships across segments (traits of a player, deletion).
    await db.schema
      .createIndex('persona_members_user')
      .on('persona_members')
      .columns(['dashboard_id', 'environment', 'user_id'])
      .execute();

    // When a player's data was last deleted in a scope (no user id: only that it happened), so a
    // recompute that read the data before a deletion knows to drop the player from what it writes.
    await db.schema
      .createTable('user_data_deletions')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_data_deletions_pk', ['dashboard_id', 'environment'])
      .execute();

    await db.schema.alterTable('ingest_dedupe').addColumn('user_id', 'text').execute();
    await db.schema
      .createIndex('ingest_dedupe_user')
      .on('ingest_dedupe')
      .columns(['dashboard_id', 'environment', 'user_id'])
      .execute();
  },
};
