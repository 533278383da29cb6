import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Membership probabilities (issue 12): each surveyed member's posterior probability per persona
 * from the mixture model, JSON {"<persona>": p}; null for members whose persona is predicted
 * from behaviour and for rows written before this migration.
 */
export const personaProbabilities: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('persona_members').addColumn('probabilities', 'text').execute();
  },
};
