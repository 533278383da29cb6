import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../src/services.js';
import { multipartCsv } from '../privacy/multipart.js';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/**
 * A small fixture whose figures are computed by hand (below), on every backend. Days are relative
 * to today so that "day N still in the future" is exercised: D = today − 10, T = today = D + 10.
 *
 * | player | persona   | records (day: what)                                   | install |
 * | alice  | 1         | D login, D+1 login (level 5) + purchase 5, D+7 login | D       |
 * |        |           | KPI session_minutes D 30, D+1 10                      |         |
 * | bob    | 1         | D login + purchases 10 and 2.5, D+2 login (level 2)  | D       |
 * |        |           | KPI session_minutes D 20                              |         |
 * | carol  | none      | register_date D−2; D+1 login, D+5 30 gold spent      | D−2     |
 * | dave   | 2         | D+1 login, D+8 login; LATE: a level-up (3) on D       | D+1 → D |
 * |        |           | after the first refresh                               |         |
 * | erin   | none      | D login, D+1 login + purchase 100; then DELETED       | D       |
 * | gina   | none      | D+3 action only (no login: any record is activity)    | D+3     |
 * | frank  | (sandbox) | D login: never in production figures                  |         |
 * | oscar  | (other dashboard) D login                                      |         |
 */
const DAY_MS = 86_400_000;
const today = Math.floor(Date.now() / DAY_MS);
const D = today - 10;
const date = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** Noon of the day, as the timestamp text the API takes. */
const at = (day: number, hour = 12) => `${date(day)} ${String(hour).padStart(2, '0')}:00:00`;

interface DailyRow {
  day: string;
  dau: number;
  new_players: number;
  revenue: number;
  paying_players: number;
  arpdau: number;
}
interface Cohort {
  cohort: string;
  players: number;
  retention: Record<string, number | null>;
}

describe.each(EVENT_BACKENDS)('insights fixture on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;
  let payers: string;

  const push = async (key: string, path: string, bodyKey: string, records: unknown[]) => {
    const res = await t.call('POST', path, key, { [bodyKey]: records });
    expect(res.statusCode, res.body).toBe(201);
  };
  const refresh = async (id = dash.id, environment = 'production') => {
    const res = await t.admin('POST', `/dashboards/${id}/insights/refresh?environment=${environment}`);
    expect(res.statusCode, res.body).toBe(200);
  };
  const daily = async (query: string, key = dash.keys.production) => {
    const res = await t.call('GET', `/v1/insights/daily?from=${date(D)}&to=${date(D + 9)}${query}`, key);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ code: number; message: string; data: { days: DailyRow[] } }>();
    expect(body.code).toBe(200);
    expect(body.message).toBe('');
    return body.data.days;
  };
  /** The figures of one column, day D to D+9. */
  const column = (days: DailyRow[], field: keyof DailyRow) => days.map((d) => d[field]);
  const retention = async (query: string) => {
    const res = await t.call(
      'GET',
      `/v1/insights/retention?from=${date(D - 2)}&to=${date(D + 9)}&days=1,7,30${query}`,
      dash.keys.production,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ data: { cohorts: Cohort[] } }>().data.cohorts;
  };

  /**
   * Personas as a recompute would leave them (current membership is what figures use): the
   * members and a persona run newer than any before, in one transaction.
   */
  const placePersonas = () =>
    t.store.db.transaction().execute(async (trx) => {
      const scope = { dashboard_id: dash.id, environment: 'production' as const, segment_id: 'default' };
      await trx
        .insertInto('persona_members')
        .values(
          (
            [
              ['alice', 1],
              ['bob', 1],
              ['dave', 2],
            ] as const
          ).map(([user_id, persona]) => ({
            ...scope,
            user_id,
            persona,
            source: 'surveyed' as const,
            probabilities: null,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
      const last = await trx
        .selectFrom('persona_runs')
        .select('computed_at')
        .where('dashboard_id', '=', dash.id)
        .where('environment', '=', 'production')
        .where('segment_id', '=', 'default')
        .executeTakeFirst();
      const run = {
        summary: '{}',
        last_number: 2,
        computed_at: Math.max(Date.now(), (last?.computed_at ?? 0) + 1),
      };
      await trx
        .insertInto('persona_runs')
        .values({ ...scope, ...run })
        .onConflict((oc) => oc.columns(['dashboard_id', 'environment', 'segment_id']).doUpdateSet(run))
        .execute();
    });
  /**
   * A deletion schedules a persona recompute (debounced), which replaces the hand-placed
   * memberships (none of these players is surveyed): wait for it, then place them again.
   */
  const afterRecompute = async () => {
    const members = () =>
      t.store.db
        .selectFrom('persona_members')
        .select('user_id')
        .where('dashboard_id', '=', dash.id)
        .execute();
    for (let waited = 0; waited < 20_000 && (await members()).length > 0; waited += 200)
      await new Promise((resolve) => setTimeout(resolve, 200));
    await placePersonas();
  };

  beforeAll(async () => {
    // Nothing is inserted concurrently: ClickHouse folds up to now, not a shard timeout ago.
    t = await createTestApp(backend, { clickhouseInsightsLagMs: 0 });
    dash = await t.createDashboard('Insights game');
    other = await t.createDashboard('Other game');
    const key = dash.keys.production;
    await push(key, '/v1/logins', 'users', [
      { user_id: 'alice', timestamp: at(D) },
      { user_id: 'alice', timestamp: at(D + 1), level: 5 },
      { user_id: 'alice', timestamp: at(D + 7) },
      { user_id: 'bob', timestamp: at(D, 0) },
      { user_id: 'bob', timestamp: at(D + 2, 23), level: 2 },
      { user_id: 'carol', timestamp: at(D + 1), register_date: date(D - 2) },
      { user_id: 'dave', timestamp: at(D + 1) },
      { user_id: 'dave', timestamp: at(D + 8) },
      { user_id: 'erin', timestamp: at(D) },
      { user_id: 'erin', timestamp: at(D + 1) },
    ]);
    await push(key, '/v1/purchases', 'purchases', [
      { user_id: 'alice', timestamp: at(D + 1), item_id: 'gem', count: 1, price: 5 },
      { user_id: 'bob', timestamp: at(D, 1), item_id: 'gem', count: 2, price: 10 },
      { user_id: 'bob', timestamp: at(D, 2), item_id: 'coin', count: 1, price: 2.5 },
      { user_id: 'erin', timestamp: at(D + 1), item_id: 'chest', count: 1, price: 100 },
    ]);
    await push(key, '/v1/virtual-purchases', 'virtual_purchases', [
      {
        user_id: 'carol',
        timestamp: at(D + 5),
        item_id: 'hat',
        count: 1,
        virtual_price: 30,
        currency: 'gold',
      },
    ]);
    await push(key, '/v1/actions', 'actions', [
      { user_id: 'gina', timestamp: at(D + 3), action_id: '1', action_name: 'tutorial' },
    ]);
    const kpis = multipartCsv(
      `timestamp,user_id,kpi_id,value\n${at(D)},alice,session_minutes,30\n${at(D + 1)},alice,session_minutes,10\n${at(D)},bob,session_minutes,20\n`,
      { authorization: `Bearer ${key}` },
    );
    const uploaded = await t.app.inject({ method: 'POST', url: '/v1/kpis/csv', ...kpis });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    await buildServices(t.config, t.store).jobs.runOnce();
    await push(dash.keys.sandbox, '/v1/logins', 'users', [{ user_id: 'frank', timestamp: at(D) }]);
    await push(other.keys.production, '/v1/logins', 'users', [{ user_id: 'oscar', timestamp: at(D) }]);
    await placePersonas();
    const segment = await t.admin('POST', `/dashboards/${dash.id}/segments`, {
      name: 'payers',
      filter: { payer: true },
    });
    expect(segment.statusCode, segment.body).toBe(201);
    payers = segment.json<{ id: string }>().id;
    await refresh();
    await refresh(dash.id, 'sandbox');
    await refresh(other.id);
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts every player of the scope before the late event and the deletion', async () => {
    const days = await daily('');
    expect(days.map((d) => d.day)).toEqual(Array.from({ length: 10 }, (_, i) => date(D + i)));
    // D: alice, bob, erin (dave's late level-up has not arrived); D+1: alice, carol, dave, erin.
    expect(column(days, 'dau')).toEqual([3, 4, 1, 1, 0, 1, 0, 1, 1, 0]);
    // Installs: alice, bob, erin on D; dave on D+1 (for now); gina on D+3; carol before the range.
    expect(column(days, 'new_players')).toEqual([3, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    // D: bob 10 + 2.5; D+1: alice 5 + erin 100.
    expect(column(days, 'revenue')).toEqual([12.5, 105, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(column(days, 'paying_players')).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    // 12.5 / 3 and 105 / 4; 0 where DAU is 0.
    expect(days[0]!.arpdau).toBeCloseTo(4.166667, 5);
    expect(days[1]!.arpdau).toBeCloseTo(26.25, 10);
    expect(days[4]!.arpdau).toBe(0);
  });

  it('keeps other environments and dashboards apart', async () => {
    const sandbox = await daily('', dash.keys.sandbox);
    expect(column(sandbox, 'dau')).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const elsewhere = await daily('', other.keys.production);
    expect(column(elsewhere, 'dau')).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('moves a late event into its own day and the install day with it', async () => {
    await push(dash.keys.production, '/v1/level-ups', 'level_ups', [
      { user_id: 'dave', timestamp: at(D, 6), level: 3 },
    ]);
    // Before the rollups catch up, the figures do not change (they are read from rollups only).
    expect(column(await daily(''), 'dau')[0]).toBe(3);
    await refresh();
    const days = await daily('');
    expect(column(days, 'dau')).toEqual([4, 4, 1, 1, 0, 1, 0, 1, 1, 0]);
    // dave's install day is now D, not D+1.
    expect(column(days, 'new_players')).toEqual([4, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('removes a deleted player from every figure', async () => {
    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id: 'erin' });
    expect(res.statusCode, res.body).toBe(200);
    const days = await daily('');
    // Without erin: D alice, bob, dave; D+1 alice, carol, dave.
    expect(column(days, 'dau')).toEqual([3, 3, 1, 1, 0, 1, 0, 1, 1, 0]);
    expect(column(days, 'new_players')).toEqual([3, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(column(days, 'revenue')).toEqual([12.5, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(column(days, 'paying_players')).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    // 12.5 / 3 and 5 / 3.
    expect(days[0]!.arpdau).toBeCloseTo(4.166667, 5);
    expect(days[1]!.arpdau).toBeCloseTo(1.666667, 5);
    // A refresh after the deletion brings nothing of erin back, and erin's segment row is gone.
    await refresh();
    expect(column(await daily(''), 'dau')).toEqual([3, 3, 1, 1, 0, 1, 0, 1, 1, 0]);
    expect(column(await daily(`&segment=${payers}`), 'revenue')).toEqual([12.5, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    await afterRecompute();
  });

  it('answers day-N retention by install cohort, null while the day is to come', async () => {
    const cohorts = await retention('');
    expect(cohorts.map((c) => c.cohort)).toEqual(Array.from({ length: 12 }, (_, i) => date(D - 2 + i)));
    const byDay = new Map(cohorts.map((c) => [c.cohort, c]));
    // Carol (register_date D−2): not active on D−1, active on D+5 (= D−2 + 7).
    expect(byDay.get(date(D - 2))).toEqual({
      cohort: date(D - 2),
      players: 1,
      retention: { 1: 0, 7: 1, 30: null },
    });
    // alice, bob, dave: on D+1 alice and dave; on D+7 alice.
    const d0 = byDay.get(date(D))!;
    expect(d0.players).toBe(3);
    expect(d0.retention['1']).toBeCloseTo(2 / 3, 10);
    expect(d0.retention['7']).toBeCloseTo(1 / 3, 10);
    expect(d0.retention['30']).toBeNull();
    // gina: D+3 + 7 is today (not in the future): 0, not null.
    expect(byDay.get(date(D + 3))).toEqual({
      cohort: date(D + 3),
      players: 1,
      retention: { 1: 0, 7: 0, 30: null },
    });
    // No player installed on D+4: shares of 0 for days already come, null for D+11.
    expect(byDay.get(date(D + 4))).toEqual({
      cohort: date(D + 4),
      players: 0,
      retention: { 1: 0, 7: null, 30: null },
    });
    // D+9 + 1 is today.
    expect(byDay.get(date(D + 9))!.retention).toEqual({ 1: 0, 7: null, 30: null });
  });

  it('slices by persona: a number, none, and the segment', async () => {
    const first = await daily('&persona=1');
    // alice and bob.
    expect(column(first, 'dau')).toEqual([2, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
    expect(column(first, 'new_players')).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(column(first, 'revenue')).toEqual([12.5, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(column(first, 'arpdau')).toEqual([6.25, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    // carol and gina (erin deleted).
    const none = await daily('&persona=none');
    expect(column(none, 'dau')).toEqual([0, 1, 0, 1, 0, 1, 0, 0, 0, 0]);
    expect(column(none, 'new_players')).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    // dave.
    expect(column(await daily('&persona=2'), 'dau')).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(column(await daily('&persona=7'), 'dau')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Payers segment: alice and bob.
    expect(column(await daily(`&segment=${payers}`), 'dau')).toEqual([2, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
    const cohort = (await retention('&persona=1')).find((c) => c.cohort === date(D))!;
    // alice and bob: alice active on D+1 and D+7.
    expect(cohort).toEqual({ cohort: date(D), players: 2, retention: { 1: 0.5, 7: 0.5, 30: null } });
  });

  const answer = async <T>(name: string, query: string) => {
    const res = await t.call('GET', `/v1/insights/${name}?${query}`, dash.keys.production);
    expect(res.statusCode, res.body).toBe(200);
    return Object.values(res.json<{ data: Record<string, T[]> }>().data)[0]!;
  };
  const range = () => `from=${date(D)}&to=${date(D + 9)}`;

  it('answers engagement: WAU, MAU, stickiness and logins per DAU', async () => {
    const days = await answer<Record<string, number>>('engagement', range());
    const col = (f: string) => days.map((d) => d[f]);
    expect(col('dau')).toEqual([3, 3, 1, 1, 0, 1, 0, 1, 1, 0]);
    // Active in the 7 days ending each day: D alice, bob, dave; + carol on D+1; + gina on D+3;
    // D+9 (D+3..D+9): gina, carol, alice, dave.
    expect(col('wau')).toEqual([3, 4, 4, 5, 5, 5, 5, 5, 5, 4]);
    // Over 30 days: gina joins on D+3, nobody leaves.
    expect(col('mau')).toEqual([3, 4, 4, 5, 5, 5, 5, 5, 5, 5]);
    // Logins: D alice, bob; D+1 alice, carol, dave; D+2 bob; D+7 alice; D+8 dave.
    expect(col('logins')).toEqual([2, 3, 1, 0, 0, 0, 0, 1, 1, 0]);
    expect(days[0]!.logins_per_dau).toBeCloseTo(2 / 3, 10);
    expect(col('logins_per_dau').slice(1)).toEqual([1, 1, 0, 0, 0, 0, 1, 1, 0]);
    // DAU / MAU: 3/3, 3/4, 1/4.
    expect(col('stickiness').slice(0, 3)).toEqual([1, 0.75, 0.25]);
  });

  it('answers monetisation: ARPPU and conversion to a first purchase', async () => {
    const [d0, d1, d2] = await answer<Record<string, number>>('monetization', range());
    // D: bob's two purchases (12.5), first purchase of bob; D+1: alice's 5, her first.
    expect(d0).toMatchObject({
      dau: 3,
      revenue: 12.5,
      purchases: 2,
      paying_players: 1,
      arppu: 12.5,
      first_purchasers: 1,
    });
    expect(d0!.conversion).toBeCloseTo(1 / 3, 10);
    expect(d1).toMatchObject({
      dau: 3,
      revenue: 5,
      purchases: 1,
      paying_players: 1,
      arppu: 5,
      first_purchasers: 1,
    });
    expect(d2).toMatchObject({ dau: 1, revenue: 0, arppu: 0, first_purchasers: 0, conversion: 0 });
  });

  it('answers virtual currency spent and the kpis records per day', async () => {
    expect(await answer('currencies', range())).toEqual([
      { day: date(D + 5), name: 'gold', total: 30, mean: 30, records: 1, players: 1 },
    ]);
    // D: alice 30 + bob 20 (mean 25); D+1: alice 10.
    expect(await answer('kpis', range())).toEqual([
      { day: date(D), name: 'session_minutes', total: 50, mean: 25, records: 2, players: 2 },
      { day: date(D + 1), name: 'session_minutes', total: 10, mean: 10, records: 1, players: 1 },
    ]);
    expect(await answer('kpis', `${range()}&persona=none`)).toEqual([]);
  });

  it('answers churn by cohort: no login in the last churn_days days', async () => {
    const cohorts = await answer<{ cohort: string }>(
      'churn',
      `from=${date(D - 2)}&to=${date(D + 9)}&churn_days=5`,
    );
    const byDay = new Map(cohorts.map((c) => [c.cohort, c]));
    // Today is D+10: churned when the last login (else the install day) is on or before D+5.
    // carol: last login D+1.
    expect(byDay.get(date(D - 2))).toEqual({ cohort: date(D - 2), players: 1, churned: 1, churn_rate: 1 });
    // alice (D+7) and dave (D+8) stay; bob (D+2) churned.
    expect(byDay.get(date(D))).toMatchObject({ players: 3, churned: 1 });
    // gina never logged in: since her install on D+3.
    expect(byDay.get(date(D + 3))).toEqual({ cohort: date(D + 3), players: 1, churned: 1, churn_rate: 1 });
    // A cohort younger than the window: not known yet.
    expect(byDay.get(date(D + 6))).toEqual({ cohort: date(D + 6), players: 0, churned: 0, churn_rate: null });
    const bad = await t.call('GET', `/v1/insights/churn?${range()}&churn_days=0`, dash.keys.production);
    expect(bad.statusCode).toBe(400);
  });

  it('answers the level reached by days since install, in quartiles', async () => {
    const points = await answer('progression', `from=${date(D)}&to=${date(D)}&days=0,1,7,30`);
    expect(points).toEqual([
      // By D: only dave (level 3, the late level-up).
      { days_since_install: 0, players: 1, p25: 3, median: 3, p75: 3 },
      // By D+1: dave 3, alice 5.
      { days_since_install: 1, players: 2, p25: 3.5, median: 4, p75: 4.5 },
      // By D+7: bob 2, dave 3, alice 5.
      { days_since_install: 7, players: 3, p25: 2.5, median: 3, p75: 4 },
      // D+30 is still to come.
      { days_since_install: 30, players: 0, p25: null, median: null, p75: null },
    ]);
  });

  it('profiles each persona against its segment: KPIs with intervals, then traits by difference', async () => {
    const persona = (n: number, openness: number, conscientiousness: number, surveyed: number) => ({
      dashboard_id: dash.id,
      environment: 'production' as const,
      segment_id: 'default',
      persona: n,
      centroid: '[]',
      trait_means: JSON.stringify({ bigFive: { Openness: openness, Conscientiousness: conscientiousness } }),
      surveyed,
      predicted: 0,
    });
    await t.store.db
      .insertInto('personas')
      .values([persona(1, 70, 40, 2), persona(2, 40, 46, 1)])
      .execute();
    const rows = await answer<Record<string, unknown>>('personas', `${range()}&persona=1`);
    expect(rows.map((r) => r.metric)).toEqual([
      'retention_d1',
      'retention_d7',
      'churn_rate',
      'arpdau',
      'trait:bigFive.Openness',
      'trait:bigFive.Conscientiousness',
    ]);
    // D1: persona 1 (alice, bob; cohort D) alice → 1/2; segment: cohorts D (alice, bob, dave →
    // alice, dave) and D+3 (gina, not on D+4) → 2/4. Wilson 95% of 1/2: 0.0946–0.9054.
    expect(rows[0]).toMatchObject({ persona: 1, value: 0.5, segment_value: 0.5, difference: 0, players: 2 });
    expect(rows[0]!.ci_low).toBeCloseTo(0.094563, 4);
    expect(rows[0]!.ci_high).toBeCloseTo(0.905437, 4);
    // D7 (cohorts up to D+3): alice on D+7 → 1/2; segment: alice only of 4 → 1/4.
    expect(rows[1]).toMatchObject({ value: 0.5, segment_value: 0.25, difference: 0.25, players: 2 });
    // Churn over 14 days: no cohort of the range is 14 days old yet.
    expect(rows[2]).toMatchObject({ value: null, segment_value: null, players: 0, ci_low: null });
    // ARPDAU: 17.5 over 5 player-days (persona) and over 11 (segment).
    expect(rows[3]).toMatchObject({ value: 3.5, players: 5 });
    expect(rows[3]!.segment_value).toBeCloseTo(17.5 / 11, 10);
    // Segment means weighted by surveyed members: Openness (70·2 + 40)/3 = 60, Conscientiousness
    // (40·2 + 46)/3 = 42: Openness differs most (+10), then Conscientiousness (−2).
    expect(rows[4]).toMatchObject({ value: 70, segment_value: 60, difference: 10, players: 2 });
    expect(rows[5]!.difference).toBeCloseTo(-2, 10);
    const second = await answer<Record<string, unknown>>('personas', `${range()}&persona=2`);
    expect(new Set(second.map((r) => r.persona))).toEqual(new Set([2]));
    expect(second.slice(4).map((r) => [r.metric, r.difference])).toEqual([
      ['trait:bigFive.Openness', -20],
      ['trait:bigFive.Conscientiousness', 4],
    ]);
  });

  it('answers CSV on format=csv or Accept: text/csv', async () => {
    const url = `/v1/insights/daily?from=${date(D)}&to=${date(D + 1)}&persona=1`;
    const byParam = await t.call('GET', `${url}&format=csv`, dash.keys.production);
    expect(byParam.statusCode).toBe(200);
    expect(byParam.headers['content-type']).toMatch(/^text\/csv/);
    expect(byParam.body).toBe(
      `day,dau,new_players,revenue,paying_players,arpdau\n${date(D)},2,2,12.5,1,6.25\n${date(D + 1)},1,0,5,1,5\n`,
    );
    const byAccept = await t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${dash.keys.production}`, accept: 'text/csv' },
    });
    expect(byAccept.body).toBe(byParam.body);
    const cohorts = await t.call(
      'GET',
      `/v1/insights/retention?from=${date(D + 3)}&to=${date(D + 3)}&days=1,30&format=csv`,
      dash.keys.production,
    );
    expect(cohorts.body).toBe(`cohort,players,day_1,day_30\n${date(D + 3)},1,0,\n`);
  });

  it('gives the operator the same figures under /admin/v1', async () => {
    const res = await t.admin(
      'GET',
      `/dashboards/${dash.id}/insights/daily?from=${date(D)}&to=${date(D + 1)}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(column(res.json<{ days: DailyRow[] }>().days, 'dau')).toEqual([3, 3]);
    const sandbox = await t.admin(
      'GET',
      `/dashboards/${dash.id}/insights/retention?environment=sandbox&from=${date(D)}&to=${date(D)}&days=0`,
    );
    expect(sandbox.json()).toEqual({ cohorts: [{ cohort: date(D), players: 1, retention: { 0: 1 } }] });
    const missing = await t.admin('GET', `/dashboards/nope/insights/daily?from=${date(D)}&to=${date(D)}`);
    expect(missing.statusCode).toBe(404);
  });
});
