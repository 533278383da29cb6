import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

type Row = Record<string, unknown>;
const TYPES =
  'actions logins purchases virtual_purchases level_ups items social_dynamics kpis survey_answers'.split(' ');
/** A key without the prefix the key list shows: the part that must never be shown again or stored. */
const secretOf = (key: string) => key.slice(14);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every per-dashboard admin path, for a dashboard id. */
const perDashboard = (id: string): [string, string, unknown?][] => [
  ['GET', `/dashboards/${id}`],
  ['POST', `/dashboards/${id}/keys`, { environment: 'production' }],
  ['GET', `/dashboards/${id}/keys`],
  ['DELETE', `/dashboards/${id}/keys/key_0000000000000000`],
  ['GET', `/dashboards/${id}/records/actions`],
  ['GET', `/dashboards/${id}/stats`],
];

describe.each(BACKENDS)('admin API on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Admin game', 'admin-game');
  });
  afterAll(async () => {
    await t.close();
  });

  const asAdmin = (method: string, url: string, token: string | undefined, body?: unknown) =>
    t.call(method as 'GET', `/admin/v1${url}`, token, body);
  const expectError = (res: { statusCode: number; json: () => unknown }, status: number, message: RegExp) => {
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ code: status, message: expect.stringMatching(message), data: null });
  };

  describe('authentication', () => {
    it('is 403 with a clear message on every path when no admin token is configured', async () => {
      const off = await createTestApp(backend, { adminToken: undefined });
      try {
        expect(off.config.adminToken).toBeUndefined();
        for (const [method, url, body] of [['GET', '/dashboards'], ...perDashboard('dsh_x')] as const) {
          const res = await off.call(method as 'GET', `/admin/v1${url}`, ADMIN_TOKEN, body);
          expectError(res, 403, /admin API is disabled: set TRAITFORGE_ADMIN_TOKEN/);
        }
      } finally {
        await off.close();
      }
    });

    it('a missing, malformed or wrong token is 401; an API key is not an admin token', async () => {
      expectError(await asAdmin('GET', '/dashboards', undefined), 401, /missing admin token/);
      expectError(await asAdmin('GET', '/dashboards', 'wrong-token'), 401, /invalid admin token/);
      expectError(await asAdmin('GET', '/dashboards', `${ADMIN_TOKEN}x`), 401, /invalid admin token/);
      expectError(await asAdmin('GET', '/dashboards', dash.keys.production), 401, /invalid admin token/);
      const basic = await t.app.inject({
        method: 'GET',
        url: '/admin/v1/dashboards',
        headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      });
      expectError(basic, 401, /malformed Authorization header/);
      // ...and the admin token is not an API key.
      const body = { actions: [{ user_id: 'u', action_id: 'a', action_name: 'n' }] };
      expect((await t.call('POST', '/v1/actions', ADMIN_TOKEN, body)).statusCode).toBe(401);
    });
  });

  describe('dashboards', () => {
    it('creates a dashboard with a production and a sandbox key that work at once', async () => {
      const res = await t.admin('POST', '/dashboards', { name: '  Space game  ', slug: 'space-game' });
      expect(res.statusCode).toBe(201);
      const created = res.json<TestDashboard & Row>();
      expect(created).toEqual({
        id: expect.stringMatching(/^dsh_/),
        name: 'Space game',
        slug: 'space-game',
        created_at: expect.stringMatching(ISO),
        keys: { production: expect.stringMatching(/^tf_live_/), sandbox: expect.stringMatching(/^tf_test_/) },
        key_ids: { production: expect.any(String), sandbox: expect.any(String) },
      });
      expect(created.keys.production.length).toBeGreaterThanOrEqual(8 + 43); // 32 random bytes, base64url
      const body = { level_ups: [{ user_id: 'u', level: 1 }] };
      for (const key of Object.values(created.keys)) {
        expect((await t.call('POST', '/v1/level-ups', key, body)).statusCode).toBe(201);
      }
      const listed = await t.admin('GET', '/dashboards');
      expect(listed.json<Row[]>()).toContainEqual({
        id: created.id,
        name: 'Space game',
        slug: 'space-game',
        created_at: created.created_at,
      });
      expect((await t.admin('GET', `/dashboards/${created.id}`)).json()).toEqual({
        id: created.id,
        name: 'Space game',
        slug: 'space-game',
        created_at: created.created_at,
      });
    });

    it.each<[string, unknown, number, RegExp]>([
      ['no name', {}, 400, /name/],
      ['an empty name', { name: '' }, 400, /name/],
      ['a blank name', { name: '   ' }, 400, /name must be 1 to 200 characters/],
      ['a name over 200 characters', { name: 'x'.repeat(201) }, 400, /name/],
      ['a slug with capitals and spaces', { name: 'g', slug: 'My Game' }, 400, /slug must be/],
      ['an empty slug', { name: 'g', slug: '' }, 400, /slug must be/],
      ['an unknown field', { name: 'g', owner: 'me' }, 400, /owner|additional/],
      ['a JSON array', [{ name: 'g' }], 400, /object/],
      ['a duplicate slug', { name: 'Again', slug: 'admin-game' }, 409, /slug "admin-game" is taken/],
    ])('refuses %s with %i', async (_name, body, status, message) => {
      const before = (await t.admin('GET', '/dashboards')).json<Row[]>().length;
      expectError(await t.admin('POST', '/dashboards', body), status, message);
      expect((await t.admin('GET', '/dashboards')).json<Row[]>()).toHaveLength(before);
    });

    it('concurrent creations with one slug: exactly one 201, the others 409', async () => {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => t.admin('POST', '/dashboards', { name: 'Race', slug: 'race-slug' })),
      );
      expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
      const all = (await t.admin('GET', '/dashboards')).json<Row[]>();
      expect(all.filter((x) => x.slug === 'race-slug')).toHaveLength(1);
    });

    it('is 404 for an unknown dashboard on every per-dashboard path', async () => {
      for (const [method, url, body] of perDashboard('dsh_does_not_exist')) {
        const res = await asAdmin(method, url, ADMIN_TOKEN, body);
        expectError(res, 404, /dashboard dsh_does_not_exist does not exist/);
      }
    });
  });

  describe('keys', () => {
    it('creates a key for the environment asked, shown once; lists prefixes only', async () => {
      const d = await t.createDashboard('Keys');
      const res = await t.admin('POST', `/dashboards/${d.id}/keys`, { environment: 'sandbox' });
      expect(res.statusCode).toBe(201);
      const key = res.json<{ id: string; key: string; environment: string; prefix: string }>();
      expect(key).toEqual({
        id: expect.any(String),
        key: expect.stringMatching(/^tf_test_/),
        environment: 'sandbox',
        prefix: expect.any(String),
      });
      expect(key.key.startsWith(key.prefix)).toBe(true);
      expect(key.key).toBe(key.prefix + secretOf(key.key));
      const body = { level_ups: [{ user_id: 'k', level: 1 }] };
      expect((await t.call('POST', '/v1/level-ups', key.key, body)).statusCode).toBe(201);
      const sandbox = await t.admin('GET', `/dashboards/${d.id}/records/level_ups?environment=sandbox`);
      expect(sandbox.json<Row[]>().map((r) => r.user_id)).toEqual(['k']);

      const list = await t.admin('GET', `/dashboards/${d.id}/keys`);
      expect(list.statusCode).toBe(200);
      const keys = list.json<Row[]>();
      expect(keys).toHaveLength(3);
      expect(keys).toContainEqual({
        id: key.id,
        environment: 'sandbox',
        prefix: key.prefix,
        created_at: expect.stringMatching(ISO),
        revoked_at: null,
      });
      for (const k of keys)
        expect(Object.keys(k).sort()).toEqual(['created_at', 'environment', 'id', 'prefix', 'revoked_at']);
      for (const secret of [key.key, d.keys.production, d.keys.sandbox]) {
        expect(list.body).not.toContain(secretOf(secret));
      }
    });

    it.each<[string, unknown, RegExp]>([
      ['no environment', {}, /^body environment is required$/],
      [
        'an unknown environment',
        { environment: 'staging' },
        /^body environment must be one of production, sandbox$/,
      ],
      ['no body', undefined, /body/],
    ])('refuses %s with 400', async (_name, body, message) => {
      expectError(await t.admin('POST', `/dashboards/${dash.id}/keys`, body), 400, message);
    });

    it('revokes a key at once; twice is harmless; an unknown key or another dashboard’s key is 404', async () => {
      const [a, b] = [await t.createDashboard('Revoke A'), await t.createDashboard('Revoke B')];
      const url = `/dashboards/${a.id}/keys/${a.key_ids.sandbox}`;
      for (let i = 0; i < 2; i++) {
        const res = await t.admin('DELETE', url);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ id: a.key_ids.sandbox, revoked: true });
      }
      const listed = (await t.admin('GET', `/dashboards/${a.id}/keys`)).json<Row[]>();
      expect(listed.find((k) => k.id === a.key_ids.sandbox)?.revoked_at).toMatch(ISO);
      const body = { level_ups: [{ user_id: 'r', level: 1 }] };
      expect((await t.call('POST', '/v1/level-ups', a.keys.sandbox, body)).statusCode).toBe(401);

      expectError(await t.admin('DELETE', `/dashboards/${a.id}/keys/key_nope`), 404, /has no key key_nope/);
      // B's key through A's path: refused, and B's key keeps working.
      expectError(
        await t.admin('DELETE', `/dashboards/${a.id}/keys/${b.key_ids.production}`),
        404,
        /has no key/,
      );
      expect((await t.call('POST', '/v1/level-ups', b.keys.production, body)).statusCode).toBe(201);
    });

    it('stores only a hash: no api_keys column holds the key or its secret part', async () => {
      const d = await t.createDashboard('Hashes');
      const rows = await t.store.db
        .selectFrom('api_keys')
        .selectAll()
        .where('dashboard_id', '=', d.id)
        .execute();
      expect(rows).toHaveLength(2);
      for (const key of Object.values(d.keys)) {
        const secret = secretOf(key);
        for (const row of rows) {
          for (const value of Object.values(row)) {
            expect(String(value)).not.toContain(secret);
            expect(value).not.toBe(key);
          }
        }
      }
    });

    it('never shows a key again after creation, in any admin answer', async () => {
      const d = await t.createDashboard('Never again', 'never-again');
      await t.call('POST', '/v1/actions', d.keys.production, {
        actions: [{ user_id: 'u', action_id: 'a', action_name: 'n' }],
      });
      const answers = await Promise.all(
        [
          '/dashboards',
          `/dashboards/${d.id}`,
          `/dashboards/${d.id}/keys`,
          `/dashboards/${d.id}/stats`,
          ...TYPES.map((type) => `/dashboards/${d.id}/records/${type}`),
        ].map((url) => t.admin('GET', url)),
      );
      for (const res of answers) {
        expect(res.statusCode).toBe(200);
        for (const key of Object.values(d.keys)) expect(res.body).not.toContain(secretOf(key));
      }
    });
  });

  describe('records and stats', () => {
    let d: TestDashboard;
    beforeAll(async () => {
      d = await t.createDashboard('Records');
      const actions = [3, 1, 2].map((s) => ({
        timestamp: `2019-01-01 00:00:0${s}`,
        user_id: 'r',
        action_id: `a${s}`,
        action_name: 'n',
      }));
      await t.call('POST', '/v1/actions', d.keys.production, { actions });
      await t.call('POST', '/v1/actions', d.keys.sandbox, {
        actions: [{ ...actions[0], action_id: 'sandbox' }],
      });
    });
    const list = (query: string, type = 'actions') =>
      t.admin('GET', `/dashboards/${d.id}/records/${type}${query}`);

    it('lists production by default, newest first, and sandbox on request', async () => {
      expect((await list('')).json<Row[]>().map((r) => r.action_id)).toEqual(['a3', 'a2', 'a1']);
      expect((await list('?environment=production')).json<Row[]>()).toHaveLength(3);
      expect((await list('?environment=sandbox')).json<Row[]>().map((r) => r.action_id)).toEqual(['sandbox']);
      expect((await list('?limit=2')).json<Row[]>().map((r) => r.action_id)).toEqual(['a3', 'a2']);
      expect((await list('?limit=1000')).statusCode).toBe(200);
    });

    it.each([
      [
        '/records/players',
        /^params type must be one of actions, logins, purchases, virtual_purchases, level_ups, items, social_dynamics, kpis, survey_answers$/,
      ],
      ['/records/actions?limit=0', /limit/],
      ['/records/actions?limit=1001', /limit/],
      ['/records/actions?limit=ten', /limit/],
      ['/records/actions?environment=staging', /environment/],
      ['/records/actions?user_id=', /user_id/],
    ])('%s is 400', async (path, message) => {
      expectError(await t.admin('GET', `/dashboards/${d.id}${path}`), 400, message);
    });

    it('stats count stored records per environment and type, and records received per day', async () => {
      const res = await t.admin('GET', `/dashboards/${d.id}/stats`);
      expect(res.statusCode).toBe(200);
      const zeros = Object.fromEntries(TYPES.map((type) => [type, 0]));
      const today = new Date().toISOString().slice(0, 10);
      expect(res.json()).toEqual({
        dashboard_id: d.id,
        records: { production: { ...zeros, actions: 3 }, sandbox: { ...zeros, actions: 1 } },
        daily: [
          { day: today, environment: 'production', type: 'actions', count: 3 },
          { day: today, environment: 'sandbox', type: 'actions', count: 1 },
        ],
      });
    });
  });
});
