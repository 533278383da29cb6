import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClickHouseShard } from '../../../src/events/clickhouse/http-client.js';
import { chSql, identifier, type SqlFragment } from '../../../src/events/clickhouse/literal.js';
import { copyInChunks } from '../../../src/events/clickhouse/table-copy.js';
import { CLICKHOUSE_URLS, createTestClickHouse, type TestClickHouse } from '../../support/clickhouse.js';

describe.skipIf(CLICKHOUSE_URLS.length === 0)('copying a table in chunks of player keys', () => {
  let cluster: TestClickHouse;
  afterEach(() => cluster.drop());

  /** 60,000 rows in three parts: 600 players of 60 rows in two scopes, and one of 24,000. */
  const setUp = async () => {
    cluster = createTestClickHouse();
    const [shard] = cluster.shards;
    await shard!.command(chSql`CREATE DATABASE ${identifier(shard!.address.database)}`, {
      inDatabase: false,
    });
    const columns = chSql`(id String, dashboard_id String, environment String, user_id String, ts Int64)`;
    await shard!.command(
      chSql`CREATE TABLE src ${columns} ENGINE = MergeTree() ORDER BY (dashboard_id, environment, user_id, ts, id)`,
    );
    await shard!.command(
      chSql`CREATE TABLE dst ${columns} ENGINE = ReplacingMergeTree() ORDER BY (dashboard_id, environment, user_id, id)`,
    );
    for (const part of [0, 1, 2])
      await shard!.command(
        chSql`INSERT INTO src SELECT toString(number), 'dash', if(number % 2 = 0, 'production', 'sandbox'),
          if(number % 5 = 0, 'whale', concat('p', toString(number % 600))), number
          FROM numbers(${part * 20_000}, 20000)`,
      );
    return shard!;
  };
  const count = async (shard: ClickHouseShard, query: SqlFragment) =>
    (await shard.select<{ n: number }>(query))[0]!.n;

  it('copies every row once in statements of about the chunk size, and again without loss', async () => {
    const shard = await setUp();
    const command = vi.spyOn(shard, 'command');
    const columns = ['id', 'dashboard_id', 'environment', 'user_id', 'ts'];
    await copyInChunks(shard, 'src', 'dst', columns, 10_000);
    const inserts = command.mock.calls.length;
    expect(inserts).toBeGreaterThanOrEqual(3);
    expect(inserts).toBeLessThanOrEqual(12);
    const copied = chSql`SELECT count() AS n FROM dst FINAL
      WHERE (id, dashboard_id, environment, user_id, ts) IN (SELECT * FROM src)`;
    expect(await count(shard, chSql`SELECT count() AS n FROM dst`)).toBe(60_000);
    expect(await count(shard, copied)).toBe(60_000);
    // Run again (an interrupted migration): the second copies collapse by id.
    await copyInChunks(shard, 'src', 'dst', columns, 10_000);
    expect(await count(shard, chSql`SELECT count() AS n FROM dst FINAL`)).toBe(60_000);
  });

  it('copies a small table in one statement, and nothing once the source is gone', async () => {
    const shard = await setUp();
    await shard.command(chSql`CREATE TABLE small AS src`);
    await shard.command(chSql`INSERT INTO small SELECT * FROM src WHERE user_id = 'p1'`);
    const command = vi.spyOn(shard, 'command');
    await copyInChunks(shard, 'small', 'dst', ['id', 'dashboard_id', 'environment', 'user_id', 'ts']);
    expect(command).toHaveBeenCalledTimes(1);
    expect(await count(shard, chSql`SELECT count() AS n FROM dst`)).toBe(100);
    await copyInChunks(shard, 'gone', 'dst', ['id']);
    expect(command).toHaveBeenCalledTimes(1);
  });
});
