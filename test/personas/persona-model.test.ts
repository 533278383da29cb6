import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { adjustedRandIndex, correlatedPlayers, insertTraitScores, type ProfiledPlayer } from './factory.js';

/**
 * Issue 12 acceptance: players of known structure through the real recompute (service, store,
 * admin API). Players with one Gaussian of correlated traits have no personas; four profiles
 * half a standard deviation from the mean on every measured construct are four personas.
 */
interface Summary {
  k: number;
  distinct_personas: boolean;
  surveyed: number;
  evidence: {
    best_k: number;
    candidates: { k: number; bic: number; refused: string | null }[];
    null_check: { passed: boolean; observed: number; null_max: number; replicates: number } | null;
    entropy: number | null;
    conclusion: string;
  } | null;
  personas: { persona: number; size: number; surveyed: number; surveyed_expected: number }[];
}

const SLOW = 600_000;

describe.each(BACKENDS)('model-based personas on %s', (backend) => {
  let t: TestApp;

  const recompute = async (dashboardId: string) => {
    const res = await t.admin('POST', `/dashboards/${dashboardId}/personas/recompute?environment=production`);
    expect(res.statusCode).toBe(200);
    return res.json<{ environments: { segments: Summary[] }[] }>().environments[0]!.segments[0]!;
  };
  const memberships = async (dashboardId: string) => {
    const rows = await t.store.db
      .selectFrom('persona_members')
      .select(['user_id', 'persona', 'probabilities'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', 'production')
      .where('segment_id', '=', 'default')
      .execute();
    return new Map(rows.map((r) => [r.user_id, r]));
  };
  const withScores = async (players: readonly ProfiledPlayer[]) => {
    const dash = await t.createDashboard('Model');
    await insertTraitScores(t.store.db, dash.id, 'production', players);
    return dash.id;
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([1200, 20])(
    'no structure (one Gaussian of correlated traits), %i players: one persona, distinct_personas false',
    async (count) => {
      const id = await withScores(correlatedPlayers(count, { seed: count }));
      const summary = await recompute(id);
      expect(summary).toMatchObject({ k: 1, distinct_personas: false, surveyed: count });
      expect(summary.personas).toEqual([
        { persona: 1, size: count, surveyed: count, surveyed_expected: count, predicted: 0 },
      ]);
      expect(summary.evidence!.best_k).toBe(1);
      expect(summary.evidence!.candidates[0]!.k).toBe(1);
      expect(summary.evidence!.conclusion).toMatch(/^one persona/);
      const rows = await memberships(id);
      expect(rows.size).toBe(count);
      expect(JSON.parse([...rows.values()][0]!.probabilities!)).toEqual({ 1: 1 });
    },
    SLOW,
  );

  it(
    'four profiles 0.5 SD from the mean per construct: k = 4, ARI ≥ 0.90; 5% new players keep ≥ 95% of numbers',
    async () => {
      // The last 5% arrive after the first recompute.
      const everyone = correlatedPlayers(1260, { profiles: 4, offset: 0.5, seed: 5, prefix: 'f' });
      const players = everyone.slice(0, 1200);
      const id = await withScores(players);
      const summary = await recompute(id);
      expect(summary).toMatchObject({ k: 4, distinct_personas: true });
      expect(summary.evidence!.null_check).toMatchObject({ passed: true, replicates: 19 });
      expect(summary.evidence!.entropy).toBeGreaterThan(0.9);
      const before = await memberships(id);
      const ari = adjustedRandIndex(
        players.map((p) => p.cluster),
        players.map((p) => before.get(p.userId)!.persona),
      );
      expect(ari).toBeGreaterThanOrEqual(0.9);
      // Expected sizes (sums of probabilities) beside the assigned ones: crisp personas, close.
      for (const p of summary.personas) expect(Math.abs(p.surveyed_expected - p.surveyed)).toBeLessThan(30);

      // The probabilities a player gets: one per persona, summing to 1, largest for their persona.
      const res = await t.admin('GET', `/dashboards/${id}/players/${players[7]!.userId}/traits`);
      const membership = res.json<{
        personas: { persona: number; probabilities: Record<string, number> }[];
      }>().personas[0]!;
      const probabilities = Object.entries(membership.probabilities);
      expect(probabilities.reduce((sum, [, p]) => sum + p, 0)).toBeCloseTo(1, 3);
      expect(Number(probabilities.sort((a, b) => b[1] - a[1])[0]![0])).toBe(membership.persona);

      await insertTraitScores(t.store.db, id, 'production', everyone.slice(1200));
      expect((await recompute(id)).k).toBe(4);
      const after = await memberships(id);
      const kept = players.filter((p) => after.get(p.userId)!.persona === before.get(p.userId)!.persona);
      expect(kept.length / players.length).toBeGreaterThanOrEqual(0.95);
    },
    SLOW,
  );
});
