import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Insights' stamps name a segment's persona run only (docs/insights.md "Aggregates"): memberships
 * change with a run and otherwise only lose deleted players, whose contributions a deletion already
 * takes away. The member count that 0021 stamped was counted per persona answer (≈150 ms at 1M).
 */
export const runStamps: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('insight_figure_stamps').dropColumn('persona_members').execute();
  },
};
