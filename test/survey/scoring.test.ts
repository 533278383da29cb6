import { describe, expect, it } from 'vitest';
import { ITEMS } from '../../src/survey/item-bank.js';
import {
  constructScores,
  keyedValue,
  missingItems,
  reportScores,
  scoreAnswers,
  scoreFromKeyed,
} from '../../src/survey/scoring.js';
import { TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';

/** Every item answered `value`, then the given answers on top. */
function answers(value: number, overrides: Record<string, number> = {}): Map<string, number> {
  const map = new Map(ITEMS.map((i) => [i.id, value] as const));
  for (const [id, v] of Object.entries(overrides)) map.set(id, v);
  return map;
}

describe('scoring', () => {
  it('reverse-keys with 6 − x', () => {
    expect([1, 2, 3, 4, 5].map((x) => keyedValue({ reverse: true }, x))).toEqual([5, 4, 3, 2, 1]);
    expect([1, 2, 3, 4, 5].map((x) => keyedValue({ reverse: false }, x))).toEqual([1, 2, 3, 4, 5]);
  });

  it('maps a mean of 1 to 0, 3 to 50 and 5 to 100', () => {
    expect(scoreFromKeyed([1, 1, 1, 1])).toBe(0);
    expect(scoreFromKeyed([3, 3, 3, 3])).toBe(50);
    expect(scoreFromKeyed([5, 5, 5, 5])).toBe(100);
    expect(scoreFromKeyed([2, 3, 5])).toBe(58.3333); // mean 10/3 → 100 × (7/3) / 4
  });

  it('scores hand-computed answers, reports merged names once measured and opposite poles as 100 − score', () => {
    const scores = scoreAnswers(
      answers(3, {
        // Altruism: alt1 +, alt4 +, alt3 R, alt5 R → keyed 5, 4, 6−2=4, 6−1=5 → mean 4.5 → 87.5
        alt1: 5,
        alt4: 4,
        alt3: 2,
        alt5: 1,
        // Competitiveness: gco1 +, mcm2 +, avo1 R, avo2 R → keyed 5, 5, 5, 3 → mean 4.5 → 87.5
        gco1: 5,
        mcm2: 5,
        avo1: 1,
        avo2: 3,
        // Autonomy: keyed 1, 1, 1, 1 → 0; reported as Autonomy twice, Independent, Independence; Dependent = 100
        aut1: 1,
        ind1: 1,
        dep2: 5,
        aut4: 5,
      }),
    );
    expect(scores.agreeableness).toEqual({ Altruism: 87.5, Modesty: 50, Trust: 50 });
    expect(scores.competitiveness['General competitiveness']).toBe(87.5);
    expect(scores.motivations.Competitiveness).toBe(87.5);
    expect(scores.competitiveness.Avoidant).toBe(12.5);
    expect(scores.coreMotivations.Autonomy).toBe(0);
    expect(scores.wellBeing.Autonomy).toBe(0);
    expect(scores.competitiveness.Independent).toBe(0);
    expect(scores.motivations.Independence).toBe(0);
    expect(scores.competitiveness.Dependent).toBe(100);
    // (87.5 + 50 + 50) / 3
    expect(scores.personality.Agreeableness).toBe(62.5);
    expect(scores.personality.Openness).toBe(50);
  });

  it('answers every documented trait, in the documented order, and nothing else', () => {
    const scores = scoreAnswers(answers(4));
    for (const [category, traits] of Object.entries(TRAIT_CATEGORIES)) {
      expect(Object.keys(scores[category as keyof typeof scores])).toEqual([...traits]);
    }
    expect(Object.keys(scores)).toEqual(Object.keys(TRAIT_CATEGORIES));
  });

  it('scores a health or mood construct from the statements answered, and leaves out one skipped entirely', () => {
    // Sleep: slp2 +, slp4 +, slp5 R, slp6 R. Two skipped: keyed 5 (slp2), 6−1=5 (slp5) → 100.
    const partly = constructScores(answers(3, { slp2: 5, slp4: 0, slp5: 1, slp6: 0 }));
    expect(partly.get('sleep')).toBe(100);
    const skipped = scoreAnswers(answers(3, { slp2: 0, slp4: 0, slp5: 0, slp6: 0 }));
    expect(skipped.wellBeing).not.toHaveProperty('Sleep');
    expect(Object.keys(skipped.wellBeing)).toHaveLength(TRAIT_CATEGORIES.wellBeing.length - 1);
    // Neuroticism is the mean of the facets answered when Anxiety is skipped.
    const noAnxiety = reportScores(
      new Map([
        ['impulsiveness', 20],
        ['vulnerability', 40],
      ]),
    );
    expect(noAnxiety.personality.Neuroticism).toBe(30);
  });

  it('refuses incomplete answers and names what is missing; 0 is an answer only where skipping is allowed', () => {
    const partial = answers(3);
    partial.delete('alt4');
    partial.set('flo1', 7);
    partial.set('dom1', 0);
    partial.set('slp2', 0);
    expect(missingItems(partial)).toEqual(['alt4', 'dom1', 'flo1']);
    expect(() => scoreAnswers(partial)).toThrow(/alt4/);
  });
});
