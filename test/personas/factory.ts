import type { Kysely } from 'kysely';
import { seededNormal, seededRandom } from '../../src/domain/seeded-random.js';
import {
  CONSTRUCTS,
  TRAIT_DIMENSIONS,
  TRAIT_VECTOR,
  traitScoresOf,
} from '../../src/personas/trait-vector.js';
import type { Database } from '../../src/store/database.js';
import {
  CATEGORY_NAMES,
  MEASURED_CONSTRUCTS,
  TRAIT_CATEGORIES,
  type TraitScores,
} from '../../src/survey/trait-catalogue.js';

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

/** The category of a construct (of its first reported name): its factor in `correlatedPlayers`. */
const CONSTRUCT_FACTOR = MEASURED_CONSTRUCTS.map((construct) =>
  CATEGORY_NAMES.indexOf(construct.reportedAs[0]!.category),
);
const DOMAINS = [
  ['Agreeableness', 'agreeableness'],
  ['Conscientiousness', 'conscientiousness'],
  ['Extraversion', 'extraversion'],
  ['Neuroticism', 'neuroticism'],
  ['Openness', 'openness'],
] as const;

export interface ProfiledPlayer extends SurveyedPlayer {
  /** The player's construct scores in z units (before the 0–100 scale). */
  z: number[];
}

/**
 * Players with realistically correlated traits: every construct loads 0.3 on a general factor
 * and 0.6 on its category's factor (correlation ≈ 0.45 within a category, 0.09 across), scores
 * 50 + 15·z clamped to 0–100, the five personality domains as the means of their facets, as the
 * survey reports them. `profiles` true personas (0: none, one Gaussian) each sit `offset`
 * within-profile SDs above or below the mean on every construct (signs drawn per profile and
 * construct, so two profiles differ by 2·offset on about half the constructs). Players are
 * spread over the profiles in turn.
 */
export function correlatedPlayers(
  count: number,
  options: { profiles?: number; offset?: number; prefix?: string; seed?: number } = {},
): ProfiledPlayer[] {
  const { profiles = 0, offset = 0.5, prefix = 'c', seed = 1 } = options;
  const normal = seededNormal(seed);
  const coin = seededRandom(seed + 1000);
  const d = CONSTRUCTS.length;
  const offsets = Array.from({ length: Math.max(1, profiles) }, () =>
    Array.from({ length: d }, () => (profiles > 0 ? (coin() < 0.5 ? -1 : 1) * offset : 0)),
  );
  const factorCount = CATEGORY_NAMES.length;
  const traitIndex = new Map(TRAIT_VECTOR.map((trait, i) => [trait, i]));
  return Array.from({ length: count }, (_, i) => {
    const cluster = profiles > 0 ? i % profiles : 0;
    const general = normal();
    const factors = Array.from({ length: factorCount }, () => normal());
    const z = CONSTRUCTS.map(
      (_, j) =>
        offsets[cluster]![j]! +
        0.3 * general +
        0.6 * factors[CONSTRUCT_FACTOR[j]!]! +
        Math.sqrt(1 - 0.09 - 0.36) * normal(),
    );
    const vector = new Array<number>(TRAIT_DIMENSIONS).fill(50);
    MEASURED_CONSTRUCTS.forEach((construct, j) => {
      const score = Math.min(100, Math.max(0, 50 + 15 * z[j]!));
      for (const { trait, reversed } of construct.reportedAs)
        vector[traitIndex.get(trait)!] = reversed ? 100 - score : score;
    });
    for (const [domain, category] of DOMAINS) {
      const facets = TRAIT_CATEGORIES[category];
      vector[traitIndex.get(domain)!] =
        facets.reduce((sum, facet) => sum + vector[traitIndex.get(facet)!]!, 0) / facets.length;
    }
    return { userId: `${prefix}-${cluster}-${i}`, cluster, z, scores: traitScoresOf(vector) };
  });
}

/** Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same players. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const columns = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]} ${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i]!, (rows.get(a[i]!) ?? 0) + 1);
    columns.set(b[i]!, (columns.get(b[i]!) ?? 0) + 1);
  }
  const pairs = (x: number) => (x * (x - 1)) / 2;
  const sum = (values: Iterable<number>) => [...values].reduce((s, x) => s + pairs(x), 0);
  const index = sum(table.values());
  const rowPairs = sum(rows.values());
  const columnPairs = sum(columns.values());
  const expected = (rowPairs * columnPairs) / pairs(n);
  const max = (rowPairs + columnPairs) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
