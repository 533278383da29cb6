import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Trait scores measured elsewhere (a studio moving from another vendor keeps its players'
 * results): `trait_scores.source` says where a row's scores come from, `survey` (this server's
 * survey, every row before this migration) or `imported`. A completed survey replaces imported
 * scores; an import never replaces a survey's.
 */
export const importedScores: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('trait_scores')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('survey'))
      .execute();
  },
};
