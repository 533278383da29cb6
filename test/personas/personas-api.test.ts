import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/seeded-random.js';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import { buildServices } from '../../src/services.js';
import { TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';
import { BACKENDS } from '../support/backends.js';
import { takeSurvey } from '../survey/survey-driver.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { behaviourOf, insertTraitScores, surveyedPlayers, type SurveyedPlayer } from './factory.js';

type Row = Record<string, unknown>;
interface SegmentSummary {
  segment_id: string;
  players: number;
  surveyed: number;
  predicted: number;
  k: number;
  personas: { persona: number; size: number; surveyed: number; predicted: number }[];
  prediction: { accuracy: number; baseline: number; held_out: number; trained_on: number } | null;
}
interface Recompute {
  dashboard_id: string;
  environments: { environment: string; segments: SegmentSummary[] }[];
}

/** Tests that recompute every segment several times (each fits the mixture and its null check). */
const SEGMENT_RECOMPUTES = 240_000;

describe.each(BACKENDS)('personas on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;
  let surveyed: SurveyedPlayer[];
  /** Players who never took the survey, with their true cluster. */
  const unsurveyed: { userId: string; cluster: number }[] = [];

  const push = async (key: string, path: string, bodyKey: string, records: Row[]) => {
    for (let i = 0; i < records.length; i += 1000) {
      const res = await t.call('POST', path, key, { [bodyKey]: records.slice(i, i + 1000) });
      if (res.statusCode !== 201) throw new Error(`${path}: ${res.body}`);
    }
  };
  const sendBehaviour = async (key: string, players: { userId: string; cluster: number }[], seed: number) => {
    const random = seededRandom(seed);
    const all = players.map((p) => behaviourOf(p.userId, p.cluster, random));
    await push(
      key,
      '/v1/logins',
      'users',
      all.flatMap((b) => b.logins),
    );
    await push(
      key,
      '/v1/purchases',
      'purchases',
      all.flatMap((b) => b.purchases),
    );
    await push(
      key,
      '/v1/social-dynamics',
      'social_dynamics',
      all.flatMap((b) => b.social_dynamics),
    );
    await push(
      key,
      '/v1/virtual-purchases',
      'virtual_purchases',
      all.flatMap((b) => b.virtual_purchases),
    );
  };
  const recompute = async (query = '?environment=production') => {
    const res = await t.admin('POST', `/dashboards/${dash.id}/personas/recompute${query}`);
    expect(res.statusCode).toBe(200);
    return res.json<Recompute>();
  };
  const get = (url: string, key = dash.keys.production) => t.call('GET', url, key);
  const traitsOf = async (persona: number | string, segment = 'default') => {
    const res = await get(`/v1/segments/${segment}/personas/${persona}/traits`);
    expect(res.statusCode).toBe(200);
    return res.json<{ data: Record<string, Record<string, number>> }>().data;
  };
  const idsOf = async (persona: number | string, segment = 'default') => {
    const res = await get(`/v1/segments/${segment}/personas/${persona}/user-ids`);
    expect(res.statusCode).toBe(200);
    return res.json<{ data: { ids: string[] } }>().data.ids;
  };
  /** The persona whose surveyed members are mostly of this true cluster. */
  const personaOfCluster = async (cluster: number) => {
    const res = await t.admin('GET', `/dashboards/${dash.id}/players/s-${cluster}-0/traits`);
    return res
      .json<{ personas: { segment_id: string; persona: number }[] }>()
      .personas.find((p) => p.segment_id === 'default')!.persona;
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Personas game');
    other = await t.createDashboard('Other game');
    surveyed = surveyedPlayers(3, 60, 's', 21);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 40; i++) unsurveyed.push({ userId: `u-${c}-${i}`, cluster: c });
    await insertTraitScores(t.store.db, dash.id, 'production', surveyed);
    await sendBehaviour(dash.keys.production, [...surveyed, ...unsurveyed], 5);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 404 before any persona is computed', async () => {
    const res = await get('/v1/segments/default/personas/1/traits');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      code: 404,
      message: expect.stringMatching(/segment default has no personas yet in production/),
      data: null,
    });
  });

  it('recomputes: 3 personas of the 3 clusters, predictions beat the majority baseline', async () => {
    const result = await recompute();
    expect(result.dashboard_id).toBe(dash.id);
    const segment = result.environments[0]!.segments[0]!;
    expect(result.environments[0]!.environment).toBe('production');
    expect(segment).toMatchObject({
      segment_id: 'default',
      players: 300,
      surveyed: 180,
      predicted: 120,
      k: 3,
      distinct_personas: true,
    });
    expect(segment.personas.map((p) => p.persona)).toEqual([1, 2, 3]);
    expect(segment.personas.reduce((n, p) => n + p.surveyed, 0)).toBe(180);
    expect(segment.prediction!.held_out).toBeGreaterThan(10);
    expect(segment.prediction!.accuracy).toBeGreaterThan(segment.prediction!.baseline);
    expect(segment.prediction!.accuracy).toBeGreaterThan(0.8);
  });

  it('traits: exactly the documented shape, every category and trait a number', async () => {
    const res = await get('/v1/segments/default/personas/1/traits');
    const body = res.json<{ code: number; message: string; data: Record<string, Record<string, unknown>> }>();
    expect(Object.keys(body)).toEqual(['code', 'message', 'data']);
    expect(body.code).toBe(200);
    expect(body.message).toBe('');
    expect(Object.keys(body.data).sort()).toEqual(Object.keys(TRAIT_CATEGORIES).sort());
    for (const [category, traits] of Object.entries(TRAIT_CATEGORIES)) {
      expect(Object.keys(body.data[category]!).sort()).toEqual([...traits].sort());
      for (const value of Object.values(body.data[category]!)) {
        expect(typeof value).toBe('number');
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(100);
      }
    }
  });

  it('traits are the means over surveyed members; all is the mean over every surveyed player', async () => {
    const all = await traitsOf('all');
    const mean = (players: SurveyedPlayer[]) =>
      players.reduce((sum, p) => sum + p.scores.agreeableness.Altruism, 0) / players.length;
    expect(all.agreeableness!.Altruism).toBeCloseTo(mean(surveyed), 3);
    for (let c = 0; c < 3; c++) {
      const persona = await personaOfCluster(c);
      const traits = await traitsOf(persona);
      expect(traits.agreeableness!.Altruism).toBeCloseTo(mean(surveyed.filter((p) => p.cluster === c)), 3);
    }
  });

  it('user-ids: surveyed and predicted members, all = everyone', async () => {
    const everyone = await idsOf('all');
    expect(everyone).toHaveLength(300);
    const res = await get('/v1/segments/default/personas/1/user-ids');
    expect(Object.keys(res.json<Row>())).toEqual(['code', 'message', 'data']);
    expect(res.json<Row>()).toMatchObject({ code: 200, message: '', data: { ids: expect.any(Array) } });
    const persona = await personaOfCluster(0);
    const ids = await idsOf(persona);
    expect(ids).toEqual(expect.arrayContaining(surveyed.filter((p) => p.cluster === 0).map((p) => p.userId)));
    const predictedRight = unsurveyed.filter((p) => p.cluster === 0 && ids.includes(p.userId)).length;
    expect(predictedRight).toBeGreaterThan(30);
  });

  it('user-ids page with limit and the X-Next-After cursor', async () => {
    const first = await get('/v1/segments/default/personas/all/user-ids?limit=120');
    expect(first.json<{ data: { ids: string[] } }>().data.ids).toHaveLength(120);
    const cursor = first.headers['x-next-after'] as string;
    // An opaque cursor: base64url of the last id (any id fits a header that way).
    expect(Buffer.from(cursor, 'base64url').toString()).toBe(
      first.json<{ data: { ids: string[] } }>().data.ids[119],
    );
    const ids: string[] = [...first.json<{ data: { ids: string[] } }>().data.ids];
    let after: string | undefined = cursor;
    while (after) {
      const page = await get(
        `/v1/segments/default/personas/all/user-ids?limit=120&after=${encodeURIComponent(after)}`,
      );
      ids.push(...page.json<{ data: { ids: string[] } }>().data.ids);
      after = page.headers['x-next-after'] as string | undefined;
    }
    expect(ids).toEqual([...(await idsOf('all'))]);
    expect(new Set(ids).size).toBe(300);
  });

  it('404 for an unknown segment or persona, 400 for a malformed persona', async () => {
    const notFound = await get('/v1/segments/seg_nope/personas/1/traits');
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toEqual({
      code: 404,
      message: 'segment seg_nope does not exist: use default or an id from the segments list',
      data: null,
    });
    for (const path of ['traits', 'user-ids']) {
      const res = await get(`/v1/segments/default/personas/9/${path}`);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        code: 404,
        message: 'segment default has no persona 9 in production (personas: 1, 2, 3)',
        data: null,
      });
    }
    for (const bad of ['0', 'abc', '1.5', '-1', 'ALL']) {
      const res = await get(`/v1/segments/default/personas/${bad}/traits`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        code: 400,
        message: `persona must be a persona index from 1, or all; got "${bad}"`,
        data: null,
      });
    }
    expect((await t.call('GET', '/v1/segments/default/personas/1/traits', undefined)).statusCode).toBe(401);
  });

  it('is scoped to the key: another dashboard and the sandbox see none of it', async () => {
    const seg = await t.admin('POST', `/dashboards/${dash.id}/segments`, { name: 'All', filter: {} });
    const sid = seg.json<{ id: string }>().id;
    const theirs = await get(`/v1/segments/${sid}/personas/1/traits`, other.keys.production);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json<Row>().message).toMatch(/segment .* does not exist/);
    const sandbox = await get('/v1/segments/default/personas/1/user-ids', dash.keys.sandbox);
    expect(sandbox.statusCode).toBe(404);
    const sandboxAll = await get('/v1/segments/default/personas/all/user-ids', dash.keys.sandbox);
    expect(sandboxAll.json()).toEqual({ code: 200, message: '', data: { ids: [] } });
    const otherDefault = await get('/v1/segments/default/personas/1/user-ids', other.keys.production);
    expect(otherDefault.statusCode).toBe(404);
    await t.admin('DELETE', `/dashboards/${dash.id}/segments/${sid}`);
  });

  it('keeps persona numbers when players are added and personas recomputed', async () => {
    const before = await Promise.all([0, 1, 2].map((c) => personaOfCluster(c)));
    const beforeTraits = await Promise.all(before.map((p) => traitsOf(p)));
    // New players, generated in a different cluster order (the largest cluster changes too).
    const more = surveyedPlayers(3, 60, 'n', 99).filter((p) => p.cluster !== 0 || p.userId.endsWith('-1'));
    await insertTraitScores(t.store.db, dash.id, 'production', more);
    const result = await recompute();
    expect(result.environments[0]!.segments[0]!.k).toBe(3);
    const after = await Promise.all([0, 1, 2].map((c) => personaOfCluster(c)));
    expect(after).toEqual(before);
    for (let c = 0; c < 3; c++) {
      const traits = await traitsOf(after[c]!);
      expect(
        Math.abs(traits.agreeableness!.Altruism! - beforeTraits[c]!.agreeableness!.Altruism!),
      ).toBeLessThan(3);
    }
  });

  describe('segments', () => {
    const createSegment = async (name: string, filter: Row) => {
      const res = await t.admin('POST', `/dashboards/${dash.id}/segments`, { name, filter });
      expect(res.statusCode).toBe(201);
      return res.json<{ id: string; name: string; filter: Row }>();
    };
    const members = async (filter: Row) => {
      const segment = await createSegment('s', filter);
      const result = await recompute();
      const summary = result.environments[0]!.segments.find((s) => s.segment_id === segment.id)!;
      const ids = summary.players > 0 ? await idsOf('all', segment.id) : [];
      await t.admin('DELETE', `/dashboards/${dash.id}/segments/${segment.id}`);
      return { ids, summary };
    };
    const clusterOf = (id: string) => Number(id.split('-')[1]);

    it('create answers 201 {id, name, filter}; list has default first; delete removes it', async () => {
      const res = await t.admin('POST', `/dashboards/${dash.id}/segments`, {
        name: ' US payers ',
        filter: { country: 'US', payer: true },
      });
      expect(res.statusCode).toBe(201);
      const created = res.json<Row>();
      expect(created).toEqual({
        id: expect.stringMatching(/^seg_[0-9a-f]{16}$/),
        name: 'US payers',
        filter: { country: 'US', payer: true },
      });
      const list = await t.admin('GET', `/dashboards/${dash.id}/segments`);
      expect(list.json()).toEqual([{ id: 'default', name: 'default', filter: {} }, created]);
      const deleted = await t.admin('DELETE', `/dashboards/${dash.id}/segments/${String(created.id)}`);
      expect(deleted.json()).toEqual({ id: created.id, deleted: true });
      const again = await t.admin('DELETE', `/dashboards/${dash.id}/segments/${String(created.id)}`);
      expect(again.statusCode).toBe(404);
      expect((await t.admin('DELETE', `/dashboards/${dash.id}/segments/default`)).statusCode).toBe(400);
      expect((await t.admin('GET', `/dashboards/dsh_nope/segments`)).statusCode).toBe(404);
    });

    it('refuses a bad filter with 400 and a clear message', async () => {
      const bad = async (filter: Row, message: RegExp) => {
        const res = await t.admin('POST', `/dashboards/${dash.id}/segments`, { name: 'x', filter });
        expect(res.statusCode).toBe(400);
        expect(res.json<Row>().message).toMatch(message);
      };
      await bad({ level_min: 5, level_max: 2 }, /level_min must not be greater than filter.level_max/);
      await bad({ spend_min: 50, spend_max: 2 }, /spend_min must not be greater/);
      await bad({ active_since: 'yesterday' }, /active_since must be a timestamp/);
      await bad({ colour: 'red' }, /unknown field "colour"/);
      await bad({ payer: 'yes' }, /payer/);
    });

    it('refuses numbers JSON can write but a filter cannot hold (1e400), saving nothing', async () => {
      const before = (await t.admin('GET', `/dashboards/${dash.id}/segments`)).json<Row[]>().length;
      for (const [field, value] of [
        ['level_min', '1e400'],
        ['level_max', '1e400'],
        ['spend_min', '1e400'],
        ['spend_max', '-1e400'],
        ['level_min', '3000000000'],
      ] as const) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/admin/v1/dashboards/${dash.id}/segments`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          payload: `{"name":"huge","filter":{"${field}":${value}}}`,
        });
        expect(res.statusCode, `${field}: ${value}`).toBe(400);
        expect(res.json<Row>().message).toContain(`filter.${field}`);
      }
      expect((await t.admin('GET', `/dashboards/${dash.id}/segments`)).json<Row[]>().length).toBe(before);
    });

    it(
      'country, platform and language (a prefix tag matches its regions)',
      async () => {
        const us = await members({ country: 'us' });
        expect(us.ids.length).toBe(100);
        expect(us.ids.every((id) => clusterOf(id) === 0)).toBe(true);
        const apple = await members({ platform: ['apple', 'android'] });
        expect(apple.ids.every((id) => clusterOf(id) !== 0)).toBe(true);
        expect(apple.ids.length).toBe(200);
        const fr = await members({ language: 'fr' });
        expect(fr.ids.every((id) => clusterOf(id) === 1)).toBe(true);
        expect(fr.ids.length).toBe(100);
      },
      SEGMENT_RECOMPUTES,
    );

    it(
      'payer, spend and level bounds, active and registered since',
      async () => {
        const payers = await members({ payer: true });
        expect(payers.ids.length).toBeGreaterThan(80);
        expect(payers.ids.every((id) => clusterOf(id) === 0)).toBe(true);
        const nonPayers = await members({ payer: false });
        expect(nonPayers.ids.length + payers.ids.length).toBe(300);
        const big = await members({ spend_min: 40 });
        expect(big.ids.every((id) => payers.ids.includes(id))).toBe(true);
        expect(big.ids.length).toBeLessThan(payers.ids.length);
        const levels = await members({ level_min: 20, level_max: 1000 });
        expect(levels.ids.every((id) => clusterOf(id) === 2)).toBe(true);
        const registered = await members({ registered_since: '2025-11-01' });
        expect(registered.ids.length).toBe(100);
        expect(registered.ids.every((id) => clusterOf(id) === 2)).toBe(true);
        const active = await members({ active_since: '2026-01-10 00:00:00' });
        expect(active.ids.length).toBeGreaterThan(0);
        expect((await members({ active_since: '2030-01-01' })).summary.players).toBe(0);
      },
      SEGMENT_RECOMPUTES,
    );

    it(
      'a segment has its own personas, computed over its members only',
      async () => {
        const segment = await createSegment('Non-US', { country: ['FR', 'DE'] });
        const result = await recompute();
        const summary = result.environments[0]!.segments.find((s) => s.segment_id === segment.id)!;
        expect(summary.k).toBe(2);
        expect(summary.players).toBe(200);
        const traits = await traitsOf('all', segment.id);
        expect(Object.keys(traits)).toHaveLength(12);
      },
      SEGMENT_RECOMPUTES,
    );
  });

  it("admin: a player's traits with persona and source per segment", async () => {
    const surveyedOne = await t.admin('GET', `/dashboards/${dash.id}/players/s-1-3/traits`);
    expect(surveyedOne.statusCode).toBe(200);
    const body = surveyedOne.json<Row>();
    expect(body).toMatchObject({
      user_id: 's-1-3',
      environment: 'production',
      surveyed: true,
      completed_at: '2026-01-01 00:00:00',
      scores: surveyed.find((p) => p.userId === 's-1-3')!.scores,
    });
    expect(body.personas).toEqual(
      expect.arrayContaining([
        {
          segment_id: 'default',
          segment_name: 'default',
          persona: expect.any(Number),
          source: 'surveyed',
          probabilities: expect.any(Object),
        },
      ]),
    );
    const predicted = await t.admin('GET', `/dashboards/${dash.id}/players/u-2-5/traits`);
    expect(predicted.json()).toMatchObject({
      surveyed: false,
      scores: null,
      completed_at: null,
      personas: expect.arrayContaining([
        expect.objectContaining({ segment_id: 'default', source: 'predicted', probabilities: null }),
      ]),
    });
    const unknown = await t.admin('GET', `/dashboards/${dash.id}/players/nobody/traits`);
    expect(unknown.statusCode).toBe(404);
    expect(
      (await t.admin('GET', `/dashboards/${dash.id}/players/s-1-3/traits?environment=sandbox`)).statusCode,
    ).toBe(404);
  });

  it('a small segment (under 10 surveyed players) is one persona', async () => {
    const small = await t.createDashboard('Tiny');
    await insertTraitScores(t.store.db, small.id, 'sandbox', surveyedPlayers(2, 3, 't'));
    const res = await t.admin('POST', `/dashboards/${small.id}/personas/recompute?environment=sandbox`);
    const segment = res.json<Recompute>().environments[0]!.segments[0]!;
    expect(segment).toMatchObject({
      k: 1,
      distinct_personas: false,
      evidence: null,
      surveyed: 6,
      personas: [{ persona: 1, size: 6, surveyed: 6, surveyed_expected: 6, predicted: 0 }],
    });
    const ids = await t.call('GET', '/v1/segments/default/personas/1/user-ids', small.keys.sandbox);
    expect(ids.json<{ data: { ids: string[] } }>().data.ids).toHaveLength(6);
    const both = await t.admin('POST', `/dashboards/${small.id}/personas/recompute`);
    expect(both.json<Recompute>().environments.map((e) => e.environment)).toEqual(['production', 'sandbox']);
    expect(both.json<Recompute>().environments[0]!.segments[0]!).toMatchObject({ k: 0, personas: [] });
  });

  it('scheduleRecompute (the survey completion hook) recomputes once, after a quiet period', async () => {
    const services = buildServices(t.config, t.store, { personas: { debounceMs: 30 } });
    const late = await t.createDashboard('Late surveys');
    await insertTraitScores(t.store.db, late.id, 'production', surveyedPlayers(2, 15, 'l'));
    for (let i = 0; i < 5; i++) services.personas.scheduleRecompute(late.id, 'production');
    await services.personas.idle();
    const ids = await t.call('GET', '/v1/segments/default/personas/all/user-ids', late.keys.production);
    expect(ids.json<{ data: { ids: string[] } }>().data.ids).toHaveLength(30);
    const run = await services.personas.lastRun(late.id, 'production', 'default');
    expect(run).toMatchObject({ k: 2, surveyed: 30 });
    await services.personas.stop();
    services.personas.scheduleRecompute(late.id, 'production');
    await services.personas.idle();
  });

  it('a player completing the survey in the page puts them in a persona (the completion hook)', async () => {
    // An app whose personas wait 30 ms after the last completion (the default is seconds).
    const app = await buildApp(parseConfig({ ...t.config, surveyMinMsPerItem: 0 }), t.store, {
      logger: false,
      services: { personas: { debounceMs: 30 } },
    });
    try {
      const game = await t.createDashboard('Surveyed in the page');
      const ids = async () =>
        (
          await app.inject({
            method: 'GET',
            url: '/v1/segments/default/personas/all/user-ids',
            headers: { authorization: `Bearer ${game.keys.production}` },
          })
        ).json<{ data?: { ids: string[] } }>().data?.ids ?? [];
      for (const [i, id] of ['p1', 'p2', 'p3'].entries()) {
        const registered = await app.inject({
          method: 'POST',
          url: '/v1/assessment/user/register',
          headers: { authorization: `Bearer ${game.keys.production}` },
          payload: { id },
        });
        await takeSurvey(app, registered.json<{ data: { token: string } }>().data.token, { keyed: 2 + i });
      }
      // No recompute was asked for: the completions scheduled it.
      const deadline = Date.now() + 15_000;
      while ((await ids()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await ids()).sort()).toEqual(['p1', 'p2', 'p3']);
    } finally {
      await app.close();
    }
  });

  it('the endpoints are in the OpenAPI document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json<{ paths: Row }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/segments/{segment_id}/personas/{persona}/traits',
        '/v1/segments/{segment_id}/personas/{persona}/user-ids',
        '/v1/userData',
        '/admin/v1/dashboards/{id}/segments',
        '/admin/v1/dashboards/{id}/personas/recompute',
      ]),
    );
  });
});
