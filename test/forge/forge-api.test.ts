import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const WALLET = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

describe.each(BACKENDS)('Forge partner API on %s', (backend) => {
  let t: TestApp;
  let key: string;
  let keyId: string;
  let game = 0;

  /** A fresh game (key) per test, so quests and quotas never leak between tests. */
  const newKey = async (quota?: number) => {
    game++;
    const res = await t.admin('POST', '/forge-keys', {
      partner: 'pixel',
      game: 'Pixel Quest',
      game_id: `pixel-${game}`,
      ...(quota === undefined ? {} : { daily_quota: quota }),
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string; key: string; game_id: string }>();
  };
  const push = (path: string, body: unknown, apiKey: string | null = key): Promise<LightMyRequestResponse> =>
    t.app.inject({
      method: 'POST',
      url: `/player/${path}`,
      headers: apiKey === null ? {} : { 'x-api-key': apiKey },
      payload: body as object,
    });
  const quest = async (gameId: string, body: Record<string, unknown>) => {
    const res = await t.admin('POST', `/games/${gameId}/quests`, {
      starts_at: '2026-01-01 00:00:00',
      ends_at: '2026-03-01 00:00:00',
      reward: { kind: 'gems', amount: 50 },
      ...body,
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>();
  };
  const player = async (email?: string) => {
    const res = await t.admin('POST', '/players', email === undefined ? {} : { email });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string; email: string | null; wallets: unknown[]; platforms: unknown[] }>();
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
    ({ key, id: keyId } = await newKey());
  });
  afterAll(async () => {
    await t.close();
  });

  it('takes the seed single records and a batch: 200 {records_processed}', async () => {
    const single = await push('playtime', {
      last_time_played: '2022-12-16 12:00:00',
      total_hours: 10.2,
      user_email: 'alex@example.com',
    });
    expect(single.statusCode).toBe(200);
    expect(single.json()).toEqual({ records_processed: 1 });
    const achievement = await push('achievement', {
      achievement_title: 'Sample achievement title',
      achievement_description: 'Optional: Achievemnent description',
      unlock_time: '1508053252',
      unlocked: true,
      user_email: 'alex@example.com',
    });
    expect(achievement.json()).toEqual({ records_processed: 1 });
    const batch = await push('playtime', [
      {
        last_time_played: '2022-12-16 12:00:00',
        total_hours: 10,
        wallet_address: WALLET,
        blockchain: 'ethereum',
      },
      {
        last_time_played: '2022-12-18 12:00:00',
        total_hours: 2,
        wallet_address: WALLET.toLowerCase(),
        blockchain: 'ethereum',
      },
    ]);
    expect(batch.json()).toEqual({ records_processed: 2 });
  });

  it('processes valid records even when others fail: 400 with each error by record_id or 1-based position', async () => {
    const res = await push('playtime', [
      { last_time_played: '2022-12-16 12:00:00', total_hours: 1, user_email: 'ok@example.com' },
      {
        record_id: 'r-2',
        last_time_played: '2022-12-16 12:00:00',
        total_hours: 1,
        wallet_address: '0x123',
        blockchain: 'ethereum',
      },
      { last_time_played: '2022-12-16 12:00:00', total_hours: 1, user_email: 'not-an-email' },
      { last_time_played: '2022-12-16 12:00:00', total_hours: -1, user_email: 'ok@example.com' },
      { last_time_played: 'yesterday', total_hours: 1, user_email: 'ok@example.com' },
      {
        last_time_played: '2022-12-16 12:00:00',
        total_hours: 1,
        wallet_address: WALLET,
        blockchain: 'ethxxx',
      },
      { last_time_played: '2022-12-16 12:00:00', total_hours: 1 },
    ]);
    expect(res.statusCode).toBe(400);
    const body = res.json<{
      records_processed: number;
      records_failed: number;
      errors: { record_id: string; message: string }[];
    }>();
    expect(body.records_processed).toBe(1);
    expect(body.records_failed).toBe(6);
    expect(body.errors.map((e) => e.record_id)).toEqual(['r-2', '3', '4', '5', '6', '7']);
    expect(body.errors[0]!.message).toMatch(/^Invalid wallet address/);
    expect(body.errors[1]!.message).toBe('Invalid email address.');
    expect(body.errors[2]!.message).toMatch(/total_hours/);
    expect(body.errors[3]!.message).toMatch(/last_time_played/);
    expect(body.errors[4]!.message).toMatch(/blockchain/);
    expect(body.errors[5]!.message).toMatch(/identity is required/);
  });

  it.each<[string, () => string | null, number, string]>([
    ['no key', () => null, 401, 'UnAuthorized'],
    [
      'an unknown key',
      () => Buffer.from('pixel:Pixel Quest:pixel-1:AAAAAAAAAAAA').toString('base64'),
      401,
      'UnAuthorized',
    ],
    ['a key that is not Forge-shaped', () => 'nonsense', 401, 'UnAuthorized'],
  ])('answers %s with the documented body', async (_name, apiKey, status, message) => {
    const res = await push(
      'playtime',
      { last_time_played: '2022-12-16 12:00:00', total_hours: 1, user_email: 'a@example.com' },
      apiKey(),
    );
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ records_processed: 0, errors: [{ message }] });
  });

  it('keeps the API families apart: a 12traits key here, or a Forge key on /v1, is 403', async () => {
    const dash = await t.createDashboard('family');
    const here = await push(
      'playtime',
      { last_time_played: '2022-12-16 12:00:00', total_hours: 1, user_email: 'a@example.com' },
      dash.keys.production,
    );
    expect(here.statusCode).toBe(403);
    expect(here.json()).toEqual({ records_processed: 0, errors: [{ message: 'Forbidden' }] });
    const there = await t.app.inject({
      method: 'POST',
      url: '/v1/actions',
      headers: { authorization: `Bearer ${key}` },
      payload: { actions: [{ user_id: 'u', action_id: 'a', action_name: 'n' }] },
    });
    expect(there.statusCode).toBe(403);
  });

  it('refuses a revoked key at once', async () => {
    const k = await newKey();
    expect(
      (await push('achievement', { achievement_title: 'x', user_email: 'a@example.com' }, k.key)).statusCode,
    ).toBe(200);
    expect((await t.admin('DELETE', `/forge-keys/${k.id}`)).statusCode).toBe(200);
    expect(
      (await push('achievement', { achievement_title: 'x', user_email: 'a@example.com' }, k.key)).statusCode,
    ).toBe(401);
  });

  it('enforces the daily quota per key: past it 429 "Quota exceeded", and shows use today', async () => {
    const k = await newKey(3);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push(
        (await push('achievement', { achievement_title: 't', user_email: 'q@example.com' }, k.key))
          .statusCode,
      );
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const last = await push('achievement', { achievement_title: 't', user_email: 'q@example.com' }, k.key);
    expect(last.json()).toEqual({ records_processed: 0, errors: [{ message: 'Quota exceeded' }] });
    const listed = (await t.admin('GET', '/forge-keys')).json<
      { id: string; used_today: number; daily_quota: number }[]
    >();
    expect(listed.find((l) => l.id === k.id)).toMatchObject({ used_today: 3, daily_quota: 3 });
    expect(JSON.stringify(listed)).not.toContain(k.key);
  });

  it('archives play of unknown players; linking the wallet later brings the progress, with one reward', async () => {
    const k = await newKey();
    const q = await quest(k.game_id, { type: 'hours_played', target: 5 });
    const sessions = [
      {
        last_time_played: '2026-01-05 10:00:00',
        total_hours: 3,
        wallet_address: WALLET,
        blockchain: 'ethereum',
      },
      {
        last_time_played: '2026-01-06 10:00:00',
        total_hours: 3,
        wallet_address: WALLET,
        blockchain: 'ethereum',
      },
    ];
    expect((await push('playtime', sessions, k.key)).statusCode).toBe(200);
    const progress = (query: string) =>
      t.app.inject({ method: 'GET', url: `/player/progress?${query}`, headers: { 'x-api-key': k.key } });
    expect((await progress(`wallet_address=${WALLET}&blockchain=ethereum`)).statusCode).toBe(404);

    const p = await player('gamer@example.com');
    const linked = await t.admin('POST', `/players/${p.id}/wallets`, {
      blockchain: 'ethereum',
      address: WALLET.toLowerCase(),
    });
    expect(linked.statusCode).toBe(201);
    expect(linked.json()).toMatchObject({
      email: 'gamer@example.com',
      wallets: [{ blockchain: 'ethereum', address: WALLET.toLowerCase() }],
    });

    const expected = { quest_id: q.id, type: 'hours_played', current: 6, target: 5, percent: 100 };
    expect((await t.admin('GET', `/players/${p.id}/quests`)).json()).toEqual([
      { ...expected, completed_at: expect.any(String) },
    ]);
    expect((await progress('user_email=GAMER@example.com')).json()).toEqual([
      { ...expected, completed_at: expect.any(String) },
    ]);
    // Replays change nothing: no second reward, same progress.
    expect((await push('playtime', sessions, k.key)).statusCode).toBe(200);
    const rewards = (await t.admin('GET', `/players/${p.id}/rewards`)).json();
    expect(rewards).toEqual([{ quest_id: q.id, kind: 'gems', amount: 50, granted_at: expect.any(String) }]);
    expect((await t.admin('GET', `/players/${p.id}/quests`)).json<{ current: number }[]>()[0]!.current).toBe(
      6,
    );
  });

  it('grants one reward when parallel batches complete the same quest', async () => {
    const k = await newKey();
    await quest(k.game_id, { type: 'days_in_row', target: 2 });
    const p = await player('racer@example.com');
    const batches = Array.from({ length: 8 }, (_, i) =>
      push(
        'playtime',
        [
          {
            last_time_played: `2026-02-0${(i % 4) + 1} 12:00:00`,
            total_hours: 1 + i / 10,
            user_email: 'racer@example.com',
          },
          {
            last_time_played: `2026-02-0${(i % 4) + 2} 12:00:00`,
            total_hours: 1 + i / 10,
            user_email: 'racer@example.com',
          },
        ],
        k.key,
      ),
    );
    const results = await Promise.all(batches);
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect((await t.admin('GET', `/players/${p.id}/rewards`)).json()).toHaveLength(1);
    expect((await t.admin('GET', `/players/${p.id}/quests`)).json<{ current: number }[]>()[0]!.current).toBe(
      5,
    );
  });

  it('counts achievements: a named one, and N distinct, only inside the window', async () => {
    const k = await newKey();
    const named = await quest(k.game_id, {
      type: 'achievement',
      target: 1,
      achievement_title: 'Dragon slayer',
    });
    const count = await quest(k.game_id, { type: 'achievements_count', target: 3 });
    const p = await player();
    await t.admin('POST', `/players/${p.id}/platforms`, { platform: 'Steam', platform_user_id: '7656119' });
    const unlock = (title: string, time: string) => ({
      achievement_title: title,
      unlock_time: time,
      unlocked: true,
      platform: 'steam',
      platform_user_id: '7656119',
    });
    const jan = String(Date.UTC(2026, 0, 10) / 1000);
    const before = String(Date.UTC(2025, 11, 1) / 1000);
    await push(
      'achievement',
      [
        unlock('Dragon slayer', jan),
        unlock('First blood', jan),
        unlock('First blood', jan),
        unlock('Old one', before),
      ],
      k.key,
    );
    const progress = (await t.admin('GET', `/players/${p.id}/quests`)).json<
      { quest_id: string; current: number; completed_at: string | null }[]
    >();
    expect(progress.find((x) => x.quest_id === named.id)).toMatchObject({
      current: 1,
      completed_at: expect.any(String),
    });
    expect(progress.find((x) => x.quest_id === count.id)).toMatchObject({ current: 2, completed_at: null });
  });

  it('keeps one identity per player: linking a held wallet is 409; bad links are 400', async () => {
    const a = await player();
    const b = await player();
    expect(
      (
        await t.admin('POST', `/players/${a.id}/wallets`, {
          blockchain: 'sui',
          address: `0x${'a'.repeat(64)}`,
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await t.admin('POST', `/players/${b.id}/wallets`, {
          blockchain: 'sui',
          address: `0x${'A'.repeat(64)}`,
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (await t.admin('POST', `/players/${b.id}/wallets`, { blockchain: 'ethereum', address: '0xnope' }))
        .statusCode,
    ).toBe(400);
    expect((await t.admin('POST', '/players', { email: 'nope' })).statusCode).toBe(400);
    expect((await t.admin('GET', '/players/ply_missing')).statusCode).toBe(404);
  });

  it('validates quest definitions', async () => {
    const bad = [
      { type: 'days_in_week', target: 8 },
      { type: 'achievement', target: 1 },
      { type: 'hours_played', target: 0 },
      { type: 'hours_played', target: 1, ends_at: '2025-01-01 00:00:00' },
      { type: 'flying', target: 1 },
    ];
    for (const body of bad) {
      const res = await t.admin('POST', '/games/g/quests', {
        starts_at: '2026-01-01 00:00:00',
        ends_at: '2026-03-01 00:00:00',
        reward: { kind: 'gems', amount: 1 },
        ...body,
      });
      expect(res.statusCode).toBe(400);
    }
    expect(keyId).toMatch(/^fk_/);
  });
});
