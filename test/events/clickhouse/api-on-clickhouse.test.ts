import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chSql } from '../../../src/events/clickhouse/literal.js';
import { migrateShards } from '../../../src/events/clickhouse/migrate.js';
import { createTestApp, type TestApp, type TestDashboard } from '../../support/test-app.js';
import { CLICKHOUSE_URLS, createTestClickHouse, type TestClickHouse } from '../../support/clickhouse.js';

/** The composition root with TRAITFORGE_CLICKHOUSE_URL set: the /v1 API writes and reads ClickHouse. */
describe.skipIf(CLICKHOUSE_URLS.length === 0)('the API with events on ClickHouse', () => {
  let cluster: TestClickHouse;
  let t: TestApp;
  let dash: TestDashboard;
  beforeAll(async () => {
    cluster = createTestClickHouse();
    await migrateShards(cluster.shards);
    t = await createTestApp('sqlite', { clickhouseUrls: cluster.urls });
    dash = await t.createDashboard();
  });
  afterAll(async () => {
    await t.close();
    await cluster.drop();
  });

  const shardRows = async () =>
    (
      await Promise.all(
        cluster.shards.map(
          async (s) =>
            (await s.select<{ n: number }>(chSql`SELECT count() AS n FROM events_actions_by_id FINAL`))[0]!.n,
        ),
      )
    ).reduce((a, b) => a + b);

  it('stores pushed events on the shards, a replayed request once, and deletes a player', async () => {
    const actions = Array.from({ length: 20 }, (_, i) => ({
      user_id: `p${i}`,
      action_id: `a${i}`,
      action_name: 'jump',
      timestamp: 1_790_000_000 + i,
    }));
    const push = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/actions',
        headers: { authorization: `Bearer ${dash.keys.production}`, 'idempotency-key': 'batch-1' },
        payload: { actions },
      });
    expect((await push()).statusCode).toBe(201);
    expect((await push()).statusCode).toBe(201);
    expect(await shardRows()).toBe(20);
    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id: 'p3' });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ data: { deleted: number; pending: boolean } }>().data).toEqual({
      deleted: 2,
      pending: true,
    });
  });
});
