import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Trait scores of players who completed the survey, per dashboard and environment. `scores` is
 * JSON in the traits endpoint's shape ({category: {trait: 0–100}}); the survey writes it, the
 * personas read it.
 */
export const traits: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('trait_scores')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('scores', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('trait_scores_pk', ['dashboard_id', 'environment', 'user_id'])
      .execute();
  },
};
