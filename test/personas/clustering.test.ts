import { describe, expect, it } from 'vitest';
import {
  CLUSTERING_DEFAULTS,
  clusterPlayers,
  type ClusteringOptions,
} from '../../src/personas/clustering.js';
import { numberPersonas } from '../../src/personas/numbering.js';
import { predictPersona, trainPredictor } from '../../src/personas/predictor.js';
import { seededRandom } from '../../src/domain/seeded-random.js';
import {
  CONSTRUCT_DIMENSIONS,
  CONSTRUCTS,
  TRAIT_DIMENSIONS,
  TRAIT_VECTOR,
  traitScoresOf,
  writeConstructVector,
  writeTraitVector,
} from '../../src/personas/trait-vector.js';
import { MEASURED_CONSTRUCTS, TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';
import { adjustedRandIndex, clusterCentres, surveyedPlayers } from './factory.js';

function matrix(players: readonly { scores: unknown }[]): Float32Array {
  const data = new Float32Array(players.length * TRAIT_DIMENSIONS);
  players.forEach((p, i) => {
    writeTraitVector(p.scores, data, i * TRAIT_DIMENSIONS);
  });
  return data;
}

/** Clusters stored score vectors on their construct coordinates, as the persona service does. */
function cluster(players: readonly { scores: unknown }[], options?: ClusteringOptions) {
  const vectors = matrix(players);
  return clusterPlayers(
    (i, out, offset) => {
      writeConstructVector(vectors, i * TRAIT_DIMENSIONS, out, offset);
    },
    players.length,
    CONSTRUCT_DIMENSIONS,
    options,
  );
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

  it('model on the measured constructs: no domain mean, each name once, each the mean of its names', () => {
    const names = MEASURED_CONSTRUCTS.flatMap((construct) => construct.reportedAs);
    for (const domain of TRAIT_CATEGORIES.personality)
      expect(names.map((n) => n.trait)).not.toContain(domain);
    const keys = names.map((n) => `${n.category}.${n.trait}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(CONSTRUCT_DIMENSIONS).toBe(MEASURED_CONSTRUCTS.length);
    expect(CONSTRUCTS).toEqual(MEASURED_CONSTRUCTS.map((construct) => construct.code));
    const vector = Float32Array.from(TRAIT_VECTOR, (_, i) => (i * 7) % 101);
    const out = new Float64Array(CONSTRUCT_DIMENSIONS);
    writeConstructVector(vector, 0, out, 0);
    MEASURED_CONSTRUCTS.forEach((construct, c) => {
      const values = construct.reportedAs.map(({ trait, reversed }) => {
        const value = vector[TRAIT_VECTOR.indexOf(trait)]!;
        return reversed ? 100 - value : value;
      });
      expect(out[c]).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
    });
  });
});

describe('model-based personas', () => {
  it.each([2, 3, 4, 5])('find k = %i well-separated personas and recover them', async (k) => {
    const players = surveyedPlayers(k, 40, 'p', k);
    const result = await cluster(players);
    expect(result.k).toBe(k);
    expect(result.distinct).toBe(true);
    expect(
      adjustedRandIndex(
        players.map((p) => p.cluster),
        result.labels,
      ),
    ).toBe(1);
    expect([...result.sizes].sort()).toEqual(new Array(k).fill(40));
    expect(result.evidence).toMatchObject({ best_k: k, null_check: { passed: true, k } });
    expect(result.evidence!.candidates.map((c) => c.k)[0]).toBe(1);
  });

  it('give every player membership probabilities: they sum to 1, the label is the most probable', async () => {
    const players = surveyedPlayers(3, 30, 'p', 9);
    const result = await cluster(players);
    for (let i = 0; i < players.length; i++) {
      const row = Array.from(result.probabilities.subarray(i * result.k, (i + 1) * result.k));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row.indexOf(Math.max(...row))).toBe(result.labels[i]);
    }
    result.expected.forEach((expected, c) => {
      expect(expected).toBeCloseTo(result.sizes[c]!, 0);
    });
  });

  it('are deterministic', async () => {
    const players = surveyedPlayers(3, 30, 'p', 9);
    const a = await cluster(players);
    const b = await cluster(players);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(a.evidence).toEqual(b.evidence);
  });

  it('fit a sample and score everyone when there are more players than the sample', async () => {
    const players = surveyedPlayers(3, 400, 'p', 4);
    const result = await cluster(players, { ...CLUSTERING_DEFAULTS, fitSample: 300 });
    expect(result.k).toBe(3);
    expect(result.evidence!.fitted_on).toBe(300);
    expect(result.labels).toHaveLength(1200);
    expect(
      adjustedRandIndex(
        players.map((p) => p.cluster),
        result.labels,
      ),
    ).toBe(1);
  });

  it('make one persona of fewer than 10 players, and none of nobody', async () => {
    const players = surveyedPlayers(3, 3, 'p');
    const result = await cluster(players);
    expect(result).toMatchObject({ k: 1, distinct: false, sizes: [9], expected: [9], evidence: null });
    const none = await clusterPlayers(() => undefined, 0, CONSTRUCT_DIMENSIONS);
    expect(none.k).toBe(0);
  });

  it('refuse a k whose smallest persona is under the minimum share', async () => {
    // 3 big clusters and a 2-player one (1% of the players): the tiny group is not a persona.
    const big = surveyedPlayers(3, 66, 'p', 3);
    const centres = clusterCentres(4);
    const random = seededRandom(5);
    const tiny = Array.from({ length: 2 }, () => ({
      scores: traitScoresOf(centres[3]!.map((x) => x + random())),
    }));
    const result = await cluster([...big, ...tiny]);
    expect(result.k).toBe(3);
    const refused = result.evidence!.candidates.filter((c) => c.refused !== null);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.refused).toMatch(/a persona would hold .*% of the players/);
  });

  it('refuse personas that blur (classification entropy under the minimum): one persona', async () => {
    const players = surveyedPlayers(2, 40, 'p', 2);
    const result = await cluster(players, { ...CLUSTERING_DEFAULTS, minEntropy: 1.01 });
    expect(result).toMatchObject({ k: 1, distinct: false });
    expect(result.evidence!.candidates[1]!.refused).toMatch(/classification entropy .* is under 1.01/);
    expect(result.evidence!.conclusion).toMatch(/^one persona/);
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
