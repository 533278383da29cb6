import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIGURE_TABLES } from '../../src/insights/figure-rollups.js';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/**
 * The aggregates the answers read (migration 0021) are kept by re-keying the players each fold
 * touches, by segment snapshots and by deletions. Here: many small refreshes over late events,
 * install days moving earlier, first purchases and last logins moving, players joining a custom
 * segment, a deletion and personas moved by a recompute; then every answer must equal the one
 * read from aggregates rebuilt from scratch. And a recompute's moves show without a refresh, the
 * aggregates rebuilt by the recompute itself.
 */
const DAY_MS = 86_400_000;
const today = Math.floor(Date.now() / DAY_MS);
const D = today - 40;
const date = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const at = (day: number, hour: number) => `${date(day)} ${String(hour).padStart(2, '0')}:00:00`;

/** A small deterministic generator (the same records on every run). */
function random(seed: number) {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

describe.each(EVENT_BACKENDS)('insights aggregates on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let payers: string;
  const next = random(7);
  const pick = (n: number) => Math.floor(next() * n);

  const push = async (path: string, bodyKey: string, records: unknown[]) => {
    const res = await t.call('POST', path, dash.keys.production, { [bodyKey]: records });
    expect(res.statusCode, res.body).toBe(201);
  };
  const refresh = async () => {
    const res = await t.admin('POST', `/dashboards/${dash.id}/insights/refresh?environment=production`);
    expect(res.statusCode, res.body).toBe(200);
  };
  /** Records of `players` players on days from `first` to `last` (some before a player's install). */
  const batch = async (players: number, first: number, last: number, hour: number) => {
    const day = () => first + pick(last - first + 1);
    const user = () => `p${pick(players)}`;
    await push(
      '/v1/logins',
      'users',
      Array.from({ length: 40 }, (_, i) => ({
        user_id: user(),
        timestamp: at(day(), hour),
        level: 1 + pick(20),
        ...(i % 9 === 0 && { register_date: date(first - 3) }),
      })),
    );
    await push(
      '/v1/purchases',
      'purchases',
      Array.from({ length: 8 }, () => ({
        user_id: user(),
        timestamp: at(day(), hour),
        item_id: 'gem',
        count: 1,
        price: 1 + pick(4) * 0.25,
      })),
    );
    await push(
      '/v1/level-ups',
      'level_ups',
      Array.from({ length: 12 }, () => ({
        user_id: user(),
        timestamp: at(day(), hour),
        level: 1 + pick(30),
      })),
    );
    await push(
      '/v1/actions',
      'actions',
      Array.from({ length: 10 }, () => ({
        user_id: user(),
        timestamp: at(day(), hour),
        action_id: '1',
        action_name: 'play',
      })),
    );
  };
  const setPersonas = async (members: readonly (readonly [string, number])[], run: number) => {
    const scope = { dashboard_id: dash.id, environment: 'production' as const, segment_id: 'default' };
    await t.store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('persona_members').where('dashboard_id', '=', dash.id).execute();
      await trx
        .insertInto('persona_members')
        .values(
          members.map(([user_id, persona]) => ({
            ...scope,
            user_id,
            persona,
            source: 'surveyed' as const,
            probabilities: null,
          })),
        )
        .execute();
      // What a recompute leaves beside its memberships (personas.repository.ts `replace`).
      const stamp = { summary: '{}', last_number: 2, computed_at: run };
      await trx
        .insertInto('persona_runs')
        .values({ ...scope, ...stamp })
        .onConflict((oc) => oc.columns(['dashboard_id', 'environment', 'segment_id']).doUpdateSet(stamp))
        .execute();
    });
  };
  const get = async (path: string) => {
    const res = await t.call('GET', path, dash.keys.production);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ data: Record<string, unknown[]> }>().data;
  };
  /** Every answer the aggregates feed, for each audience, with sums rounded (float order differs). */
  const everything = async () => {
    const answers: Record<string, unknown> = {};
    const range = `from=${date(D - 5)}&to=${date(today)}`;
    for (const segment of ['default', payers])
      for (const persona of ['all', '1', '2', 'none']) {
        const q = `${range}&segment=${segment}&persona=${persona}`;
        for (const path of [
          `daily?${q}`,
          `retention?${q}&days=0,1,2,3,7,14,30`,
          `engagement?${q}`,
          `monetization?${q}`,
          `churn?${q}&churn_days=3`,
          `churn?${q}`,
          `progression?${q}&days=0,1,3,7,30`,
          `personas?${q}`,
        ])
          answers[path] = await get(`/v1/insights/${path}`);
      }
    return JSON.parse(
      JSON.stringify(answers, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v)),
    ) as unknown;
  };

  beforeAll(async () => {
    t = await createTestApp(backend, { clickhouseInsightsLagMs: 0 });
    dash = await t.createDashboard('Aggregates game');
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the same from aggregates kept fold by fold as from aggregates rebuilt', async () => {
    await batch(20, D + 10, D + 20, 1);
    await refresh();
    await batch(30, D, D + 30, 2); // late events before many players' install days; new players
    await refresh();
    await setPersonas(
      Array.from({ length: 24 }, (_, i) => [`p${i}`, 1 + (i % 2)] as const),
      1,
    );
    const segment = await t.admin('POST', `/dashboards/${dash.id}/segments`, {
      name: 'payers',
      filter: { payer: true },
    });
    expect(segment.statusCode, segment.body).toBe(201);
    payers = segment.json<{ id: string }>().id;
    await refresh();
    await batch(40, D - 5, today, 0); // new payers join the segment at the next snapshot
    await refresh();
    await refresh();
    const deletedAt = Date.now();
    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id: 'p3' });
    expect(res.statusCode, res.body).toBe(200);
    // The deletion schedules a persona recompute (debounced; nobody is surveyed: it leaves none),
    // as the segment's creation did: wait until every segment's run is past the deletion, so no
    // recompute can move personas between the two readings below.
    const recomputed = async () => {
      const runs = await t.store.db
        .selectFrom('persona_runs')
        .select('computed_at')
        .where('dashboard_id', '=', dash.id)
        .execute();
      return runs.length > 0 && runs.every((r) => r.computed_at > deletedAt);
    };
    for (let waited = 0; waited < 20_000 && !(await recomputed()); waited += 200)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await recomputed()).toBe(true);
    await batch(40, D + 30, today, 0);
    await refresh();
    // A recompute moves players between personas (and drops some to none).
    await setPersonas(
      Array.from({ length: 30 }, (_, i) => [`p${i + 10}`, 1 + ((i + 1) % 2)] as const),
      2,
    );
    await refresh();
    const kept = await everything();

    const { rows } = await sql<{ n: unknown }>`select count(*) as n from insight_day_figures`.execute(
      t.store.db,
    );
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    for (const table of [...FIGURE_TABLES, 'insight_figure_stamps'])
      await sql`delete from ${sql.table(table)}`.execute(t.store.db);
    // The first answer after the wipe rebuilds each segment from the player-days.
    expect(await everything()).toEqual(kept);
  });

  it('moves players between personas as soon as a recompute commits, before any refresh', async () => {
    const dau = async (persona: string) =>
      (
        (await get(`/v1/insights/daily?from=${date(D)}&to=${date(today)}&persona=${persona}`)).days as {
          dau: number;
        }[]
      ).reduce((sum, d) => sum + d.dau, 0);
    await setPersonas(
      Array.from({ length: 30 }, (_, i) => [`p${i + 10}`, 1 + (i % 2)] as const),
      3,
    );
    const before = { one: await dau('1'), two: await dau('2'), all: await dau('all') };
    expect(before.one).toBeGreaterThan(0);
    // Every player of persona 1 moves to 2.
    await setPersonas(
      Array.from({ length: 30 }, (_, i) => [`p${i + 10}`, 2] as const),
      4,
    );
    expect(await dau('1')).toBe(0);
    expect(await dau('2')).toBe(before.one + before.two);
    expect(await dau('all')).toBe(before.all);
  });

  it('rebuilds the aggregates by persona when a recompute commits, before any answer asks', async () => {
    const personaRows = async () => {
      const { rows } = await sql<{
        n: unknown;
      }>`select coalesce(sum(players), 0) as n from insight_day_figures
        where dashboard_id = ${dash.id} and segment_id = 'default' and persona <> 0`.execute(t.store.db);
      return Number(rows[0]!.n);
    };
    const stamps = async () => {
      const runs = await t.store.db
        .selectFrom('persona_runs as r')
        .innerJoin('insight_figure_stamps as s', (j) =>
          j.onRef('s.dashboard_id', '=', 'r.dashboard_id').onRef('s.segment_id', '=', 'r.segment_id'),
        )
        .select(['r.computed_at', 's.persona_run'])
        .where('r.dashboard_id', '=', dash.id)
        .where('r.environment', '=', 'production')
        .where('s.environment', '=', 'production')
        .execute();
      return runs.filter((r) => r.computed_at === r.persona_run).length;
    };
    expect(await personaRows()).toBeGreaterThan(0);
    // Nobody is surveyed: the recompute leaves every player without a persona, in both segments.
    const res = await t.admin('POST', `/dashboards/${dash.id}/personas/recompute?environment=production`);
    expect(res.statusCode, res.body).toBe(200);
    for (let waited = 0; waited < 20_000 && (await stamps()) < 2; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await stamps()).toBe(2);
    expect(await personaRows()).toBe(0);
  });

  it('moves a player into a custom segment when a purchase makes them a payer', async () => {
    const revenue = async () =>
      (
        (await get(`/v1/insights/daily?from=${date(today)}&to=${date(today)}&segment=${payers}`)).days as {
          revenue: number;
          dau: number;
        }[]
      )[0]!;
    const before = await revenue();
    await push('/v1/logins', 'users', [{ user_id: 'newcomer', timestamp: at(today, 0) }]);
    await push('/v1/purchases', 'purchases', [
      { user_id: 'newcomer', timestamp: at(today, 0), item_id: 'gem', count: 1, price: 1000 },
    ]);
    await refresh();
    const after = await revenue();
    expect(after.revenue).toBeCloseTo(before.revenue + 1000, 9);
    expect(after.dau).toBe(before.dau + 1);
  });
});
