import { PERSONALITY_DOMAINS, SCALES, SHARED_TRAITS, type Item, type Scale } from './item-bank.js';
import { CATEGORY_NAMES, TRAIT_CATEGORIES, type TraitScores } from './trait-catalogue.js';

/**
 * Scoring, as pure functions. An answer is 1–5; a reverse-keyed item counts 6 − answer; a trait
 * is 100 × (mean keyed value − 1) / 4, so all "strongly disagree" keyed values give 0 and all
 * "strongly agree" give 100. A personality domain is the mean of its facet category's traits.
 */

export function isAnswer(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 5;
}

export function keyedValue(item: Pick<Item, 'reverse'>, answer: number): number {
  return item.reverse ? 6 - answer : answer;
}

/** 0–100 from keyed values 1–5. */
export function scoreFromKeyed(values: readonly number[]): number {
  if (values.length === 0) throw new Error('a trait needs at least one answer');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return round((100 * (mean - 1)) / 4);
}

export function scaleScore(scale: Scale, answers: ReadonlyMap<string, number>): number {
  return scoreFromKeyed(
    scale.items.map((item) => {
      const answer = answers.get(item.id);
      if (answer === undefined || !isAnswer(answer)) throw new Error(`no valid answer for item ${item.id}`);
      return keyedValue(item, answer);
    }),
  );
}

/** Item ids without a valid answer: scoring needs none missing. */
export function missingItems(
  answers: ReadonlyMap<string, number>,
  scales: readonly Scale[] = SCALES,
): string[] {
  return scales.flatMap((s) => s.items.filter((i) => !isAnswer(answers.get(i.id))).map((i) => i.id));
}

/** Every trait of the traits response from a complete set of answers (item id → 1–5). */
export function scoreAnswers(
  answers: ReadonlyMap<string, number>,
  scales: readonly Scale[] = SCALES,
): TraitScores {
  const out: Record<string, Record<string, number>> = {};
  for (const category of CATEGORY_NAMES) out[category] = {};
  for (const scale of scales) {
    const score = scaleScore(scale, answers);
    out[scale.category]![scale.trait] = score;
    if (scale.category === 'coreMotivations' && (SHARED_TRAITS as readonly string[]).includes(scale.trait)) {
      out.wellBeing![scale.trait] = score;
    }
  }
  for (const [domain, category] of Object.entries(PERSONALITY_DOMAINS)) {
    const facets = Object.values(out[category]!);
    out.personality![domain] = round(facets.reduce((a, b) => a + b, 0) / facets.length);
  }
  return sortLike(out) as TraitScores;
}

/** Keys in the catalogue's (documented) order; a trait no scale measured is an error. */
function sortLike(scores: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const category of CATEGORY_NAMES) {
    const traits = scores[category]!;
    out[category] = Object.fromEntries(
      TRAIT_CATEGORIES[category].map((trait) => {
        const score = traits[trait];
        if (score === undefined) throw new Error(`no scale measures ${category}.${trait}`);
        return [trait, score];
      }),
    );
  }
  return out;
}

/** Four decimals: enough for any comparison, short in JSON. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
