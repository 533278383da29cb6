import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseEventStore } from '../../../src/events/clickhouse/clickhouse-event-store.js';
import { chSql } from '../../../src/events/clickhouse/literal.js';
import { JobQueue } from '../../../src/jobs/job-queue.js';
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

  it('a keyed request retried after a crash between its insert and its key counts once in every answer', async () => {
    // Records without a timestamp: each copy takes its own arrival time as ts.
    const purchases = [
      { user_id: 'crash', item_id: 'gem', count: 1, price: 5 },
      { user_id: 'crash', item_id: 'axe', count: 1, price: 3 },
    ];
    const push = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/purchases',
        headers: { authorization: `Bearer ${dash.keys.production}`, 'idempotency-key': 'crash-1' },
        payload: { purchases },
      });
    expect((await push()).statusCode).toBe(201);
    // What the server dying between the ClickHouse insert and the key's record leaves: rows, no key.
    await sql`delete from idempotency_keys where key = 'crash-1'`.execute(t.store.db);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const retry = await push();
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined(); // written again, not replayed

    const listed = await t.admin('GET', `/dashboards/${dash.id}/records/purchases?user_id=crash`);
    expect(listed.json<unknown[]>()).toHaveLength(2);
    const stats = await t.admin('GET', `/dashboards/${dash.id}/stats`);
    const { records, daily } = stats.json<{
      records: { production: { purchases: number } };
      daily: { environment: string; type: string; count: number }[];
    }>();
    expect(records.production.purchases).toBe(2);
    expect(daily.filter((d) => d.environment === 'production' && d.type === 'purchases')).toMatchObject([
      { count: 2 },
    ]);
    // The port's totals, per-player aggregates and segment members read the same rows.
    const events = new ClickHouseEventStore(
      cluster.shards,
      t.store.db as never,
      new JobQueue(t.store.db, t.store.capabilities),
    );
    const scope = { dashboardId: dash.id, environment: 'production' } as const;
    try {
      expect((await events.totals(scope)).find((r) => r.type === 'purchases')?.count).toBe(2);
      const aggregates = (await events.playerAggregates(scope)).find((a) => a.userId === 'crash');
      expect(aggregates).toMatchObject({ purchases: 2, spend: 8 });
      expect(await events.segmentMembers(scope, { spendMax: 10 })).toContain('crash');
    } finally {
      await events.close();
    }
  });
});
