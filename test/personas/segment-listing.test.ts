import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { insertTraitScores, surveyedPlayers } from './factory.js';

/** Ids no HTTP header can carry as they are, and ids a query string mangles unless encoded. */
const ODD_IDS = [
  'plain-1',
  'Zoë',
  'игрок-7',
  '玩家١٢٣',
  '🎮 gamer',
  'line\nbreak',
  'carriage\r\nreturn',
  'comma,separated',
  'semi;colon',
  'per%20cent',
  'plus+sign',
  'amp&er=sand',
  'space here',
  'quote"d',
  "apos'trophe",
  'hash#tag',
  'slash/back\\slash',
  'tab\there',
  '~tilde',
  'ÿ-latin1',
  'a'.repeat(256),
];

describe.each(EVENT_BACKENDS)('segments list their players, paged for any id, on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  const get = (url: string, key = dash.keys.production) => t.call('GET', url, key);

  /** Every page of a listing, following X-Next-After exactly as received. */
  const everyPage = async (path: string, limit: number) => {
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const res = await get(`${path}?limit=${limit}${after === undefined ? '' : `&after=${after}`}`);
      expect(res.statusCode, res.body).toBe(200);
      ids.push(...res.json<{ data: { ids: string[] } }>().data.ids);
      after = res.headers['x-next-after'] as string | undefined;
      pages++;
    } while (after !== undefined);
    return { ids, pages };
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Odd ids');
    const users = ODD_IDS.map((id, i) => ({
      timestamp: '2026-01-02 10:00:00',
      user_id: id,
      country: i % 2 === 0 ? 'US' : 'FR',
    }));
    const res = await t.call('POST', '/v1/logins', dash.keys.production, { users });
    expect(res.statusCode, res.body).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('before any survey, all/user-ids answers 200 with every member of the segment', async () => {
    const res = await get('/v1/segments/default/personas/all/user-ids');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: 200, message: '', data: { ids: expect.any(Array) } });
    expect(new Set(res.json<{ data: { ids: string[] } }>().data.ids)).toEqual(new Set(ODD_IDS));
    expect(res.headers['x-next-after']).toBeUndefined();

    const created = await t.admin('POST', `/dashboards/${dash.id}/segments`, {
      name: 'US',
      filter: { country: 'us' },
    });
    const segment = created.json<{ id: string }>().id;
    const us = await get(`/v1/segments/${segment}/personas/all/user-ids`);
    expect(us.statusCode).toBe(200);
    expect(new Set(us.json<{ data: { ids: string[] } }>().data.ids)).toEqual(
      new Set(ODD_IDS.filter((_, i) => i % 2 === 0)),
    );
    // A persona still needs a recompute with scored players.
    const persona = await get(`/v1/segments/${segment}/personas/1/user-ids`);
    expect(persona.statusCode).toBe(404);
    expect(persona.json<{ message: string }>().message).toMatch(/has no personas yet in production/);
    // The sandbox has no players: an empty list, not an error.
    const sandbox = await get('/v1/segments/default/personas/all/user-ids', dash.keys.sandbox);
    expect(sandbox.json()).toEqual({ code: 200, message: '', data: { ids: [] } });
  });

  it('pages through ids holding non-Latin-1 characters, CR/LF, commas and %: each id exactly once', async () => {
    for (const limit of [1, 2, 3, 7]) {
      const { ids, pages } = await everyPage('/v1/segments/default/personas/all/user-ids', limit);
      expect(ids).toHaveLength(ODD_IDS.length);
      expect(new Set(ids)).toEqual(new Set(ODD_IDS));
      // One look-ahead row: no empty last page.
      expect(pages).toBe(Math.ceil(ODD_IDS.length / limit));
    }
  });

  it('the cursor also works URL-encoded again, and in a persona listing', async () => {
    const dashboard = await t.createDashboard('Scored odd ids');
    const players = surveyedPlayers(1, 9, 's', 3).map((p, i) => ({ ...p, userId: ODD_IDS[i]! }));
    await insertTraitScores(t.store.db, dashboard.id, 'production', players);
    const recompute = await t.admin(
      'POST',
      `/dashboards/${dashboard.id}/personas/recompute?environment=production`,
    );
    expect(recompute.statusCode).toBe(200);
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const query = after === undefined ? '' : `&after=${encodeURIComponent(after)}`;
      const res = await get(
        `/v1/segments/default/personas/1/user-ids?limit=1${query}`,
        dashboard.keys.production,
      );
      expect(res.statusCode, res.body).toBe(200);
      ids.push(...res.json<{ data: { ids: string[] } }>().data.ids);
      after = res.headers['x-next-after'] as string | undefined;
    } while (after !== undefined);
    expect(ids.sort()).toEqual(players.map((p) => p.userId).sort());
  });

  it('a cursor this server did not give is 400 in the envelope', async () => {
    for (const bad of ['not a cursor', '%FF', 'a', 'Zm9v=', '_-_-_w', 'x'.repeat(1_200)]) {
      const res = await get(`/v1/segments/default/personas/all/user-ids?after=${encodeURIComponent(bad)}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json(), bad).toEqual({ code: 400, message: expect.any(String), data: null });
    }
    const res = await get('/v1/segments/default/personas/all/user-ids?after=bm90IGEgY3Vyc29y%20');
    expect(res.json<{ message: string }>().message).toBe(
      'after must be the X-Next-After header of the previous page, as received',
    );
  });
});
