import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/** The seed document's literal request bodies (001), one per endpoint, with the documented answers. */
const SEEDS: [path: string, body: unknown, message: string][] = [
  [
    '/v1/actions',
    {
      actions: [
        {
          timestamp: '2019-01-01 15:04:05',
          user_id: '1001',
          action_id: '2002',
          action_name: 'buy_item',
          action_params: [{ key: 'item_id', value: '3003' }],
        },
      ],
    },
    '1 actions have been successfully ingested',
  ],
  [
    '/v1/logins',
    {
      users: [
        {
          timestamp: '2019-01-01 15:04:05',
          user_id: '1001',
          clan_id: '2002',
          level: 10,
          device: 'iPhone X',
          country: 'US',
          language: 'en-US',
          platform: 'Apple',
          register_date: '2018-11-14',
          last_login_timestamp: '2019-01-01 11:10:06',
        },
      ],
    },
    '1 users have been successfully ingested',
  ],
  [
    '/v1/purchases',
    {
      purchases: [
        {
          timestamp: '2019-01-01 15:04:05',
          user_id: '1001',
          item_id: '2002',
          count: 1,
          price: 25.5,
          platform: 'Steam',
        },
      ],
    },
    '1 purchases have been successfully ingested',
  ],
  [
    '/v1/virtual-purchases',
    {
      virtual_purchases: [
        {
          timestamp: '2019-01-01 15:04:05',
          user_id: '1001',
          item_id: '2002',
          count: 1,
          virtual_price: 25.5,
          currency: 'gold',
        },
      ],
    },
    '1 virtual purchases have been successfully ingested',
  ],
  [
    '/v1/level-ups',
    { level_ups: [{ timestamp: '2019-01-01 15:04:05', user_id: '1001', level: 10 }] },
    '1 level-ups have been successfully ingested',
  ],
  [
    '/v1/items',
    { items: [{ item_id: '1001', price: 25.5, currency: 'USD', name: 'Axe', type: 'weapon' }] },
    '1 items have been successfully ingested',
  ],
  [
    '/v1/social-dynamics',
    {
      social_dynamics: [
        {
          timestamp: '2019-01-01 15:04:05',
          user_id: '1001',
          target_user_id: '1002',
          connection: 'linked',
          interaction: 'friend',
        },
      ],
    },
    '1 social dynamics have been successfully ingested',
  ],
];

const TYPE_OF_PATH: Record<string, string> = {
  '/v1/actions': 'actions',
  '/v1/logins': 'logins',
  '/v1/purchases': 'purchases',
  '/v1/virtual-purchases': 'virtual_purchases',
  '/v1/level-ups': 'level_ups',
  '/v1/items': 'items',
  '/v1/social-dynamics': 'social_dynamics',
};

describe.each(EVENT_BACKENDS)('12traits JSON ingestion on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(SEEDS)(
    'stores the seed body of %s and answers 201 with the documented message',
    async (path, body, message) => {
      const res = await t.call('POST', path, dash.keys.production, body);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ code: 201, message, data: null });

      const stored = await t.admin('GET', `/dashboards/${dash.id}/records/${TYPE_OF_PATH[path]}`);
      expect(stored.statusCode).toBe(200);
      const sent = Object.values(body as Record<string, unknown[]>)[0]![0];
      expect(stored.json<unknown[]>()).toContainEqual(sent);
    },
  );

  it('counts the records in the message', async () => {
    const actions = Array.from({ length: 50 }, (_, i) => ({
      user_id: `u${i}`,
      action_id: 'a',
      action_name: 'n',
    }));
    const res = await t.call('POST', '/v1/actions', dash.keys.production, { actions });
    expect(res.json()).toEqual({
      code: 201,
      message: '50 actions have been successfully ingested',
      data: null,
    });
  });

  it('lists every invalid record and stores nothing of the batch', async () => {
    const user = 'all-or-nothing';
    const actions = [
      { user_id: user, action_id: 'a', action_name: 'ok' },
      { action_id: 'a', action_name: 'no user' },
      { user_id: user, action_id: 'a', action_name: 'bad time', timestamp: 'yesterday' },
      { user_id: user, action_id: 7, action_name: 'wrong type' },
    ];
    const res = await t.call('POST', '/v1/actions', dash.keys.production, { actions });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: 400,
      message: '3 of 4 actions are invalid; nothing was ingested',
      data: {
        errors: [
          { index: 1, field: 'user_id', message: 'is required' },
          { index: 2, field: 'timestamp', message: expect.stringContaining('must be a timestamp') },
          { index: 3, field: 'action_id', message: 'must be a string' },
        ],
      },
    });
    const stored = await t.admin('GET', `/dashboards/${dash.id}/records/actions?user_id=${user}`);
    expect(stored.json()).toEqual([]);
  });

  it('accepts every documented timestamp form and answers in YYYY-MM-DD HH:MM:SS UTC', async () => {
    const forms = [
      '2019-01-01 15:04:05',
      '2019-01-01T15:04:05Z',
      '2019-01-01T17:04:05+02:00',
      1546355045,
      '1546355045',
      1546355045000,
    ];
    const level_ups = forms.map((timestamp, i) => ({ timestamp, user_id: 'ts-user', level: i + 1 }));
    const res = await t.call('POST', '/v1/level-ups', dash.keys.production, { level_ups });
    expect(res.statusCode).toBe(201);
    const stored = await t.admin('GET', `/dashboards/${dash.id}/records/level_ups?user_id=ts-user`);
    const times = stored.json<{ timestamp: string }[]>().map((r) => r.timestamp);
    expect(times).toEqual(Array(forms.length).fill('2019-01-01 15:04:05'));
  });

  it('refuses more than 1000 records with 413 and an empty batch with 400', async () => {
    const actions = Array.from({ length: 1001 }, () => ({ user_id: 'u', action_id: 'a', action_name: 'n' }));
    const big = await t.call('POST', '/v1/actions', dash.keys.production, { actions });
    expect(big.statusCode).toBe(413);
    expect(big.json<{ message: string }>().message).toContain('limit is 1000');
    const empty = await t.call('POST', '/v1/actions', dash.keys.production, { actions: [] });
    expect(empty.statusCode).toBe(400);
  });

  it('answers the first-version seed curl bodies (missing bracket) with 400 naming the position', async () => {
    const body =
      '{ "actions": [ { "timestamp": 1000000000, "player_id": "1001", "action_id": "2002", "action_name": "buy_item", "action_params": [ {"key": "item_id", "value": "3003" } ] ] }';
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/games/${dash.id}/actions`,
      headers: { authorization: `Bearer ${dash.keys.production}`, 'content-type': 'application/json' },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 400,
      data: null,
      message: expect.stringMatching(/position 169/),
    });
  });

  it('keys: missing is 401, unknown is 401, revoked is 401 at once', async () => {
    const body = SEEDS[0]![1];
    expect((await t.call('POST', '/v1/actions', undefined, body)).statusCode).toBe(401);
    expect((await t.call('POST', '/v1/actions', 'tf_live_not-a-key', body)).statusCode).toBe(401);
    const other = await t.createDashboard('to revoke');
    expect((await t.call('POST', '/v1/actions', other.keys.production, body)).statusCode).toBe(201);
    const revoke = await t.admin('DELETE', `/dashboards/${other.id}/keys/${other.key_ids.production}`);
    expect(revoke.statusCode).toBe(200);
    const after = await t.call('POST', '/v1/actions', other.keys.production, body);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ code: 401, message: 'this API key has been revoked', data: null });
  });
});
