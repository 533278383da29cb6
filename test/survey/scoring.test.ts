import { describe, expect, it } from 'vitest';
import { SCALES } from '../../src/survey/item-bank.js';
import { keyedValue, missingItems, scoreAnswers, scoreFromKeyed } from '../../src/survey/scoring.js';
import { TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';

/** Every item answered `value`, then the given answers on top. */
function answers(value: number, overrides: Record<string, number> = {}): Map<string, number> {
  const map = new Map(SCALES.flatMap((s) => s.items.map((i) => [i.id, value] as const)));
  for (const [id, v] of Object.entries(overrides)) map.set(id, v);
  return map;
}

describe('scoring', () => {
  it('reverse-keys with 6 − x', () => {
    expect([1, 2, 3, 4, 5].map((x) => keyedValue({ reverse: true }, x))).toEqual([5, 4, 3, 2, 1]);
    expect([1, 2, 3, 4, 5].map((x) => keyedValue({ reverse: false }, x))).toEqual([1, 2, 3, 4, 5]);
  });

  it('maps a mean of 1 to 0, 3 to 50 and 5 to 100', () => {
    expect(scoreFromKeyed([1, 1, 1])).toBe(0);
    expect(scoreFromKeyed([3, 3, 3])).toBe(50);
    expect(scoreFromKeyed([5, 5, 5])).toBe(100);
    expect(scoreFromKeyed([2, 3, 5])).toBe(58.3333); // mean 10/3 → 100 × (7/3) / 4
  });

  it('scores hand-computed answers, reports shared traits twice and aggregates personality', () => {
    const scores = scoreAnswers(
      answers(3, {
        // Altruism: alt1 +, alt2 +, alt3 R → keyed 5, 4, 6−2=4 → mean 13/3 → 83.3333
        alt1: 5,
        alt2: 4,
        alt3: 2,
        // Modesty: mod1 +, mod2 R, mod3 + → keyed 1, 6−5=1, 1 → 0
        mod1: 1,
        mod2: 5,
        mod3: 1,
        // Trust: tru1 +, tru2 R, tru3 + → keyed 4, 2, 4 → mean 10/3 → 58.3333
        tru1: 4,
        tru2: 4,
        tru3: 4,
        // Autonomy: keyed 5, 5, 6−1=5 → 100, also in wellBeing
        aut1: 5,
        aut2: 5,
        aut3: 1,
        // Sleep: keyed 1, 1, 6−5=1 → 0
        slp1: 1,
        slp2: 1,
        slp3: 5,
      }),
    );
    expect(scores.agreeableness).toEqual({ Altruism: 83.3333, Modesty: 0, Trust: 58.3333 });
    expect(scores.coreMotivations.Autonomy).toBe(100);
    expect(scores.wellBeing.Autonomy).toBe(100);
    expect(scores.wellBeing.Sleep).toBe(0);
    expect(scores.wellBeing.Mastery).toBe(50);
    // (83.3333 + 0 + 58.3333) / 3
    expect(scores.personality.Agreeableness).toBeCloseTo(47.2222, 3);
    expect(scores.personality.Openness).toBe(50);
  });

  it('answers every documented trait, in the documented order, and nothing else', () => {
    const scores = scoreAnswers(answers(4));
    for (const [category, traits] of Object.entries(TRAIT_CATEGORIES)) {
      expect(Object.keys(scores[category as keyof typeof scores])).toEqual([...traits]);
    }
    expect(Object.keys(scores)).toEqual(Object.keys(TRAIT_CATEGORIES));
  });

  it('refuses incomplete answers and names what is missing', () => {
    const partial = answers(3);
    partial.delete('alt2');
    partial.set('flo1', 7);
    expect(missingItems(partial)).toEqual(['alt2', 'flo1']);
    expect(() => scoreAnswers(partial)).toThrow(/alt2/);
  });
});
