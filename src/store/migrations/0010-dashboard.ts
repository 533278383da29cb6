import type { Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * The web dashboard: member accounts, sign-in sessions (the id stored hashed), login throttling
 * counters, and a bounded log of refused pushes per dashboard and environment.
 */
export const dashboard: Migration = {
  async up(db: Kysely<unknown>, dialect) {
    await db.schema
      .createTable('dashboard_members')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('dashboard_members_dashboard')
      .on('dashboard_members')
      .columns(['dashboard_id'])
      .execute();
    await db.schema
      .createTable('dashboard_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('member_id', 'text')
      .addColumn('operator_token_hash', 'text')
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('dashboard_sessions_expiry')
      .on('dashboard_sessions')
      .columns(['expires_at'])
      .execute();
    await db.schema
      .createTable('login_throttle')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('window_started_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('ingest_rejects')
      .addColumn('id', dialect.autoIdType, (c) => dialect.autoId(c))
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('record_type', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('errors', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('ingest_rejects_dashboard')
      .on('ingest_rejects')
      .columns(['dashboard_id', 'environment', 'id'])
      .execute();
    // The quests page counts completions and lists recent rewards per quest without a scan.
    await db.schema
      .createIndex('forge_rewards_quest')
      .on('forge_rewards')
      .columns(['quest_id', 'granted_at'])
      .execute();
  },
};
