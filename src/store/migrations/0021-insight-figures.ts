import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Player insights' aggregates (docs/insights.md "Aggregates"): what the answers read instead of
 * one row per player-day. Every table is keyed by segment and persona (0: no persona), so a
 * segment's `persona=all` is the sum of its persona rows; counts are kept by adding and
 * subtracting players' contributions (src/insights/figure-rollups.ts).
 *
 * - `insight_day_figures`: per day, active players, logins, purchases, paying players, revenue,
 *   installs, first purchasers, and the ends of the 7- and 30-day activity stretches (WAU, MAU);
 * - `insight_cohort_figures`: per install day and offset N (0–366), players active on install
 *   day + N (retention);
 * - `insight_churn_figures`: per install day and last login day (the install day when none),
 *   players (churn for any window; the cohorts' sizes);
 * - `insight_level_figures`: per install day, offset and level, +1 where a player's highest
 *   level so far becomes that level and −1 where it leaves it (progression's histograms);
 * - `insight_figure_stamps`: per segment, the persona run and number of persona members the
 *   aggregates were built with.
 */
export const insightFigures: Migration = {
  async up(db: Kysely<unknown>) {
    const keyed = (name: string) =>
      db.schema
        .createTable(name)
        .addColumn('dashboard_id', 'text', (c) => c.notNull())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('segment_id', 'text', (c) => c.notNull())
        .addColumn('persona', 'integer', (c) => c.notNull());
    const key = ['dashboard_id', 'environment', 'segment_id', 'persona'] as const;
    await keyed('insight_day_figures')
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('players', 'bigint', (c) => c.notNull())
      .addColumn('logins', 'bigint', (c) => c.notNull())
      .addColumn('purchases', 'bigint', (c) => c.notNull())
      .addColumn('paying', 'bigint', (c) => c.notNull())
      .addColumn('revenue', 'double precision', (c) => c.notNull())
      .addColumn('installs', 'bigint', (c) => c.notNull())
      .addColumn('first_purchasers', 'bigint', (c) => c.notNull())
      .addColumn('week_ends', 'bigint', (c) => c.notNull())
      .addColumn('month_ends', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_day_figures_pk', [...key, 'day'])
      .execute();
    await keyed('insight_cohort_figures')
      .addColumn('cohort', 'integer', (c) => c.notNull())
      .addColumn('offset_days', 'integer', (c) => c.notNull())
      .addColumn('players', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_cohort_figures_pk', [...key, 'cohort', 'offset_days'])
      .execute();
    await keyed('insight_churn_figures')
      .addColumn('cohort', 'integer', (c) => c.notNull())
      .addColumn('last_day', 'integer', (c) => c.notNull())
      .addColumn('players', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_churn_figures_pk', [...key, 'cohort', 'last_day'])
      .execute();
    await keyed('insight_level_figures')
      .addColumn('cohort', 'integer', (c) => c.notNull())
      .addColumn('offset_days', 'integer', (c) => c.notNull())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('players', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_level_figures_pk', [...key, 'cohort', 'offset_days', 'level'])
      .execute();
    await db.schema
      .createTable('insight_figure_stamps')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('segment_id', 'text', (c) => c.notNull())
      .addColumn('persona_run', 'bigint', (c) => c.notNull())
      .addColumn('persona_members', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('insight_figure_stamps_pk', ['dashboard_id', 'environment', 'segment_id'])
      .execute();
  },
};
