import type { Kysely } from 'kysely';
import { seededRandom } from '../../src/domain/seeded-random.js';
import { TRAIT_DIMENSIONS, traitScoresOf } from '../../src/personas/trait-vector.js';
import type { Database } from '../../src/store/database.js';
import type { TraitScores } from '../../src/survey/trait-catalogue.js';

/** Cluster centres far apart in trait space: centre c scores high on its own band of traits. */
export function clusterCentres(k: number): number[][] {
  return Array.from({ length: k }, (_, c) =>
    Array.from({ length: TRAIT_DIMENSIONS }, (_, j) => (j % k === c ? 80 : 30)),
  );
}

/** A player's scores near a centre (uniform noise of ±spread points, clamped to 0–100). */
export function scoresNear(centre: readonly number[], random: () => number, spread = 8): TraitScores {
  return traitScoresOf(centre.map((x) => Math.min(100, Math.max(0, x + (random() * 2 - 1) * spread))));
}

export interface SurveyedPlayer {
  userId: string;
  cluster: number;
  scores: TraitScores;
}

/** `perCluster` surveyed players around each of k centres, user ids `${prefix}-<cluster>-<i>`. */
export function surveyedPlayers(k: number, perCluster: number, prefix: string, seed = 1): SurveyedPlayer[] {
  const random = seededRandom(seed);
  const centres = clusterCentres(k);
  return centres.flatMap((centre, cluster) =>
    Array.from({ length: perCluster }, (_, i) => ({
      userId: `${prefix}-${cluster}-${i}`,
      cluster,
      scores: scoresNear(centre, random),
    })),
  );
}

/** Stores completed surveys directly, as the survey would (its own branch writes this table). */
export async function insertTraitScores(
  db: Kysely<Database>,
  dashboardId: string,
  environment: 'production' | 'sandbox',
  players: readonly { userId: string; scores: TraitScores }[],
  completedAt = Date.UTC(2026, 0, 1),
): Promise<void> {
  for (let i = 0; i < players.length; i += 500) {
    await db
      .insertInto('trait_scores')
      .values(
        players.slice(i, i + 500).map((p) => ({
          dashboard_id: dashboardId,
          environment,
          user_id: p.userId,
          scores: JSON.stringify(p.scores),
          completed_at: completedAt,
        })),
      )
      .execute();
  }
}

/**
 * Behaviour that depends on the cluster: cluster 0 logs in often and pays, cluster 1 plays
 * little and socialises, cluster 2 levels fast and buys with virtual currency. Bodies for the
 * /v1 push endpoints.
 */
export function behaviourOf(userId: string, cluster: number, random: () => number) {
  const jitter = (n: number) => Math.max(0, Math.round(n * (0.6 + random() * 0.8)));
  const day = (d: number) => `2026-01-${String(1 + (d % 28)).padStart(2, '0')} 12:00:00`;
  const logins = jitter([20, 3, 8][cluster % 3]!);
  const purchases = jitter([5, 0, 0][cluster % 3]!);
  const social = jitter([1, 12, 2][cluster % 3]!);
  const virtual = jitter([0, 1, 10][cluster % 3]!);
  const level = jitter([10, 3, 40][cluster % 3]!);
  return {
    logins: Array.from({ length: Math.max(1, logins) }, (_, i) => ({
      timestamp: day(i),
      user_id: userId,
      level,
      country: ['US', 'FR', 'DE'][cluster % 3],
      platform: ['Steam', 'Apple', 'Android'][cluster % 3],
      language: ['en-US', 'fr-FR', 'de-DE'][cluster % 3],
      register_date: ['2025-01-10', '2025-06-01', '2025-12-01'][cluster % 3],
    })),
    purchases: Array.from({ length: purchases }, (_, i) => ({
      timestamp: day(i),
      user_id: userId,
      item_id: 'gems',
      count: 1,
      price: 10,
    })),
    social_dynamics: Array.from({ length: social }, (_, i) => ({
      timestamp: day(i),
      user_id: userId,
      target_user_id: `friend-${i}`,
      interaction: 'message_sent',
    })),
    virtual_purchases: Array.from({ length: virtual }, (_, i) => ({
      timestamp: day(i),
      user_id: userId,
      item_id: 'sword',
      count: 1,
      virtual_price: 100,
      currency: 'gold',
    })),
  };
}
