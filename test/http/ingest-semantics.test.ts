import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/domain/timestamp.js';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { storage } from '../support/storage.js';

type Row = Record<string, unknown>;

/** Per endpoint: body key, noun in messages, and a record holding exactly its required fields, in order. */
const ENDPOINTS: [path: string, key: string, noun: string, valid: Row][] = [
  ['/v1/actions', 'actions', 'actions', { user_id: 'u', action_id: 'a', action_name: 'n' }],
  ['/v1/logins', 'users', 'users', { user_id: 'u' }],
  ['/v1/purchases', 'purchases', 'purchases', { user_id: 'u', item_id: 'i', count: 1, price: 2.5 }],
  [
    '/v1/virtual-purchases',
    'virtual_purchases',
    'virtual purchases',
    { user_id: 'u', item_id: 'i', count: 1, virtual_price: 3, currency: 'gold' },
  ],
  ['/v1/level-ups', 'level_ups', 'level-ups', { user_id: 'u', level: 2 }],
  ['/v1/items', 'items', 'items', { item_id: 'i', price: 1, currency: 'USD', name: 'Axe' }],
  [
    '/v1/social-dynamics',
    'social_dynamics',
    'social dynamics',
    { user_id: 'u', target_user_id: 't', interaction: 'friend' },
  ],
];
/** "/v1/virtual-purchases" → "virtual_purchases", the type the records endpoint takes. */
const typeOf = (path: string) => path.slice('/v1/'.length).replace('-', '_');

const created = (message: string) => ({ code: 201, message, data: null });

/** POST with a key, as JSON unless headers say otherwise. */
const send = (t: TestApp, key: string, url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    payload: payload as string,
  });

const without = (record: Row, field: string): Row =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== field));

describe.each(EVENT_BACKENDS)('ingestion semantics on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Semantics', 'semantics-game');
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}, key?: string) =>
    send(t, key ?? dash.keys.production, url, payload, headers);
  /** A second app with other settings, and a dashboard on it. */
  const withApp = async (overrides: Row, run: (app: TestApp, d: TestDashboard) => Promise<void>) => {
    const other = await createTestApp(backend, overrides);
    try {
      await run(other, await other.createDashboard());
    } finally {
      await other.close();
    }
  };
  const stored = async (type: string, query = '', dashboard = dash) => {
    const res = await t.admin('GET', `/dashboards/${dashboard.id}/records/${type}${query}`);
    expect(res.statusCode).toBe(200);
    return res.json<Row[]>();
  };
  const player = (userId: string, dashboardId = dash.id) =>
    storage(t.store)
      .selectFrom('players')
      .selectAll()
      .where('dashboard_id', '=', dashboardId)
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
  const actionsOf = (user: string, n = 1) =>
    Array.from({ length: n }, (_, i) => ({ user_id: user, action_id: `a${i}`, action_name: 'n' }));

  describe('validation', () => {
    it.each(ENDPOINTS)('%s: missing required fields → 400 listing each, nothing stored', async (...e) => {
      const [path, key, noun, valid] = e;
      const required = Object.keys(valid);
      const fresh = await t.createDashboard(`required ${path}`);
      const batch = [valid, {}, valid, without(valid, required[0]!)];
      const res = await post(path, { [key]: batch }, {}, fresh.keys.production);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        code: 400,
        message: `2 of 4 ${noun} are invalid; nothing was ingested`,
        data: {
          errors: [
            ...required.map((field) => ({ index: 1, field, message: 'is required' })),
            { index: 3, field: required[0], message: 'is required' },
          ],
        },
      });
      expect(await stored(typeOf(path), '', fresh)).toEqual([]);
      const one = await post(path, { [key]: [valid, without(valid, required.at(-1)!)] });
      expect(one.json<Row>().message).toBe(`1 of 2 ${noun} is invalid; nothing was ingested`);
    });

    it.each<[string, Row, string, string]>([
      ['/v1/actions', { user_id: 1001 }, 'user_id', 'must be a string'],
      ['/v1/purchases', { count: '1' }, 'count', 'must be an integer'],
      ['/v1/purchases', { price: -2 }, 'price', 'must be at least 0'],
      ['/v1/level-ups', { level: 1.5 }, 'level', 'must be an integer'],
      [
        '/v1/logins',
        { country: 'USA' },
        'country',
        'must be a 2-letter ISO 3166-1 alpha-2 country code, e.g. "US"',
      ],
      ['/v1/logins', { register_date: '2018-02-30' }, 'register_date', 'must be a date: "YYYY-MM-DD"'],
      ['/v1/actions', { action_params: [{ value: 'v' }] }, 'action_params[0].key', 'is required'],
    ])('%s with %j → 400 naming %s', async (path, change, field, message) => {
      const [, key, , valid] = ENDPOINTS.find(([p]) => p === path)!;
      const res = await post(path, { [key]: [valid, { ...valid, ...change }] });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ data: unknown }>().data).toEqual({ errors: [{ index: 1, field, message }] });
    });

    it.each<[string, unknown, RegExp]>([
      ['too large', 'x'.repeat(17_000), /at most 16384 bytes/],
      ['too large in UTF-8 bytes', 'é'.repeat(9_000), /at most 16384 bytes/],
      ['too deep', JSON.parse(`${'{"a":'.repeat(20)}1${'}'.repeat(20)}`), /nest at most 8 levels/],
    ])('refuses unknown fields that are %s', async (name, blob, words) => {
      const res = await post('/v1/actions', { actions: [{ ...actionsOf(name)[0], blob }] });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        data: { errors: [{ index: 0, field: null, message: expect.stringMatching(words) }] },
      });
      expect(await stored('actions', `?user_id=${encodeURIComponent(name)}`)).toEqual([]);
    });
  });

  describe('what is stored', () => {
    it('a record without timestamp gets the time the server received it', async () => {
      const before = Math.floor(Date.now() / 1000) * 1000;
      expect((await post('/v1/actions', { actions: actionsOf('no-time') })).statusCode).toBe(201);
      const after = Date.now();
      const [row] = await stored('actions', '?user_id=no-time');
      const at = parseTimestamp(row!.timestamp)!;
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    });

    it('keeps unknown extra fields, nested ones included, and returns them', async () => {
      const extra = { session: { id: 's1', device: { os: 'iOS', tags: ['a', 'b'] } }, score: 4.5, ok: true };
      const action = { ...actionsOf('extras')[0], timestamp: '2019-01-01 15:04:05', ...extra };
      expect((await post('/v1/actions', { actions: [action] })).statusCode).toBe(201);
      expect(await stored('actions', '?user_id=extras')).toEqual([action]);

      const catalogue = { item_id: 'extra-item', price: 1, currency: 'USD', name: 'Axe' };
      // Items have no user and no time: these are unknown fields of an item, kept like any other.
      const item = { ...catalogue, user_id: 'maker', timestamp: 'launch', ...extra };
      expect((await post('/v1/items', { items: [item] })).statusCode).toBe(201);
      expect(await stored('items')).toContainEqual(item);
    });

    it('an optional field sent as null counts as not sent; a required one is still refused', async () => {
      const login = { user_id: 'nulls', timestamp: '2019-01-01 00:00:00', level: 3 };
      const nulls = { clan_id: null, device: null, register_date: null, last_login_timestamp: null };
      const users = [{ ...login, ...nulls, custom: null }];
      expect((await post('/v1/logins', { users })).statusCode).toBe(201);
      expect(await stored('logins', '?user_id=nulls')).toEqual([{ ...login, custom: null }]);
      const res = await post('/v1/logins', { users: [{ ...login, user_id: null }] });
      expect(res.json()).toMatchObject({
        data: { errors: [{ field: 'user_id', message: 'must be a string' }] },
      });
    });

    it('text with quotes, commas, newlines, backslashes and emoji round-trips; NUL is 400', async () => {
      const text = 'a "quoted", comma\nnew line\r\\back\\slash\t ü 日本 🎮';
      const action = {
        timestamp: '2019-01-01 00:00:00',
        user_id: `text ${text}`,
        action_id: text,
        action_name: text,
        action_params: [{ key: text, value: '' }],
        note: text,
      };
      expect((await post('/v1/actions', { actions: [action] })).statusCode).toBe(201);
      expect(await stored('actions', `?user_id=${encodeURIComponent(action.user_id)}`)).toEqual([action]);
      for (const field of ['user_id', 'action_id']) {
        const res = await post('/v1/actions', { actions: [{ ...actionsOf('nul')[0], [field]: 'a\u0000b' }] });
        expect(res.json()).toMatchObject({
          code: 400,
          data: { errors: [{ index: 0, field, message: expect.stringContaining('NUL') }] },
        });
      }
    });

    it('items upsert by item_id: a new price replaces the old, still one item', async () => {
      const fresh = await t.createDashboard('items upsert');
      const push = (price: number) =>
        post(
          '/v1/items',
          { items: [{ item_id: 'sword', price, currency: 'USD', name: 'Sword' }] },
          {},
          fresh.keys.production,
        );
      expect((await push(10)).statusCode).toBe(201);
      expect((await push(12.5)).json<Row>().message).toBe('1 items have been successfully ingested');
      expect(await stored('items', '', fresh)).toEqual([
        { item_id: 'sword', price: 12.5, currency: 'USD', name: 'Sword' },
      ]);
      const stats = await t.admin('GET', `/dashboards/${fresh.id}/stats`);
      expect(stats.json<{ records: { production: { items: number } } }>().records.production.items).toBe(1);
    });

    it.skipIf(backend === 'clickhouse')(
      'logins update the profile: the latest login wins, older ones only fill gaps (reads the SQL event tables: not on clickhouse)',
      async () => {
        const newer = {
          user_id: 'profile',
          timestamp: '2020-06-01 10:00:00',
          level: 10,
          device: 'iPhone 11',
        };
        const older = {
          user_id: 'profile',
          timestamp: '2019-06-01 10:00:00',
          level: 3,
          device: 'iPhone X',
          clan_id: 'c1',
          country: 'fr',
        };
        expect((await post('/v1/logins', { users: [newer] })).statusCode).toBe(201);
        expect((await post('/v1/logins', { users: [older] })).statusCode).toBe(201);
        expect(await player('profile')).toMatchObject({
          level: 10,
          device: 'iPhone 11',
          clan_id: 'c1',
          country: 'FR',
          last_login_at: Date.UTC(2020, 5, 1, 10),
        });
        // Both logins stay as events; a still newer login then wins again.
        expect((await stored('logins', '?user_id=profile')).map((r) => r.level)).toEqual([10, 3]);
        await post('/v1/logins', {
          users: [{ ...newer, timestamp: '2021-01-01 00:00:00', device: 'Pixel' }],
        });
        expect(await player('profile')).toMatchObject({
          device: 'Pixel',
          last_login_at: Date.UTC(2021, 0, 1),
        });
        // Within one batch, order of arrival does not matter either.
        const batch = [
          { ...older, user_id: 'profile-batch' },
          { ...newer, user_id: 'profile-batch' },
        ].reverse();
        expect((await post('/v1/logins', { users: batch })).statusCode).toBe(201);
        expect(await player('profile-batch')).toMatchObject({
          level: 10,
          device: 'iPhone 11',
          clan_id: 'c1',
        });
        // A batch mixing an older login (with a device) and a newer one (without) must not let
        // the older device overwrite the stored, newer one.
        const user = 'profile-rounds';
        await post('/v1/logins', {
          users: [{ user_id: user, timestamp: '2020-01-01 00:00:00', device: 'D2020' }],
        });
        const mixed = [
          { user_id: user, timestamp: '2019-01-01 00:00:00', device: 'D2019', clan_id: 'old-clan' },
          { user_id: user, timestamp: '2021-01-01 00:00:00', level: 21 },
        ];
        expect((await post('/v1/logins', { users: mixed })).statusCode).toBe(201);
        expect(await player(user)).toMatchObject({ device: 'D2020', level: 21, clan_id: 'old-clan' });
      },
    );

    it('social dynamics take both documented shapes and the documents\' "unllinked"', async () => {
      const base = { user_id: 'social', target_user_id: 'friend-1' };
      const records = [
        { ...base, timestamp: '2019-01-01 00:00:03', connection: 'linked', interaction: 'friend' },
        { ...base, timestamp: '2019-01-01 00:00:02', connection: 'unllinked', interaction: 'party' },
        {
          ...base,
          timestamp: '2019-01-01 00:00:01',
          interaction: 'gift_sent',
          interaction_params: [{ key: 'gift', value: 'rose' }],
        },
      ];
      const res = await post('/v1/social-dynamics', { social_dynamics: records });
      expect(res.json()).toEqual(created('3 social dynamics have been successfully ingested'));
      expect(await stored('social_dynamics', '?user_id=social')).toEqual(records);
      const bad = await post('/v1/social-dynamics', {
        social_dynamics: [{ ...base, connection: 'friends', interaction: 'x' }],
      });
      expect(bad.json()).toMatchObject({
        data: { errors: [{ field: 'connection', message: expect.stringContaining('"unllinked"') }] },
      });
    });
  });

  it.skipIf(backend === 'clickhouse')(
    'concurrent batches for the same new players all land, each player once (reads the SQL event tables: not on clickhouse)',
    async () => {
      const batch = (i: number) => [
        { user_id: 'rush-a', action_id: `a${i}`, action_name: 'n' },
        { user_id: 'rush-b', action_id: `b${i}`, action_name: 'n' },
      ];
      const answers = await Promise.all(
        [0, 1, 2, 3, 4].map((i) => post('/v1/actions', { actions: batch(i) })),
      );
      expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
      expect(await stored('actions', '?user_id=rush-a')).toHaveLength(5);
      const players = await storage(t.store)
        .selectFrom('players')
        .select('user_id')
        .where('dashboard_id', '=', dash.id)
        .where('user_id', 'in', ['rush-a', 'rush-b'])
        .execute();
      expect(players).toHaveLength(2);
    },
  );

  describe('Idempotency-Key', () => {
    const once = (key: string, user: string, n = 1) =>
      post('/v1/actions', { actions: actionsOf(user, n) }, { 'idempotency-key': key });

    it('a repeat with the same body answers the same and stores nothing new', async () => {
      const [first, again] = [await once('batch-1', 'idem', 3), await once('batch-1', 'idem', 3)];
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect(await stored('actions', '?user_id=idem')).toHaveLength(3);
    });

    it('the same key with a different body is 422; a key over 255 characters is 400', async () => {
      await once('batch-2', 'idem-2');
      const other = await once('batch-2', 'idem-2', 2);
      expect(other.statusCode).toBe(422);
      expect(other.json<Row>().message).toMatch(/different request body/);
      expect((await once('k'.repeat(256), 'idem-long')).statusCode).toBe(400);
      expect(await stored('actions', '?user_id=idem-2')).toHaveLength(1);
      expect(await stored('actions', '?user_id=idem-long')).toEqual([]);
    });

    it('concurrent identical requests with one key store the batch exactly once', async () => {
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => once('race', 'idem-race', 4)));
      expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
      expect(answers.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
      expect(await stored('actions', '?user_id=idem-race')).toHaveLength(4);
    });
  });

  describe('transport', () => {
    const raw = (payload: string | Buffer, headers: Record<string, string>) =>
      post('/v1/actions', payload, headers);

    it('accepts gzip bodies; a corrupt one is 400', async () => {
      const zipped = gzipSync(JSON.stringify({ actions: actionsOf('gzip', 2) }));
      expect((await raw(zipped, { 'content-encoding': 'gzip' })).statusCode).toBe(201);
      expect(await stored('actions', '?user_id=gzip')).toHaveLength(2);
      const corrupt = await raw(Buffer.concat([zipped.subarray(0, 10), Buffer.from('garbage')]), {
        'content-encoding': 'gzip',
      });
      expect(corrupt.json()).toEqual({ code: 400, message: 'the gzip request body is corrupt', data: null });
    });

    it('a gzip bomb larger than the body limit once inflated is 413', async () => {
      await withApp({ bodyLimitBytes: 65536 }, async (small, d) => {
        const bomb = gzipSync(`{"actions":[${' '.repeat(1_000_000)}]}`);
        expect(bomb.length).toBeLessThan(65536);
        const res = await send(small, d.keys.production, '/v1/actions', bomb, { 'content-encoding': 'gzip' });
        expect(res.statusCode).toBe(413);
      });
    });

    it.each<[string, number, string, Record<string, string>, RegExp]>([
      ['an unsupported Content-Encoding', 415, '{}', { 'content-encoding': 'br' }, /Content-Encoding "br"/],
      [
        "curl's default form content type",
        415,
        'a=1',
        { 'content-type': 'application/x-www-form-urlencoded' },
        /application\/json/,
      ],
      ['an XML content type', 415, '<actions/>', { 'content-type': 'application/xml' }, /application\/json/],
      ['a text/plain body', 415, '{"actions":[]}', { 'content-type': 'text/plain' }, /text\/plain/],
      ['an empty body', 400, '', {}, /empty/],
      ['a JSON array', 400, '[]', {}, /"actions"/],
      ['a body without the key', 400, '{"users":[]}', {}, /"actions"/],
      ['"__proto__" in the body', 400, '{"actions":[],"__proto__":{"x":1}}', {}, /__proto__/],
    ])('%s → %i', async (_name, status, payload, headers, message) => {
      const res = await raw(payload, headers);
      expect(res.statusCode).toBe(status);
      expect(res.json<Row>().message).toMatch(message);
    });

    it('the batch limit is configurable: one record over it is 413', async () => {
      await withApp({ maxBatchRecords: 5 }, async (small, d) => {
        const push = (n: number) =>
          send(small, d.keys.production, '/v1/actions', { actions: actionsOf('cap', n) });
        expect((await push(5)).statusCode).toBe(201);
        const over = await push(6);
        expect(over.statusCode).toBe(413);
        expect(over.json<Row>().message).toMatch(/limit is 5/);
      });
    });
  });

  describe('first-version API (/v1/games/:game/...)', () => {
    it.skipIf(backend === 'clickhouse').each(['id', 'slug'])(
      'takes actions and player logins by dashboard %s (reads the SQL event tables: not on clickhouse)',
      async (by) => {
        const game = by === 'id' ? dash.id : 'semantics-game';
        const user = `fv-${by}`;
        const actions = [
          { timestamp: 1000000000, player_id: user, action_id: '2002', action_name: 'buy_item' },
        ];
        const a = await post(`/v1/games/${game}/actions`, { actions });
        expect(a.json()).toEqual(created('1 action(s) have been successfully ingested'));
        const players = [
          { timestamp: 1000000000, player_id: user, level: 10, device: 'iPhone X', language: 'en-US' },
        ];
        const p = await post(`/v1/games/${game}/player-logins`, { players });
        expect(p.json()).toEqual(created('1 player(s) have been successfully ingested'));
        expect(await stored('actions', `?user_id=${user}`)).toEqual([
          { timestamp: '2001-09-09 01:46:40', user_id: user, action_id: '2002', action_name: 'buy_item' },
        ]);
        expect(await player(user)).toMatchObject({ level: 10, device: 'iPhone X', language: 'en-US' });
      },
    );

    it("a game that is not the key's dashboard is 403; errors name player_id", async () => {
      const other = await t.createDashboard('Other game', 'other-game');
      const body = { actions: [{ player_id: 'p', action_id: 'a', action_name: 'n' }] };
      for (const game of [other.id, 'other-game', 'no-such-game']) {
        expect((await post(`/v1/games/${game}/actions`, body)).statusCode).toBe(403);
      }
      const res = await post(`/v1/games/${dash.id}/player-logins`, {
        players: [{ user_id: 'u', timestamp: 'soon' }],
      });
      expect(res.json()).toEqual({
        code: 400,
        message: '1 of 1 player(s) is invalid; nothing was ingested',
        data: {
          errors: [
            { index: 0, field: 'player_id', message: 'is required' },
            { index: 0, field: 'timestamp', message: expect.stringContaining('must be a timestamp') },
          ],
        },
      });
      const wrongKey = await post(`/v1/games/${dash.id}/player-logins`, { users: [] });
      expect(wrongKey.json<Row>().message).toMatch(/"players"/);
    });

    it("the 000 document's player-logins example (missing bracket) is 400 naming the position", async () => {
      const body =
        '{ "players": [ { "timestamp": 1000000000, "player_id": "1001", "level": 10, "device": "iPhone X", "language": "en-US" }';
      const res = await post(`/v1/games/${dash.id}/player-logins`, body);
      expect(res.statusCode).toBe(400);
      expect(res.json<Row>().message).toContain(`position ${body.length}`);
    });
  });
});
