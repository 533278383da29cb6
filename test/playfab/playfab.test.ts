import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BACKENDS } from '../support/backends.js';
import { ROOT } from '../support/server-process.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/** Real-shaped PlayStream payloads, kept in test/fixtures/playfab. */
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'playfab', `${name}.json`), 'utf8'));

type Row = Record<string, unknown>;

describe.each(EVENT_BACKENDS)('PlayFab webhook on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  const post = (
    body: unknown,
    url = `/v1/playfab?api_key=${dash.keys.production}`,
    headers: Record<string, string> = {},
  ) => t.app.inject({ method: 'POST', url, headers, payload: body as object });
  const stored = async (type: string, user = 'A1B2C3D4E5F60718') =>
    (
      await t.admin(
        'GET',
        `/dashboards/${dash.id}/records/${type}${type === 'items' ? '' : `?user_id=${user}`}`,
      )
    ).json<Row[]>();

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('PlayFab title');
    expect(
      (await t.admin('PUT', `/dashboards/${dash.id}/playfab`, { level_statistics: ['PlayerLevel'] }))
        .statusCode,
    ).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it('maps each documented event to its record type, from one array', async () => {
    const res = await post(fixture('array_of_events'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      code: 200,
      data: { received: 7, ingested: 7, duplicates: 0, rejected: [] },
    });

    expect(await stored('logins')).toEqual([
      expect.objectContaining({
        timestamp: '2026-03-04 18:22:07',
        user_id: 'A1B2C3D4E5F60718',
        country: 'FR',
        platform: 'AndroidDevice',
      }),
    ]);
    expect(await stored('purchases')).toEqual([
      expect.objectContaining({
        item_id: 'gems_500',
        count: 1,
        price: 4.99,
        platform: 'GooglePlay',
        currency: 'USD',
      }),
    ]);
    expect(await stored('virtual_purchases')).toEqual([
      expect.objectContaining({ item_id: 'iron_sword', count: 2, virtual_price: 300, currency: 'GO' }),
    ]);
    expect(await stored('level_ups')).toEqual([
      expect.objectContaining({ level: 12, timestamp: '2026-03-04 18:40:00' }),
    ]);
    expect(await stored('items')).toEqual([
      expect.objectContaining({ item_id: 'iron_sword', name: 'Iron Sword', type: 'weapon' }),
    ]);
    const custom = await stored('actions', '5537191B437CE8BA');
    expect(custom).toEqual([
      expect.objectContaining({
        action_name: 'PlayerInLevel',
        action_params: [{ key: 'LevelName', value: '01_MAINWORLD' }],
        playfab_eventnamespace: 'title.2309A',
      }),
    ]);
    const email = await stored('actions', '64647AA368D6448E');
    expect(email[0]).toMatchObject({ action_name: 'sent_email', timestamp: '2017-10-27 09:35:16' });
    expect(email[0]!.action_params).toContainEqual({ key: 'success', value: 'true' });
  });

  it('stores a redelivered event once (EventId), and says so', async () => {
    const event = fixture('custom_event_real') as Row;
    const again = { ...event, EventId: 'redelivered-0001' };
    expect((await post(again)).json()).toMatchObject({ data: { ingested: 1, duplicates: 0 } });
    const res = await post([again, again]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ data: { ingested: 0, duplicates: 2 } });
    const rows = (await stored('actions', '5537191B437CE8BA')).filter(
      (r) => r.playfab_eventid === 'redelivered-0001',
    );
    expect(rows).toHaveLength(1);
  });

  it('keeps a statistic that is not a level, and an odd known event, as actions; never a 5xx', async () => {
    const stat = {
      ...(fixture('player_statistic_changed') as Row),
      EventId: 'stat-2',
      StatisticName: 'Kills',
      EntityId: 'odd-player',
    };
    const odd = {
      ...(fixture('player_vc_item_purchased') as Row),
      EventId: 'vc-2',
      EntityId: 'odd-player',
      UnitPrice: 'free',
    };
    const res = await post([stat, odd]);
    expect(res.statusCode).toBe(200);
    const names = (await stored('actions', 'odd-player')).map((r) => r.action_name).sort();
    expect(names).toEqual(['player_statistic_changed', 'player_vc_item_purchased']);
    expect(await stored('level_ups', 'odd-player')).toEqual([]);
  });

  it('takes the key from ?api_key=, X-Api-Key or Bearer; refuses a missing or wrong key with 401', async () => {
    const event = { ...(fixture('player_logged_in') as Row), EventId: 'auth-1', EntityId: 'auth-player' };
    expect((await post(event, '/v1/playfab', { 'x-api-key': dash.keys.production })).statusCode).toBe(200);
    expect(
      (await post(event, '/v1/playfab', { authorization: `Bearer ${dash.keys.production}` })).statusCode,
    ).toBe(200);
    expect((await post(event, '/v1/playfab')).statusCode).toBe(401);
    expect((await post(event, '/v1/playfab?api_key=wrong')).statusCode).toBe(401);
  });

  it('reports events it cannot keep at all, and still stores the rest', async () => {
    const good = { ...(fixture('player_logged_in') as Row), EventId: 'mixed-1', EntityId: 'mixed-player' };
    const res = await post([good, 'not an event', { EventName: 'orphan', EventId: 'mixed-2' }]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      data: {
        ingested: 1,
        rejected: [
          { index: 1, field: null, message: 'must be a PlayStream event object' },
          { index: 2, field: 'EntityId', message: expect.any(String) },
        ],
      },
    });
  });

  it('refuses a body that is not JSON with 400, and validates the level statistics setting', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/playfab?api_key=${dash.keys.production}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"EventName":',
    });
    expect(res.statusCode).toBe(400);
    expect(
      (await t.admin('PUT', `/dashboards/${dash.id}/playfab`, { level_statistics: [''] })).statusCode,
    ).toBe(400);
    expect((await t.admin('GET', `/dashboards/${dash.id}/playfab`)).json()).toEqual({
      dashboard_id: dash.id,
      level_statistics: ['PlayerLevel'],
    });
  });
});
