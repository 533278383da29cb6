import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { storage } from '../support/storage.js';

type Row = Record<string, unknown>;
type Env = 'production' | 'sandbox';
interface Stats {
  records: Record<Env, Record<string, number>>;
  daily: { environment: Env; type: string; count: number }[];
}

const TYPES =
  'actions logins purchases virtual_purchases level_ups items social_dynamics kpis survey_answers'.split(' ');
const action = (user_id: string, action_name: string) => ({ user_id, action_id: 'a', action_name });

describe.each(EVENT_BACKENDS)('tenant and environment isolation on %s', (backend) => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await createTestApp(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  /** Two fresh dashboards per test: A (with a game slug) and B. */
  const pair = async () => {
    n += 1;
    return [await t.createDashboard(`A${n}`, `game-a-${n}`), await t.createDashboard(`B${n}`)] as const;
  };
  const push = async (key: string, path: string, body: Row, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { authorization: `Bearer ${key}`, ...headers },
      payload: body,
    });
    return res;
  };
  const records = async (d: TestDashboard, type: string, query = '') => {
    const res = await t.admin('GET', `/dashboards/${d.id}/records/${type}${query}`);
    expect(res.statusCode).toBe(200);
    return res.json<Row[]>();
  };
  const stats = async (d: TestDashboard) => (await t.admin('GET', `/dashboards/${d.id}/stats`)).json<Stats>();
  const names = (rows: Row[]) => rows.map((r) => r.action_name).sort();

  it("records pushed with A's production key are invisible to A's sandbox and to B", async () => {
    const [a, b] = await pair();
    const res = await push(a.keys.production, '/v1/actions', {
      actions: [action('shared', 'a-prod-1'), action('shared', 'a-prod-2')],
    });
    expect(res.statusCode).toBe(201);

    expect(names(await records(a, 'actions'))).toEqual(['a-prod-1', 'a-prod-2']);
    expect(await records(a, 'actions', '?environment=production')).toHaveLength(2);
    expect(await records(a, 'actions', '?environment=sandbox')).toEqual([]);
    expect(await records(b, 'actions')).toEqual([]);
    expect(await records(b, 'actions', '?environment=sandbox')).toEqual([]);

    const [sa, sb] = [await stats(a), await stats(b)];
    expect(sa.records.production.actions).toBe(2);
    expect(sa.records.sandbox.actions).toBe(0);
    const zeros = Object.fromEntries(TYPES.map((type) => [type, 0]));
    expect(sb.records).toEqual({ production: zeros, sandbox: zeros });
    expect(sb.daily).toEqual([]);
  });

  it('each key writes only to its own dashboard and environment', async () => {
    const [a, b] = await pair();
    await push(a.keys.production, '/v1/actions', { actions: [action('shared', 'a-prod')] });
    await push(a.keys.sandbox, '/v1/actions', { actions: [action('shared', 'a-sandbox')] });
    await push(b.keys.production, '/v1/actions', { actions: [action('shared', 'b-prod')] });
    await push(b.keys.sandbox, '/v1/actions', { actions: [action('shared', 'b-sandbox')] });
    expect(names(await records(a, 'actions'))).toEqual(['a-prod']);
    expect(names(await records(a, 'actions', '?environment=sandbox'))).toEqual(['a-sandbox']);
    expect(names(await records(b, 'actions'))).toEqual(['b-prod']);
    expect(names(await records(b, 'actions', '?environment=sandbox'))).toEqual(['b-sandbox']);
    const sa = await stats(a);
    expect([sa.records.production.actions, sa.records.sandbox.actions]).toEqual([1, 1]);
    expect(sa.daily.map((d) => [d.environment, d.type, d.count]).sort()).toEqual([
      ['production', 'actions', 1],
      ['sandbox', 'actions', 1],
    ]);
  });

  it.skipIf(backend === 'clickhouse')(
    'the same user_id in two dashboards or environments is separate players with separate profiles (reads the SQL event tables: not on clickhouse)',
    async () => {
      const [a, b] = await pair();
      const login = (device: string) => ({ users: [{ user_id: 'same-user', device, level: device.length }] });
      for (const [key, device] of [
        [a.keys.production, 'a-prod-phone'],
        [a.keys.sandbox, 'a-sandbox-phone'],
        [b.keys.production, 'b-phone'],
      ] as const) {
        expect((await push(key, '/v1/logins', login(device))).statusCode).toBe(201);
      }
      const players = await storage(t.store)
        .selectFrom('players')
        .select(['id', 'dashboard_id', 'environment', 'device'])
        .where('user_id', '=', 'same-user')
        .where('dashboard_id', 'in', [a.id, b.id])
        .orderBy('device')
        .execute();
      expect(players.map((p) => [p.dashboard_id, p.environment, p.device])).toEqual([
        [a.id, 'production', 'a-prod-phone'],
        [a.id, 'sandbox', 'a-sandbox-phone'],
        [b.id, 'production', 'b-phone'],
      ]);
      expect(new Set(players.map((p) => p.id)).size).toBe(3);
    },
  );

  it('items with the same item_id are separate per dashboard and environment', async () => {
    const [a, b] = await pair();
    const item = (price: number) => ({
      items: [{ item_id: 'sword', price, currency: 'USD', name: 'Sword' }],
    });
    await push(a.keys.production, '/v1/items', item(1));
    await push(a.keys.sandbox, '/v1/items', item(2));
    await push(b.keys.production, '/v1/items', item(3));
    expect((await records(a, 'items')).map((r) => r.price)).toEqual([1]);
    expect((await records(a, 'items', '?environment=sandbox')).map((r) => r.price)).toEqual([2]);
    expect((await records(b, 'items')).map((r) => r.price)).toEqual([3]);
  });

  it('an Idempotency-Key is scoped to its dashboard and environment', async () => {
    const [a, b] = await pair();
    const headers = { 'idempotency-key': 'nightly-export-1' };
    const body = { actions: [action('idem', 'first')] };
    for (const key of [a.keys.production, a.keys.sandbox, b.keys.production]) {
      const res = await push(key, '/v1/actions', body, headers);
      expect(res.statusCode).toBe(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
    const other = await push(b.keys.sandbox, '/v1/actions', { actions: [action('idem', 'other')] }, headers);
    expect(other.statusCode).toBe(201);
    expect(await records(a, 'actions')).toHaveLength(1);
    expect(await records(b, 'actions', '?environment=sandbox')).toHaveLength(1);
  });

  it("a B key cannot push to A's game (by id or slug); A's sandbox key can, into sandbox", async () => {
    const [a, b] = await pair();
    const body = { actions: [{ player_id: 'p1', action_id: 'a', action_name: 'n' }] };
    for (const game of [a.id, `game-a-${n}`]) {
      const res = await push(b.keys.production, `/v1/games/${game}/actions`, body);
      expect(res.statusCode).toBe(403);
      expect(res.json<Row>().message).toContain(`does not belong to game "${game}"`);
      const logins = await push(b.keys.sandbox, `/v1/games/${game}/player-logins`, {
        players: [{ player_id: 'p' }],
      });
      expect(logins.statusCode).toBe(403);
    }
    expect(await records(a, 'actions')).toEqual([]);
    expect(await records(b, 'actions')).toEqual([]);
    expect((await push(a.keys.sandbox, `/v1/games/${a.id}/actions`, body)).statusCode).toBe(201);
    expect(await records(a, 'actions')).toEqual([]);
    expect(await records(a, 'actions', '?environment=sandbox')).toHaveLength(1);
  });

  it('revoking one key leaves the dashboard’s other keys working', async () => {
    const [a] = await pair();
    expect((await t.admin('DELETE', `/dashboards/${a.id}/keys/${a.key_ids.production}`)).statusCode).toBe(
      200,
    );
    const body = { actions: [action('u', 'n')] };
    expect((await push(a.keys.production, '/v1/actions', body)).statusCode).toBe(401);
    expect((await push(a.keys.sandbox, '/v1/actions', body)).statusCode).toBe(201);
  });

  it("the records endpoint filters by user_id and never shows another dashboard's user", async () => {
    const [a, b] = await pair();
    await push(a.keys.production, '/v1/level-ups', {
      level_ups: [
        { user_id: 'u1', level: 1, timestamp: '2019-01-01 00:00:01' },
        { user_id: 'u2', level: 1, timestamp: '2019-01-01 00:00:02' },
        { user_id: 'u1', level: 2, timestamp: '2019-01-01 00:00:03' },
      ],
    });
    await push(b.keys.production, '/v1/level-ups', { level_ups: [{ user_id: 'u1', level: 9 }] });
    expect(await records(a, 'level_ups', '?user_id=u1')).toEqual([
      { timestamp: '2019-01-01 00:00:03', user_id: 'u1', level: 2 },
      { timestamp: '2019-01-01 00:00:01', user_id: 'u1', level: 1 },
    ]);
    expect((await records(a, 'level_ups', '?user_id=u2')).map((r) => r.level)).toEqual([1]);
    expect(await records(a, 'level_ups', '?user_id=nobody')).toEqual([]);
    expect((await records(b, 'level_ups', '?user_id=u1')).map((r) => r.level)).toEqual([9]);
    expect(await records(a, 'level_ups', '?user_id=u1&environment=sandbox')).toEqual([]);
  });
});
