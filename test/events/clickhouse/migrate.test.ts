import { afterEach, describe, expect, it } from 'vitest';
import { migrateShards } from '../../../src/events/clickhouse/migrate.js';
import { chSql } from '../../../src/events/clickhouse/literal.js';
import { CLICKHOUSE_MIGRATIONS } from '../../../src/events/clickhouse/schema.js';
import { SchemaTooNewError } from '../../../src/store/migrations/index.js';
import { CLICKHOUSE_URLS, createTestClickHouse, type TestClickHouse } from '../../support/clickhouse.js';

describe.skipIf(CLICKHOUSE_URLS.length === 0)('ClickHouse migrations on every shard', () => {
  let cluster: TestClickHouse;
  afterEach(() => cluster.drop());

  it('creates the database and the tables on every shard, once', async () => {
    cluster = createTestClickHouse();
    expect(await migrateShards(cluster.shards)).toEqual(CLICKHOUSE_MIGRATIONS.map((m) => m.name));
    expect(await migrateShards(cluster.shards)).toEqual([]);
    for (const shard of cluster.shards) {
      const tables = await shard.select<{ name: string; engine: string }>(
        chSql`SELECT name, engine FROM system.tables WHERE database = ${shard.address.database} ORDER BY name`,
      );
      expect(tables).toContainEqual({ name: 'events_actions', engine: 'ReplacingMergeTree' });
      expect(tables).toContainEqual({ name: 'items', engine: 'ReplacingMergeTree' });
      expect(tables).toContainEqual({ name: 'players', engine: 'ReplacingMergeTree' });
      expect(tables).toContainEqual({ name: 'traitforge_migrations', engine: 'MergeTree' });
      const [recorded] = await shard.select<{ n: number }>(
        chSql`SELECT count() AS n FROM traitforge_migrations`,
      );
      expect(recorded?.n).toBe(CLICKHOUSE_MIGRATIONS.length);
    }
  });

  it('finishes a migration a start left half-done on one shard, and tolerates concurrent starts', async () => {
    cluster = createTestClickHouse();
    // Shard 1 alone migrated (a start that died before reaching the others).
    await migrateShards(cluster.shards.slice(0, 1));
    const results = await Promise.all([migrateShards(cluster.shards), migrateShards(cluster.shards)]);
    expect(results.flat().length).toBeGreaterThan(0);
    for (const shard of cluster.shards) {
      const [row] = await shard.select<{ n: number }>(chSql`SELECT count() AS n FROM events_logins`);
      expect(row?.n).toBe(0);
    }
  });

  it('refuses a shard migrated by a newer Traitforge', async () => {
    cluster = createTestClickHouse();
    await migrateShards(cluster.shards);
    await cluster.shards.at(-1)!.insert('traitforge_migrations', [{ name: '9999-future', applied_at: 1 }]);
    await expect(migrateShards(cluster.shards)).rejects.toThrow(SchemaTooNewError);
    await expect(migrateShards(cluster.shards)).rejects.toThrow(/9999-future/);
  });
});
