import type { Kysely } from 'kysely';
import type { Migration, MigrationDialect } from './dialect.js';

type Column = [name: string, type: 'text' | 'integer' | 'bigint' | 'double precision', notNull?: boolean];

/** Typed columns of each event table, beyond the shared ones (frozen as of this migration). */
const EVENT_TABLES: Record<string, Column[]> = {
  actions: [
    ['action_id', 'text', true],
    ['action_name', 'text', true],
    ['action_params', 'text'],
  ],
  logins: [
    ['clan_id', 'text'],
    ['level', 'integer'],
    ['device', 'text'],
    ['country', 'text'],
    ['platform', 'text'],
    ['language', 'text'],
    ['register_date', 'text'],
    ['last_login_timestamp', 'bigint'],
  ],
  purchases: [
    ['item_id', 'text', true],
    ['count', 'integer', true],
    ['price', 'double precision', true],
    ['platform', 'text'],
  ],
  virtual_purchases: [
    ['item_id', 'text', true],
    ['count', 'integer', true],
    ['virtual_price', 'double precision', true],
    ['currency', 'text', true],
  ],
  level_ups: [['level', 'integer', true]],
  social_dynamics: [
    ['target_user_id', 'text', true],
    ['connection', 'text'],
    ['interaction', 'text', true],
    ['interaction_params', 'text'],
  ],
};

export const foundation: Migration = {
  async up(db: Kysely<unknown>, d: MigrationDialect) {
    await db.schema
      .createTable('dashboards')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dashboard_id', 'text', (c) => c.notNull().references('dashboards.id').onDelete('cascade'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_keys_dashboard').on('api_keys').columns(['dashboard_id']).execute();

    await db.schema
      .createTable('players')
      .addColumn('id', d.autoIdType, (c) => d.autoId(c))
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('last_login_at', 'bigint')
      .addColumn('clan_id', 'text')
      .addColumn('level', 'integer')
      .addColumn('device', 'text')
      .addColumn('country', 'text')
      .addColumn('platform', 'text')
      .addColumn('language', 'text')
      .addColumn('register_date', 'text')
      .addUniqueConstraint('players_user', ['dashboard_id', 'environment', 'user_id'])
      .execute();

    for (const [table, columns] of Object.entries(EVENT_TABLES)) {
      let create = db.schema
        .createTable(table)
        .addColumn('id', d.autoIdType, (c) => d.autoId(c))
        .addColumn('dashboard_id', 'text', (c) => c.notNull())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('player_id', 'bigint', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull());
      for (const [name, type, notNull] of columns) {
        create = create.addColumn(name, type, (c) => (notNull ? c.notNull() : c));
      }
      await create.addColumn('extra', 'text').execute();
      // Newest-first listings per dashboard, and a player's own records (user reads, deletion).
      // The player index is on player_id alone: every insert lands at a random player, and the
      // narrower key (deduplicated by PostgreSQL, rowid-ordered by SQLite) halves the index
      // pages a batch dirties; a player's few records are sorted after the lookup.
      await db.schema
        .createIndex(`${table}_scope_ts`)
        .on(table)
        .columns(['dashboard_id', 'environment', 'ts'])
        .execute();
      await db.schema.createIndex(`${table}_player`).on(table).columns(['player_id']).execute();
    }

    await db.schema
      .createTable('items')
      .addColumn('id', d.autoIdType, (c) => d.autoId(c))
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('item_id', 'text', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('price', 'double precision', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text')
      .addColumn('extra', 'text')
      .addUniqueConstraint('items_item', ['dashboard_id', 'environment', 'item_id'])
      .execute();

    await db.schema
      .createTable('idempotency_keys')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['dashboard_id', 'environment', 'key'])
      .execute();
    await db.schema
      .createIndex('idempotency_keys_created')
      .on('idempotency_keys')
      .columns(['created_at'])
      .execute();

    await db.schema
      .createTable('daily_counts')
      .addColumn('dashboard_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('record_type', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('daily_counts_pk', ['dashboard_id', 'environment', 'record_type', 'day'])
      .execute();
  },
};
