import { describe, expect, it } from 'vitest';
import { CLUSTERING_DEFAULTS, clusterPoints } from '../../src/personas/clustering.js';
import { numberPersonas } from '../../src/personas/numbering.js';
import { predictPersona, trainPredictor } from '../../src/personas/predictor.js';
import { seededRandom } from '../../src/domain/seeded-random.js';
import {
  TRAIT_DIMENSIONS,
  TRAIT_VECTOR,
  traitScoresOf,
  writeTraitVector,
} from '../../src/personas/trait-vector.js';
import { TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';
import { clusterCentres, surveyedPlayers } from './factory.js';

function matrix(players: ReturnType<typeof surveyedPlayers>): Float32Array {
  const data = new Float32Array(players.length * TRAIT_DIMENSIONS);
  players.forEach((p, i) => {
    writeTraitVector(p.scores, data, i * TRAIT_DIMENSIONS);
  });
  return data;
}

/** Every true cluster lands in exactly one found cluster, and no found cluster mixes two. */
function recovered(truth: readonly number[], labels: ArrayLike<number>): boolean {
  const map = new Map<number, number>();
  const reverse = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const l = labels[i]!;
    if ((map.get(t) ?? l) !== l || (reverse.get(l) ?? t) !== t) return false;
    map.set(t, l);
    reverse.set(l, t);
  }
  return true;
}

describe('trait vectors', () => {
  it('count the traits shared by coreMotivations and wellBeing once', () => {
    const listed = Object.values(TRAIT_CATEGORIES).flat().length;
    expect(TRAIT_DIMENSIONS).toBe(listed - 3);
    expect(new Set(TRAIT_VECTOR).size).toBe(TRAIT_VECTOR.length);
  });

  it('round-trip through the documented shape', () => {
    const vector = TRAIT_VECTOR.map((_, i) => i);
    const scores = traitScoresOf(vector);
    expect(Object.keys(scores)).toEqual(Object.keys(TRAIT_CATEGORIES));
    expect(scores.wellBeing.Autonomy).toBe(scores.coreMotivations.Autonomy);
    const out = new Float32Array(TRAIT_DIMENSIONS);
    writeTraitVector(scores, out, 0);
    expect(Array.from(out)).toEqual(vector);
  });
});

describe('clustering', () => {
  it.each([2, 3, 4, 5])('finds k = %i well-separated clusters and recovers them', async (k) => {
    const players = surveyedPlayers(k, 40, 'p', k);
    const result = await clusterPoints(matrix(players), players.length, TRAIT_DIMENSIONS);
    expect(result.k).toBe(k);
    expect(
      recovered(
        players.map((p) => p.cluster),
        result.labels,
      ),
    ).toBe(true);
    expect(result.sizes.sort()).toEqual(new Array(k).fill(40));
    expect(result.silhouette).toBeGreaterThan(0.5);
  });

  it('is deterministic', async () => {
    const players = surveyedPlayers(3, 30, 'p', 9);
    const a = await clusterPoints(matrix(players), players.length, TRAIT_DIMENSIONS);
    const b = await clusterPoints(matrix(players), players.length, TRAIT_DIMENSIONS);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  });

  it('fits a sample and assigns everyone when there are more players than the sample', async () => {
    const players = surveyedPlayers(3, 400, 'p', 4);
    const options = { ...CLUSTERING_DEFAULTS, fitSample: 300, silhouetteSample: 100 };
    const result = await clusterPoints(matrix(players), players.length, TRAIT_DIMENSIONS, options);
    expect(result.k).toBe(3);
    expect(
      recovered(
        players.map((p) => p.cluster),
        result.labels,
      ),
    ).toBe(true);
  });

  it('makes one persona of fewer than 10 players, and none of nobody', async () => {
    const players = surveyedPlayers(3, 3, 'p');
    const result = await clusterPoints(matrix(players), players.length, TRAIT_DIMENSIONS);
    expect(result.k).toBe(1);
    expect(result.sizes).toEqual([9]);
    expect((await clusterPoints(new Float32Array(0), 0, TRAIT_DIMENSIONS)).k).toBe(0);
  });

  it('refuses a k whose smallest cluster is under the minimum share', async () => {
    // 3 big clusters and a 2-player one (1% of the players): the tiny group is not a persona.
    const big = surveyedPlayers(3, 66, 'p', 3);
    const centres = clusterCentres(4);
    const random = seededRandom(5);
    const tiny = Array.from({ length: 2 }, (_, i) => ({
      userId: `t-${i}`,
      cluster: 3,
      scores: traitScoresOf(centres[3]!.map((x) => x + random())),
    }));
    const result = await clusterPoints(matrix([...big, ...tiny]), 200, TRAIT_DIMENSIONS);
    expect(result.tried.find((t) => t.k === 4)?.silhouette ?? null).toBeNull();
    expect(result.k).toBe(3);
  });
});

describe('persona numbering', () => {
  const a: number[] = new Array<number>(4).fill(10);
  const b: number[] = new Array<number>(4).fill(50);
  const c: number[] = new Array<number>(4).fill(90);

  it('numbers by size, largest first, on the first compute', () => {
    expect(numberPersonas([a, b, c], [5, 20, 10], [], 0)).toEqual({ numbers: [3, 1, 2], lastNumber: 3 });
  });

  it('keeps numbers of clusters that persist, whatever their order and size now', () => {
    const previous = [
      { persona: 1, centroid: b },
      { persona: 2, centroid: c },
      { persona: 3, centroid: a },
    ];
    const moved = (v: number[], by: number) => v.map((x) => x + by);
    expect(numberPersonas([moved(c, 2), moved(a, -3), moved(b, 1)], [1, 50, 3], previous, 3).numbers).toEqual(
      [2, 3, 1],
    );
  });

  it('gives a new cluster a number never used before, and leaves a vanished number unused', () => {
    const previous = [
      { persona: 1, centroid: a },
      { persona: 2, centroid: b },
    ];
    const d: number[] = new Array<number>(4).fill(70);
    // b vanished, d appeared: d does not inherit 2 (too far), it gets 4 (3 was used once before).
    expect(numberPersonas([a, c, d], [10, 8, 5], previous, 3)).toEqual({ numbers: [1, 4, 5], lastNumber: 5 });
  });
});

describe('persona prediction', () => {
  it('beats the majority class when behaviour follows the persona', () => {
    const random = seededRandom(3);
    const features: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 600; i++) {
      const persona = 1 + (i % 3);
      labels.push(persona);
      features.push([persona * 2 + random(), random() * 3, persona === 2 ? 1 : 0]);
    }
    const predictor = trainPredictor(features.slice(0, 450), labels.slice(0, 450));
    let right = 0;
    for (let i = 450; i < 600; i++) if (predictPersona(predictor, features[i]!) === labels[i]) right++;
    expect(right / 150).toBeGreaterThan(0.9);
  });

  it('predicts the only persona when there is one', () => {
    const predictor = trainPredictor([[1], [2]], [4, 4]);
    expect(predictPersona(predictor, [9])).toBe(4);
  });
});
