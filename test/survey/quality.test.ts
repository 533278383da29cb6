import { describe, expect, it } from 'vitest';
import { normal, simulateRespondents } from '../../bench/psychometrics/simulation.js';
import { seededRandom } from '../../src/domain/seeded-random.js';
import {
  carelessSignals,
  evenOddConsistency,
  isCareless,
  longString,
  type CarelessIndices,
} from '../../src/survey/careless.js';
import { ITEMS, SCALES } from '../../src/survey/item-bank.js';
import { mahalanobisDistance, mahalanobisReference } from '../../src/survey/mahalanobis.js';
import { cronbachAlpha, mcdonaldOmega, scaleReliability } from '../../src/survey/reliability.js';

const ORDER = ITEMS.map((i) => i.id);

/** Answers drawn uniformly from 1–5, seeded. */
function randomAnswers(seed: number): Map<string, number> {
  const random = seededRandom(seed);
  return new Map(ORDER.map((id) => [id, 1 + Math.floor(random() * 5)]));
}

describe('reliability', () => {
  it('is high on answers with a strong common factor, with an interval around it', () => {
    const random = seededRandom(1);
    const gauss = normal(random);
    const rows = Array.from({ length: 300 }, () => {
      const theta = gauss();
      return [0, 1, 2, 3].map(() => theta + 0.5 * gauss());
    });
    const { alpha, omega } = scaleReliability(rows, 200, 5);
    expect(alpha.value).toBeGreaterThan(0.85);
    expect(omega.value).toBeGreaterThan(0.85);
    expect(alpha.low).toBeLessThan(alpha.value);
    expect(alpha.high).toBeGreaterThan(alpha.value);
    expect(alpha.high - alpha.low).toBeLessThan(0.1);
    // Seeded: the same answers give the same interval.
    expect(scaleReliability(rows, 200, 5)).toEqual({ alpha, omega });
  });

  it('is near 0 on random answers, and the bootstrap interval of α covers 0', () => {
    const random = seededRandom(100);
    const rows = Array.from({ length: 300 }, () => [0, 1, 2, 3].map(() => 1 + Math.floor(random() * 5)));
    const { alpha, omega } = scaleReliability(rows, 300, 9);
    expect(Math.abs(alpha.value)).toBeLessThan(0.2);
    expect(alpha.low).toBeLessThan(0);
    expect(alpha.high).toBeGreaterThan(0);
    expect(omega.value).toBeLessThan(0.25);
    expect(omega.low).toBeLessThan(0.1);
  });

  it('computes α and ω by their formulas on a hand-checked case', () => {
    // Two identical items and their sum's variance: α = 2 × (1 − 2/4) = 1; ω of perfectly correlated items = 1.
    const rows = [
      [1, 1],
      [2, 2],
      [3, 3],
    ];
    expect(cronbachAlpha(rows)).toBeCloseTo(1, 10);
    expect(mcdonaldOmega(rows)).toBeCloseTo(1, 3);
    expect(Number.isNaN(cronbachAlpha([[1, 2]]))).toBe(true);
  });
});

describe('careless responding', () => {
  const careful = simulateRespondents({ respondents: 300, seed: 21, noise: 0.6 });
  const reference = mahalanobisReference(
    ORDER,
    careful.map((p) => ORDER.map((id) => p.answers.get(id)!)),
    100,
    3,
  )!;
  const indices = (answers: Map<string, number>, rushedPages = 0): CarelessIndices => ({
    longString: longString(ORDER, answers),
    evenOdd: evenOddConsistency(SCALES, answers),
    mahalanobis: mahalanobisDistance(reference, answers),
    rushedPages,
  });

  it('flags a straight-liner (long string) and a random responder (even–odd, Mahalanobis)', () => {
    const straight = indices(new Map(ORDER.map((id) => [id, 4])));
    expect(straight.longString).toBe(ORDER.length);
    // Each half holds a plain and a reversed statement: agreeing with all leaves no variance to correlate.
    expect(straight.evenOdd).toBeNull();
    expect(carelessSignals(straight, reference.fence)).toContain('long_string');

    const random = indices(randomAnswers(5));
    expect(random.evenOdd!).toBeLessThan(0.3);
    expect(random.mahalanobis!).toBeGreaterThan(reference.fence);
    expect(carelessSignals(random, reference.fence)).toEqual(['even_odd', 'mahalanobis']);
    expect(isCareless(carelessSignals(random, reference.fence))).toBe(true);
  });

  it('does not flag a careful responder, and one signal alone never disqualifies', () => {
    const person = simulateRespondents({ respondents: 1, seed: 99, noise: 0.6 })[0]!;
    const calm = indices(person.answers);
    expect(calm.longString).toBeLessThan(15);
    expect(calm.evenOdd!).toBeGreaterThan(0.3);
    expect(calm.mahalanobis!).toBeLessThan(reference.fence);
    expect(carelessSignals(calm, reference.fence)).toEqual([]);
    // The same careful answers, rushed: one signal, flagged but kept.
    const rushed = carelessSignals(indices(person.answers, 5), reference.fence);
    expect(rushed).toEqual(['speed']);
    expect(isCareless(rushed)).toBe(false);
    expect(isCareless(['long_string'])).toBe(false);
    expect(isCareless(['long_string', 'speed'])).toBe(true);
  });

  it('has no Mahalanobis reference below the minimum of complete surveys', () => {
    expect(mahalanobisReference(ORDER, [[1]], 100, 3)).toBeNull();
    const noReference = carelessSignals(
      { longString: 3, evenOdd: 0.9, mahalanobis: null, rushedPages: 0 },
      null,
    );
    expect(noReference).toEqual([]);
  });

  it('ends a run at a skipped statement', () => {
    const answers = new Map(ORDER.map((id) => [id, 3]));
    answers.set(ORDER[10]!, 0);
    expect(longString(ORDER, answers)).toBe(ORDER.length - 11);
  });
});
