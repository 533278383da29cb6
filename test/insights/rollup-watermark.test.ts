import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

const DAY = '2024-03-01';

/** The rollups' watermarks: every record is folded exactly once, whatever runs at the same time. */
describe.each(EVENT_BACKENDS)('insights rollup watermarks on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;

  const login = async (userId: string) => {
    const res = await t.call('POST', '/v1/logins', dash.keys.production, {
      users: [{ user_id: userId, timestamp: `${DAY} 10:00:00` }],
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const refresh = async () => {
    const res = await t.admin('POST', `/dashboards/${dash.id}/insights/refresh`);
    expect(res.statusCode, res.body).toBe(200);
  };
  const dau = async () => {
    const res = await t.call('GET', `/v1/insights/daily?from=${DAY}&to=${DAY}`, dash.keys.production);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ data: { days: { dau: number }[] } }>().data.days[0]!.dau;
  };

  beforeAll(async () => {
    // Nothing is inserted concurrently: ClickHouse folds up to now, not a shard timeout ago.
    t = await createTestApp(backend, { clickhouseInsightsLagMs: 0 });
    dash = await t.createDashboard();
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts a record stored after the deletion of the player holding the last ids', async () => {
    await login('ann');
    await login('ben');
    await refresh();
    expect(await dau()).toBe(2);
    // ben's login is the last row of `logins`: SQLite gives its id to the next row stored.
    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id: 'ben' });
    expect(res.statusCode, res.body).toBe(200);
    expect(await dau()).toBe(1);
    await login('cat');
    await refresh();
    expect(await dau()).toBe(2);
  });

  it('folds each record once when refreshes run at the same time', async () => {
    await login('dan');
    await login('eve');
    await Promise.all([refresh(), refresh(), refresh()]);
    await refresh();
    // ann, cat, dan, eve.
    expect(await dau()).toBe(4);
    const logins = await t.store.db
      .selectFrom('insight_player_days')
      .select((eb) => eb.fn.sum<number | string>('logins').as('n'))
      .where('dashboard_id', '=', dash.id)
      .executeTakeFirstOrThrow();
    expect(Number(logins.n)).toBe(4);
  });
});
