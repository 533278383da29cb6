import { describe, expect, it } from 'vitest';
import { simulateReliability } from '../../bench/psychometrics/simulation.js';
import { ATTENTION_CHECKS, PERSONALITY_DOMAINS, SCALES, SHARED_TRAITS } from '../../src/survey/item-bank.js';
import { SURVEY_LAYOUT } from '../../src/survey/survey-layout.js';
import { TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';

describe('item bank', () => {
  it('measures every trait once with at least three items, one of them reverse-keyed', () => {
    const measured = SCALES.map((s) => `${s.category}.${s.trait}`);
    const expected = Object.entries(TRAIT_CATEGORIES).flatMap(([category, traits]) =>
      category === 'personality'
        ? []
        : traits
            .filter((t) => !(category === 'wellBeing' && (SHARED_TRAITS as readonly string[]).includes(t)))
            .map((t) => `${category}.${t}`),
    );
    expect(measured.sort()).toEqual(expected.sort());
    for (const scale of SCALES) {
      expect(scale.items.length, scale.trait).toBeGreaterThanOrEqual(3);
      expect(
        scale.items.some((i) => i.reverse),
        scale.trait,
      ).toBe(true);
    }
    expect(Object.keys(PERSONALITY_DOMAINS)).toEqual([...TRAIT_CATEGORIES.personality]);
  });

  it('has unique ids and unique statements', () => {
    const items = SCALES.flatMap((s) => s.items);
    const ids = [...items.map((i) => i.id), ...ATTENTION_CHECKS.map((c) => c.id)];
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(items.map((i) => i.text.toLowerCase())).size).toBe(items.length);
  });

  it('lays every item and attention check out once, on pages of 9 to 10', () => {
    const entries = SURVEY_LAYOUT.pages.flat();
    expect(entries.length).toBe(SCALES.flatMap((s) => s.items).length + ATTENTION_CHECKS.length);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    for (const page of SURVEY_LAYOUT.pages) {
      expect(page.length).toBeGreaterThanOrEqual(9);
      expect(page.length).toBeLessThanOrEqual(10);
      expect(page.filter((e) => e.kind === 'check').length).toBeLessThanOrEqual(1);
    }
    expect(SURVEY_LAYOUT.pages.filter((p) => p.some((e) => e.kind === 'check'))).toHaveLength(3);
  });

  it("keeps every scale reliable on simulated respondents (Cronbach's α > 0.7)", () => {
    const rows = simulateReliability({ respondents: 1500, seed: 11 });
    expect(rows).toHaveLength(SCALES.length);
    for (const row of rows) expect(row.alpha, `${row.category}.${row.trait}`).toBeGreaterThan(0.7);
  });
});
