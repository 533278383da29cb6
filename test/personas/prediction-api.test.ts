import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/seeded-random.js';
import { behaviourFeatures, FEATURE_NAMES } from '../../src/personas/behaviour-features.js';
import { sqlEventStore } from '../../src/events/sql/sql-event-store.js';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { behaviourOf, insertTraitScores, surveyedPlayers } from './factory.js';

interface Prediction {
  written: boolean;
  reason: string | null;
  beats_baseline: boolean;
  predicted: number;
  below_threshold: number;
  threshold: number;
  metrics: Record<string, { value: number; ci: [number, number]; baseline: number }> | null;
}
interface Segment {
  k: number;
  predicted: number;
  prediction: Prediction | null;
}

/**
 * Scored players of 3 trait clusters of unequal sizes (60 %, 27 %, 13 %: the largest persona is
 * the tempting default) and as many unscored players, whose behaviour follows `behaviourCluster`.
 */
async function scenario(
  t: TestApp,
  dash: TestDashboard,
  behaviourCluster: (trueCluster: number, random: () => number) => number,
) {
  const sizes = [90, 40, 20];
  const scored = surveyedPlayers(3, 90, 's', 5).filter(
    (p) => Number(p.userId.split('-')[2]) < sizes[p.cluster]!,
  );
  const unscored = sizes.flatMap((size, cluster) =>
    Array.from({ length: size }, (_, i) => ({ userId: `u-${cluster}-${i}`, cluster })),
  );
  await insertTraitScores(t.store.db, dash.id, 'production', scored);
  const random = seededRandom(11);
  const behaviour = [...scored, ...unscored].map((p) =>
    behaviourOf(p.userId, behaviourCluster(p.cluster, random), random),
  );
  const push = async (path: string, key: string, records: unknown[]) => {
    for (let i = 0; i < records.length; i += 1000) {
      const res = await t.call('POST', path, dash.keys.production, { [key]: records.slice(i, i + 1000) });
      expect(res.statusCode, res.body).toBe(201);
    }
  };
  await push(
    '/v1/logins',
    'users',
    behaviour.flatMap((b) => b.logins),
  );
  await push(
    '/v1/purchases',
    'purchases',
    behaviour.flatMap((b) => b.purchases),
  );
  await push(
    '/v1/social-dynamics',
    'social_dynamics',
    behaviour.flatMap((b) => b.social_dynamics),
  );
  await push(
    '/v1/virtual-purchases',
    'virtual_purchases',
    behaviour.flatMap((b) => b.virtual_purchases),
  );
  const res = await t.admin('POST', `/dashboards/${dash.id}/personas/recompute?environment=production`);
  expect(res.statusCode).toBe(200);
  const segment = res.json<{ environments: { segments: Segment[] }[] }>().environments[0]!.segments[0]!;
  return { segment, scored, unscored };
}

/** Persona number → the true cluster most of its scored members come from. */
async function clusterOfPersona(t: TestApp, dash: TestDashboard) {
  const map = new Map<number, number>();
  for (const [cluster, id] of [
    [0, 's-0-0'],
    [1, 's-1-0'],
    [2, 's-2-0'],
  ] as const) {
    const res = await t.admin('GET', `/dashboards/${dash.id}/players/${id}/traits`);
    map.set(res.json<{ personas: { persona: number }[] }>().personas[0]!.persona, cluster);
  }
  return map;
}

describe.each(EVENT_BACKENDS)('honest predicted personas on %s', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  const personaIds = async (dash: TestDashboard, persona: number | 'all') => {
    const res = await t.call(
      'GET',
      `/v1/segments/default/personas/${persona}/user-ids`,
      dash.keys.production,
    );
    return res.statusCode === 200 ? res.json<{ data: { ids: string[] } }>().data.ids : [];
  };

  it('behaviour unrelated to personas: at most 10 % of unscored players get a persona', async () => {
    const dash = await t.createDashboard('Unrelated behaviour');
    const { segment, unscored } = await scenario(t, dash, (_, random) => Math.floor(random() * 3));
    expect(segment.k).toBe(3);
    expect(segment.prediction!.written).toBe(false);
    expect(segment.prediction!.reason).toMatch(/does not predict the persona with confidence/);
    expect(segment.prediction!.metrics!.balanced_accuracy!.baseline).toBeCloseTo(1 / 3, 3);
    expect(segment.predicted / unscored.length).toBeLessThanOrEqual(0.1);
    const assigned = new Set<string>();
    for (const persona of [1, 2, 3]) for (const id of await personaIds(dash, persona)) assigned.add(id);
    expect(unscored.filter((p) => assigned.has(p.userId)).length / unscored.length).toBeLessThanOrEqual(0.1);
    // They are still members of the segment.
    const all = new Set(await personaIds(dash, 'all'));
    expect(unscored.every((p) => all.has(p.userId))).toBe(true);
    const traits = await t.admin('GET', `/dashboards/${dash.id}/players/u-0-3/traits`);
    expect(traits.json()).toMatchObject({ surveyed: false, personas: [] });
  });

  it('behaviour carrying the persona: ≥ 50 % of unscored players predicted, ≥ 80 % of them right', async () => {
    const dash = await t.createDashboard('Telling behaviour');
    const { segment, unscored } = await scenario(t, dash, (cluster) => cluster);
    expect(segment.k).toBe(3);
    const prediction = segment.prediction!;
    expect(prediction).toMatchObject({ written: true, reason: null, beats_baseline: true });
    const m = prediction.metrics!;
    expect(m.balanced_accuracy!.ci[0]).toBeGreaterThan(m.balanced_accuracy!.baseline);
    expect(m.log_loss!.value).toBeLessThan(m.log_loss!.baseline);
    const clusterOf = await clusterOfPersona(t, dash);
    const truth = new Map(unscored.map((p) => [p.userId, p.cluster]));
    let predicted = 0;
    let right = 0;
    for (const persona of [1, 2, 3]) {
      for (const id of await personaIds(dash, persona)) {
        if (!truth.has(id)) continue;
        predicted++;
        if (truth.get(id) === clusterOf.get(persona)) right++;
      }
    }
    expect(predicted).toBe(prediction.predicted);
    expect(predicted / unscored.length).toBeGreaterThanOrEqual(0.5);
    expect(right / predicted).toBeGreaterThanOrEqual(0.8);
  });

  it.skipIf(backend === 'clickhouse')(
    'features are rates per day played: the same habits over 4 or 40 days look alike (reads the SQL event tables: not on clickhouse)',
    async () => {
      const dash = await t.createDashboard('Tenure');
      const logins = (userId: string, days: number) =>
        Array.from({ length: days * 2 }, (_, i) => ({
          timestamp: Date.UTC(2025, 0, 1) / 1000 + Math.floor(i / 2) * 86_400 + (i % 2) * 3_600,
          user_id: userId,
        }));
      const res = await t.call('POST', '/v1/logins', dash.keys.production, {
        users: [...logins('newcomer', 4), ...logins('veteran', 40)],
      });
      expect(res.statusCode, res.body).toBe(201);
      const features = await behaviourFeatures(sqlEventStore(t.store), {
        dashboardId: dash.id,
        environment: 'production',
      });
      const at = FEATURE_NAMES.indexOf('log_logins_per_day');
      const newcomer = features.get('newcomer')!;
      const veteran = features.get('veteran')!;
      expect(newcomer[at]).toBeCloseTo(veteran[at]!, 1);
      expect(veteran[FEATURE_NAMES.indexOf('log_days_played')]).toBeGreaterThan(
        newcomer[FEATURE_NAMES.indexOf('log_days_played')]! + 2,
      );
    },
  );
});
