import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Player insights (issue 14): rollups the `/v1/insights` figures are read from, so no answer
 * scans the event tables. Days are whole UTC days since 1970-01-01 (integers), so "install day
 * + N" is plain arithmetic on every backend.
 *
 * - `insight_player_days`: one row per player and day they were active, with that day's logins,
 *   real-money purchases and revenue, and the highest level seen;
 * - `insight_player_values`: per player and day, sums and counts of KPI values (`kpi:<id>`) and
 *   virtual currency spent (`currency:<code>`);
 * - `insight_players`: per player, the first active day, the register date's day and the install
 *   day (the earlier of the two), with the user id that persona memberships are keyed by;
 * - `insight_segment_members`: the user ids of each custom segment as of the last refresh (its
 *   filter evaluated then), so figures by segment need no event table;
 * - `insight_watermarks`: per scope and event table, the last event id folded into the rollups.
 */
export const insights: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('insight_player_days')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('player_id', 'bigint', (c) => c.notNull())
      .addColumn('records', 'integer', (c) => c.notNull())
      .addColumn('logins', 'integer', (c) => c.notNull())
      .addColumn('purchases', 'integer', (c) => c.notNull())
      .addColumn('revenue', 'double precision', (c) => c.notNull())
      .addColumn('max_level', 'integer')
      // Day-range reads (daily figures) walk this key; retention joins on (player, day).
      .addPrimaryKeyConstraint('insight_player_days_pk', ['dashboard_id', 'environment', 'day', 'player_id'])
      .execute();
    await db.schema
      .createIndex('insight_player_days_player')
      .on('insight_player_days')
      .columns(['dashboard_id', 'environment', 'player_id', 'day'])
      .execute();
    await db.schema
      .createTable('insight_player_values')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('player_id', 'bigint', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('total', 'double precision', (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_player_values_pk', [
        'dashboard_id',
        'environment',
        'day',
        'player_id',
        'name',
      ])
      .execute();
    await db.schema
      .createIndex('insight_player_values_player')
      .on('insight_player_values')
      .columns(['dashboard_id', 'environment', 'player_id'])
      .execute();
    await db.schema
      .createTable('insight_players')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('player_id', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('first_day', 'integer', (c) => c.notNull())
      .addColumn('register_day', 'integer')
      .addColumn('install_day', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_players_pk', ['dashboard_id', 'environment', 'player_id'])
      .execute();
    await db.schema
      .createIndex('insight_players_install')
      .on('insight_players')
      .columns(['dashboard_id', 'environment', 'install_day'])
      .execute();
    await db.schema
      .createIndex('insight_players_user')
      .on('insight_players')
      .columns(['dashboard_id', 'environment', 'user_id'])
      .execute();
    await db.schema
      .createTable('insight_segment_members')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('segment_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_segment_members_pk', [
        'dashboard_id',
        'environment',
        'segment_id',
        'user_id',
      ])
      .execute();
    await db.schema
      .createIndex('insight_segment_members_user')
      .on('insight_segment_members')
      .columns(['dashboard_id', 'environment', 'user_id'])
      .execute();
    await db.schema
      .createTable('insight_watermarks')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('last_id', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_watermarks_pk', ['dashboard_id', 'environment', 'source'])
      .execute();
  },
};
