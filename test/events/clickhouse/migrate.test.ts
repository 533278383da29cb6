import { afterEach, describe, expect, it } from 'vitest';
import { migrateShards, runStep } from '../../../src/events/clickhouse/migrate.js';
import type { ClickHouseShard } from '../../../src/events/clickhouse/http-client.js';
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
      expect(tables).toContainEqual({ name: 'events_actions_by_id', engine: 'ReplacingMergeTree' });
      expect(tables.map((t) => t.name)).not.toContain('events_actions');
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
      const [row] = await shard.select<{ n: number }>(chSql`SELECT count() AS n FROM events_logins_by_id`);
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

  describe('0003-sort-by-id: the event tables re-sorted by id', () => {
    const UPTO_0002 = CLICKHOUSE_MIGRATIONS.slice(0, 2);
    const UPTO_0003 = CLICKHOUSE_MIGRATIONS.slice(0, 3);
    const SORT_BY_ID = CLICKHOUSE_MIGRATIONS.find((m) => m.name === '0003-sort-by-id')!;
    const T = 1_790_000_000_000;
    /** An action row as 0002 stored it; `ts`: the arrival time of a record sent without one. */
    const action = (id: string, user: string, ts: number) => ({
      id,
      dashboard_id: 'dash',
      environment: 'production',
      user_id: user,
      ts,
      received_at: ts,
      action_id: `a-${id}`,
      action_name: 'jump',
      action_params: '{"k":"v"}',
      extra: null,
      inserted_at: ts + 1,
    });
    const tableNames = async (shard: ClickHouseShard) =>
      (
        await shard.select<{ name: string }>(
          chSql`SELECT name FROM system.tables WHERE database = ${shard.address.database} ORDER BY name`,
        )
      ).map((t) => t.name);
    const stamps = (shard: ClickHouseShard) =>
      shard.select(chSql`SELECT id, inserted_at FROM event_stamps FINAL WHERE type = 'actions' ORDER BY id`);
    /**
     * What the reads see: the deduplicated rows, every column, the ids' stamps and the tables. Of
     * e1's two copies (one record, its times a retry apart), either one may be the one kept.
     */
    const visible = async (shard: ClickHouseShard) => ({
      rows: (
        await shard.select<{ id: string }>(chSql`SELECT * FROM events_actions_by_id FINAL ORDER BY id`)
      ).map((row) => {
        if (row.id !== 'e1') return row;
        expect([action('e1', 'ann', T), action('e1', 'ann', T + 5)]).toContainEqual(row);
        return 'one copy of e1';
      }),
      stamps: await stamps(shard),
      tables: await tableNames(shard),
    });
    const made: TestClickHouse[] = [];
    afterEach(() => Promise.all(made.splice(0).map((c) => c.drop())));
    /** A database (first shard) at 0002 holding rows: e1 twice (a retry, 5 ms later), e2, a login. */
    const at0002 = async () => {
      cluster = createTestClickHouse();
      made.push(cluster);
      const shard = cluster.shards[0]!;
      await migrateShards([shard], UPTO_0002);
      await shard.insert('events_actions', [action('e1', 'ann', T), action('e2', 'ben', T + 7)]);
      await shard.insert('events_actions', [action('e1', 'ann', T + 5)]);
      await shard.insert('events_logins', [
        { id: 'l1', dashboard_id: 'dash', environment: 'production', user_id: 'ann', ts: T, received_at: T },
      ]);
      const [before] = await shard.select<{ n: number }>(
        chSql`SELECT count() AS n FROM events_actions FINAL`,
      );
      expect(before?.n).toBe(3); // the bug: both copies of e1 are kept, a time apart
      return shard;
    };

    it('copies every row once, drops the time-sorted tables and keeps the stamps flowing', async () => {
      const shard = await at0002();
      expect(await migrateShards([shard], UPTO_0003)).toEqual(['0003-sort-by-id']);
      const after = await visible(shard);
      expect(after.rows).toEqual(['one copy of e1', action('e2', 'ben', T + 7)]);
      // Each id keeps its first copy's insert time.
      expect(after.stamps).toEqual([
        { id: 'e1', inserted_at: T + 1 },
        { id: 'e2', inserted_at: T + 8 },
      ]);
      expect(after.tables).not.toContain('events_actions');
      expect(after.tables).not.toContain('event_stamps_actions');
      expect(after.tables).toContain('event_stamps_actions_by_id');
      const [logins] = await shard.select<{ n: number; at: number }>(
        chSql`SELECT count() AS n, any(inserted_at) AS at FROM events_logins_by_id FINAL`,
      );
      expect(logins).toEqual({ n: 1, at: T }); // 0002's default: its arrival time
      // A row written after the migration gets its stamp; a copy of e1 arriving later collapses.
      await shard.insert('events_actions_by_id', [action('e3', 'cyd', T + 20), action('e1', 'ann', T + 30)]);
      const [rows] = await shard.select<{ n: number }>(
        chSql`SELECT count() AS n FROM events_actions_by_id FINAL`,
      );
      expect(rows?.n).toBe(3);
      expect(await stamps(shard)).toEqual([
        { id: 'e1', inserted_at: T + 1 },
        { id: 'e2', inserted_at: T + 8 },
        { id: 'e3', inserted_at: T + 21 },
      ]);
    });

    it('two processes migrating one shard at once copy every row once', async () => {
      const shard = await at0002();
      const runs = await Promise.all([migrateShards([shard], UPTO_0003), migrateShards([shard], UPTO_0003)]);
      expect(runs).toEqual([['0003-sort-by-id'], ['0003-sort-by-id']]);
      const after = await visible(shard);
      expect(after.rows).toEqual(['one copy of e1', action('e2', 'ben', T + 7)]);
      expect(after.stamps).toEqual([
        { id: 'e1', inserted_at: T + 1 },
        { id: 'e2', inserted_at: T + 8 },
      ]);
      expect(after.tables).not.toContain('events_actions');
    });

    it('ends the same when interrupted after any statement of a table, or before being recorded', async () => {
      // After each of the first table's five statements but the last, and after all of them.
      const stops = [1, 2, 3, 4, SORT_BY_ID.statements.length];
      const [reference, ...interrupted] = await Promise.all(
        [0, ...stops].map(async (stop) => {
          const shard = await at0002();
          for (const step of SORT_BY_ID.statements.slice(0, stop)) await runStep(shard, step);
          expect(await migrateShards([shard], UPTO_0003), `stopped after ${stop}`).toEqual([
            '0003-sort-by-id',
          ]);
          return visible(shard);
        }),
      );
      for (const [i, result] of interrupted.entries())
        expect(result, `stopped after ${stops[i]}`).toEqual(reference);
    });
  });
});
