import { expect } from 'vitest';
import type { TestApp, TestDashboard } from '../support/test-app.js';

/**
 * The Insights page's small fixture, its figures computed by hand. D = today − 10 (UTC), so the
 * default range (the last 30 days) holds it and day-N retention past D + N = today is unknown.
 *
 * | player | persona (default segment) | records                                 | install |
 * | alice  | 1                         | D login; D+1 login + purchase 5         | D       |
 * | bob    | 1                         | D login + purchase 10                   | D       |
 * | dave   | 2                         | D login; D+1 login                      | D       |
 * | erin   | none                      | D+1 login + purchase 20                 | D+1     |
 * | frank  | (sandbox)                 | D login + purchase 700                  |         |
 * | oscar  | (the other dashboard)     | D login + purchase 999                  |         |
 *
 * DAU by persona: D P1 2, P2 1, none 0; D+1 P1 1, P2 1, none 1. Revenue P1 15, P2 0, none 20;
 * player-days P1 3, P2 2, none 1, so ARPDAU 5, 0, 20. Retention (cohorts of the range): P1 D0 1,
 * D1 ½, D2…D10 0; P2 D0 1, D1 1; none (erin, cohort D+1) D0 1, D1…D9 0, D10 unknown; all D1 2/4.
 * Segment "payers" ({payer: true}: alice, bob, erin) has no personas: everyone there is "No persona".
 * Traits: persona 1 (2 surveyed) curiosity 80, persona 2 (1 surveyed) 20: segment mean 60.
 */
export const DAY_MS = 86_400_000;
export const today = Math.floor(Date.now() / DAY_MS);
export const D = today - 10;
export const date = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const at = (day: number, hour = 12) => `${date(day)} ${String(hour).padStart(2, '0')}:00:00`;

export async function seedInsights(
  t: TestApp,
  dash: TestDashboard,
  other: TestDashboard,
): Promise<{ payers: string }> {
  const push = async (key: string, path: string, field: string, records: unknown[]) => {
    const res = await t.call('POST', path, key, { [field]: records });
    expect(res.statusCode, res.body).toBe(201);
  };
  const key = dash.keys.production;
  await push(key, '/v1/logins', 'users', [
    { user_id: 'alice', timestamp: at(D) },
    { user_id: 'alice', timestamp: at(D + 1) },
    { user_id: 'bob', timestamp: at(D) },
    { user_id: 'dave', timestamp: at(D) },
    { user_id: 'dave', timestamp: at(D + 1) },
    { user_id: 'erin', timestamp: at(D + 1) },
  ]);
  await push(key, '/v1/purchases', 'purchases', [
    { user_id: 'alice', timestamp: at(D + 1, 13), item_id: 'gem', count: 1, price: 5 },
    { user_id: 'bob', timestamp: at(D, 13), item_id: 'gem', count: 2, price: 10 },
    { user_id: 'erin', timestamp: at(D + 1, 13), item_id: 'chest', count: 1, price: 20 },
  ]);
  await push(dash.keys.sandbox, '/v1/logins', 'users', [{ user_id: 'frank', timestamp: at(D) }]);
  await push(dash.keys.sandbox, '/v1/purchases', 'purchases', [
    { user_id: 'frank', timestamp: at(D, 13), item_id: 'gem', count: 1, price: 700 },
  ]);
  await push(other.keys.production, '/v1/logins', 'users', [{ user_id: 'oscar', timestamp: at(D) }]);
  await push(other.keys.production, '/v1/purchases', 'purchases', [
    { user_id: 'oscar', timestamp: at(D, 13), item_id: 'gem', count: 1, price: 999 },
  ]);
  // Personas as a recompute would leave them.
  const scope = { dashboard_id: dash.id, environment: 'production' as const, segment_id: 'default' };
  await t.store.db
    .insertInto('personas')
    .values(
      (
        [
          [1, 80, 2],
          [2, 20, 1],
        ] as const
      ).map(([persona, curiosity, surveyed]) => ({
        ...scope,
        persona,
        centroid: '[]',
        trait_means: JSON.stringify({ openness: { curiosity } }),
        surveyed,
        predicted: 0,
      })),
    )
    .execute();
  await t.store.db
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
    .execute();
  // Written as the segments API would, without the persona recompute it schedules: with no
  // surveyed player, that recompute would replace the personas above with none.
  const payers = 'seg_payers';
  await t.store.db
    .insertInto('segments')
    .values({
      id: payers,
      dashboard_id: dash.id,
      name: 'payers',
      filter: JSON.stringify({ payer: true }),
      created_at: Date.now(),
    })
    .execute();
  for (const [id, environment] of [
    [dash.id, 'production'],
    [dash.id, 'sandbox'],
    [other.id, 'production'],
  ] as const) {
    const res = await t.admin('POST', `/dashboards/${id}/insights/refresh?environment=${environment}`);
    expect(res.statusCode, res.body).toBe(200);
  }
  return { payers };
}

/** A chart's values by `series|x` (bars without an x: by series), from its `data-*` attributes. */
export function chartValues(body: string, chartId: string): Record<string, number> {
  const figure = new RegExp(`<figure class="chart" id="${chartId}">(.*?)</figure>`, 's').exec(body)?.[1];
  expect(figure, chartId).toBeDefined();
  const values: Record<string, number> = {};
  for (const m of figure!.matchAll(
    /<(?:rect|circle)[^>]*?data-series="([^"]*)"(?:[^>]*?data-x="([^"]*)")?[^>]*?data-value="([^"]*)"/g,
  ))
    values[m[2] === undefined ? m[1]! : `${m[1]}|${m[2]}`] = Number(m[3]);
  return values;
}
