import type { Kysely } from 'kysely';
import type { Migration, MigrationDialect } from './dialect.js';

/** The Forge partner API: keys and quotas, the platform's players, archived records, quests and rewards. */
export const forge: Migration = {
  async up(db: Kysely<unknown>, d: MigrationDialect) {
    await db.schema
      .createTable('forge_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('partner', 'text', (c) => c.notNull())
      .addColumn('game', 'text', (c) => c.notNull())
      .addColumn('game_id', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('daily_quota', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();

    // Requests per key per UTC day: one row updated atomically, so every process sees one count.
    await db.schema
      .createTable('forge_usage')
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('forge_usage_pk', ['key_id', 'day'])
      .execute();

    await db.schema
      .createTable('forge_players')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    // Every way a player is recognised, by canonical key (email:…, wallet:chain:…, platform:name:…).
    await db.schema
      .createTable('forge_identities')
      .addColumn('identity_key', 'text', (c) => c.primaryKey())
      .addColumn('player_id', 'text', (c) => c.notNull().references('forge_players.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('forge_identities_player')
      .on('forge_identities')
      .columns(['player_id'])
      .execute();

    // Records are keyed by identity, not player: a record nobody holds yet is the archive, and
    // becomes a player's the moment the identity is linked, without rewriting it.
    await db.schema
      .createTable('forge_sessions')
      .addColumn('id', d.autoIdType, (c) => d.autoId(c))
      .addColumn('game_id', 'text', (c) => c.notNull())
      .addColumn('identity_key', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint', (c) => c.notNull())
      .addColumn('hours', 'double precision', (c) => c.notNull())
      .addColumn('record_id', 'text')
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('forge_sessions_once', ['game_id', 'identity_key', 'ended_at', 'hours'])
      .execute();

    await db.schema
      .createTable('forge_achievements')
      .addColumn('id', d.autoIdType, (c) => d.autoId(c))
      .addColumn('game_id', 'text', (c) => c.notNull())
      .addColumn('identity_key', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('unlocked', 'integer', (c) => c.notNull())
      .addColumn('unlock_time', 'bigint', (c) => c.notNull())
      .addColumn('record_id', 'text')
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('forge_achievements_once', ['game_id', 'identity_key', 'title'])
      .execute();

    await db.schema
      .createTable('forge_quests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('game_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('target', 'double precision', (c) => c.notNull())
      .addColumn('achievement_title', 'text')
      .addColumn('starts_at', 'bigint', (c) => c.notNull())
      .addColumn('ends_at', 'bigint', (c) => c.notNull())
      .addColumn('reward_kind', 'text', (c) => c.notNull())
      .addColumn('reward_amount', 'double precision', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('forge_quests_game').on('forge_quests').columns(['game_id']).execute();

    await db.schema
      .createTable('forge_progress')
      .addColumn('player_id', 'text', (c) => c.notNull())
      .addColumn('quest_id', 'text', (c) => c.notNull())
      .addColumn('current', 'double precision', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('forge_progress_pk', ['player_id', 'quest_id'])
      .execute();

    // The primary key is the "exactly once": a second grant for the same quest cannot be written.
    await db.schema
      .createTable('forge_rewards')
      .addColumn('player_id', 'text', (c) => c.notNull())
      .addColumn('quest_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('amount', 'double precision', (c) => c.notNull())
      .addColumn('granted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('forge_rewards_pk', ['player_id', 'quest_id'])
      .execute();

    await db.schema
      .createTable('forge_game_webhooks')
      .addColumn('game_id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    // Outbox: written in the reward's transaction, delivered (and retried) by the webhook worker.
    await db.schema
      .createTable('forge_webhook_deliveries')
      .addColumn('id', d.autoIdType, (c) => d.autoId(c))
      .addColumn('game_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .addColumn('failed_at', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('forge_webhook_deliveries_due')
      .on('forge_webhook_deliveries')
      .columns(['delivered_at', 'failed_at', 'next_attempt_at'])
      .execute();
  },
};
