import { describe, expect, it } from 'vitest';
import { scoreRecovery } from '../../bench/psychometrics/simulation.js';
import {
  ATTENTION_CHECKS,
  ITEMS,
  PERSONALITY_DOMAINS,
  SCALES,
  isSkippable,
} from '../../src/survey/item-bank.js';
import { scoreAnswers } from '../../src/survey/scoring.js';
import { SURVEY_LAYOUT } from '../../src/survey/survey-layout.js';
import { SECONDS_PER_STATEMENT } from '../../src/survey/survey.service.js';
import { MEASURED_CONSTRUCTS, TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';

describe('item bank', () => {
  it('has at least 4 statements per construct, keyed 2 plain and 2 reversed per 4, halves balanced', () => {
    expect(SCALES.map((s) => s.construct.code)).toEqual(MEASURED_CONSTRUCTS.map((c) => c.code));
    for (const scale of SCALES) {
      const code = scale.construct.code;
      expect(scale.items.length, code).toBeGreaterThanOrEqual(4);
      expect(scale.items.filter((i) => i.reverse).length * 2, code).toBe(scale.items.length);
      // Odd and even halves (for the even–odd index) each hold one plain and one reversed statement.
      for (const parity of [0, 1]) {
        const half = scale.items.filter((_, i) => i % 2 === parity);
        expect(half.filter((i) => i.reverse).length * 2, code).toBe(half.length);
      }
    }
  });

  it('maps every documented trait name to exactly one measured construct', () => {
    const mapped = MEASURED_CONSTRUCTS.flatMap((c) => c.reportedAs.map((n) => `${n.category}.${n.trait}`));
    expect(new Set(mapped).size).toBe(mapped.length);
    const documented = Object.entries(TRAIT_CATEGORIES).flatMap(([category, traits]) =>
      category === 'personality' ? [] : traits.map((t) => `${category}.${t}`),
    );
    expect([...mapped].sort()).toEqual([...documented].sort());
    // The personality domains are their facet categories' means, not constructs of their own.
    expect(Object.keys(PERSONALITY_DOMAINS)).toEqual([...TRAIT_CATEGORIES.personality]);
    // The audit's overlapping names are one construct each.
    const constructOf = (name: string) =>
      MEASURED_CONSTRUCTS.find((c) => c.reportedAs.some((n) => `${n.category}.${n.trait}` === name))!.code;
    expect(
      new Set(
        ['competitiveness.Dominant', 'motivations.Dominance', 'extraversion.Assertiveness'].map(constructOf),
      ).size,
    ).toBe(1);
    expect(
      new Set(
        ['competitiveness.Independent', 'motivations.Independence', 'coreMotivations.Autonomy'].map(
          constructOf,
        ),
      ).size,
    ).toBe(1);
    expect(
      new Set(['wellBeing.Grit', 'motivations.Persistence', 'wellBeing.Resilience'].map(constructOf)).size,
    ).toBe(1);
    expect(
      new Set(
        [
          'competitiveness.General competitiveness',
          'motivations.Competitiveness',
          'competitiveness.Avoidant',
        ].map(constructOf),
      ).size,
    ).toBe(1);
  });

  it('shows at most 180 statements (15 minutes at 5 s each), none twice', () => {
    expect(SURVEY_LAYOUT.entryCount).toBeLessThanOrEqual(180);
    expect(SURVEY_LAYOUT.entryCount * SECONDS_PER_STATEMENT).toBeLessThanOrEqual(15 * 60);
    const ids = [...ITEMS.map((i) => i.id), ...ATTENTION_CHECKS.map((c) => c.id)];
    expect(new Set(ids).size).toBe(ids.length);
    const texts = [...ITEMS, ...ATTENTION_CHECKS].map((i) => i.text.toLowerCase());
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('gives the midpoint (50) on every construct to a player who agrees with everything', () => {
    for (const answer of [1, 2, 3, 4, 5]) {
      const scores = scoreAnswers(new Map(ITEMS.map((i) => [i.id, answer])));
      for (const [category, traits] of Object.entries(scores)) {
        for (const [trait, score] of Object.entries(traits))
          expect(score, `${answer}: ${category}.${trait}`).toBe(50);
      }
    }
  });

  it('lets only health and mood statements be skipped', () => {
    const skippable = SCALES.filter((s) => s.sensitive).map((s) => s.construct.code);
    expect(skippable.sort()).toEqual(
      [
        'anxiety',
        'physical_activity',
        'physical_health',
        'psychological_health',
        'sleep',
        'social_health',
      ].sort(),
    );
    expect(isSkippable('slp2')).toBe(true);
    expect(isSkippable('alt1')).toBe(false);
    expect(isSkippable('chk1')).toBe(false);
  });

  it('lays every item and attention check out once, on pages of 9 to 10', () => {
    const entries = SURVEY_LAYOUT.pages.flat();
    expect(entries.length).toBe(ITEMS.length + ATTENTION_CHECKS.length);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    for (const page of SURVEY_LAYOUT.pages) {
      expect(page.length).toBeGreaterThanOrEqual(9);
      expect(page.length).toBeLessThanOrEqual(10);
      expect(page.filter((e) => e.kind === 'check').length).toBeLessThanOrEqual(1);
    }
    expect(SURVEY_LAYOUT.pages.filter((p) => p.some((e) => e.kind === 'check'))).toHaveLength(3);
  });

  it('recovers simulated true scores under realistic noise (a check of the scoring pipeline only)', () => {
    const rows = scoreRecovery({ respondents: 800, seed: 11 });
    expect(rows).toHaveLength(MEASURED_CONSTRUCTS.length);
    for (const row of rows) expect(row.r, row.construct).toBeGreaterThan(0.65);
    expect(rows.reduce((a, r) => a + r.r, 0) / rows.length).toBeGreaterThan(0.75);
  });
});
