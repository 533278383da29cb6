import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Survey quality, per participant: when the player consented on the first page, whether the next
 * page warns about answering too fast, and the careless-responding indices computed at completion
 * (long string, even–odd consistency, Mahalanobis distance) with the signals they raised
 * (comma-separated), so the operator sees why a survey was kept or disqualified.
 */
export const surveyQuality: Migration = {
  async up(db: Kysely<unknown>) {
    const columns: [string, 'bigint' | 'integer' | 'double precision' | 'text'][] = [
      ['consented_at', 'bigint'],
      ['long_string', 'integer'],
      ['even_odd', 'double precision'],
      ['mahalanobis', 'double precision'],
      ['careless_signals', 'text'],
    ];
    for (const [name, type] of columns) {
      await db.schema.alterTable('survey_participants').addColumn(name, type).execute();
    }
    await db.schema
      .alterTable('survey_participants')
      .addColumn('warn_rushed', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
