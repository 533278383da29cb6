import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * The survey: who was registered (and where they are in it), the links' tokens (hashes only)
 * and every answer, per dashboard and environment. Each table names the player `user_id`, so
 * deleting a player's data finds them. Times are epoch milliseconds.
 */
export const survey: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('survey_participants')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      // requested | partial | disqualified | completed
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('page', 'integer', (c) => c.notNull())
      .addColumn('page_nonce', 'text')
      .addColumn('page_shown_at', 'bigint')
      .addColumn('rushed_pages', 'integer', (c) => c.notNull())
      .addColumn('disqualified_reason', 'text')
      .addColumn('registered_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .addPrimaryKeyConstraint('survey_participants_pk', ['dashboard_id', 'environment', 'user_id'])
      .execute();
    await db.schema
      .createIndex('survey_participants_status')
      .on('survey_participants')
      .columns(['dashboard_id', 'environment', 'status'])
      .execute();

    await db.schema
      .createTable('survey_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('survey_tokens_user')
      .on('survey_tokens')
      .columns(['dashboard_id', 'environment', 'user_id'])
      .execute();

    await db.schema
      .createTable('survey_responses')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('item_id', 'text', (c) => c.notNull())
      .addColumn('value', 'integer', (c) => c.notNull())
      .addColumn('answered_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('survey_responses_pk', ['dashboard_id', 'environment', 'user_id', 'item_id'])
      .execute();
  },
};
