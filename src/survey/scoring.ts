import {
  isSkippable,
  PERSONALITY_DOMAINS,
  PREFER_NOT_TO_ANSWER,
  SCALES,
  type Item,
  type Scale,
} from './item-bank.js';
import {
  CATEGORY_NAMES,
  MEASURED_CONSTRUCTS,
  TRAIT_CATEGORIES,
  type PartialTraitScores,
} from './trait-catalogue.js';
import { round } from '../domain/round.js';

/**
 * Scoring, as pure functions. An answer is 1–5; a reverse-keyed item counts 6 − answer; a
 * construct is 100 × (mean keyed value − 1) / 4 over the statements the player answered, so all
 * "strongly disagree" keyed values give 0 and all "strongly agree" give 100. Each construct is
 * reported under every documented name of MEASURED_CONSTRUCTS (100 − score for an opposite pole).
 * A personality domain is the mean of its facet category's traits.
 */

export function isAnswer(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 5;
}

/** A value the player may give to this statement: 1–5, or "prefer not to answer" where allowed. */
export function isResponse(itemId: string, value: unknown): value is number {
  return isAnswer(value) || (value === PREFER_NOT_TO_ANSWER && isSkippable(itemId));
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

/** The scale's keyed values of the statements answered (skipped ones left out). */
export function keyedValues(scale: Scale, answers: ReadonlyMap<string, number>): number[] {
  return scale.items.flatMap((item) => {
    const answer = answers.get(item.id);
    return isAnswer(answer) ? [keyedValue(item, answer)] : [];
  });
}

/** Item ids without a response the statement allows: scoring needs none missing. */
export function missingItems(
  answers: ReadonlyMap<string, number>,
  scales: readonly Scale[] = SCALES,
): string[] {
  return scales.flatMap((s) => s.items.filter((i) => !isResponse(i.id, answers.get(i.id))).map((i) => i.id));
}

/** Each construct's score (code → 0–100); a construct whose every statement was skipped has none. */
export function constructScores(
  answers: ReadonlyMap<string, number>,
  scales: readonly Scale[] = SCALES,
): Map<string, number> {
  const missing = missingItems(answers, scales);
  if (missing.length > 0) throw new Error(`no valid answer for item ${missing.join(', ')}`);
  const scores = new Map<string, number>();
  for (const scale of scales) {
    const values = keyedValues(scale, answers);
    if (values.length > 0) scores.set(scale.construct.code, scoreFromKeyed(values));
  }
  return scores;
}

/**
 * The traits response's shape from construct scores: every documented name of each scored
 * construct, and the personality domains. A skipped construct's names are left out (not guessed);
 * a domain is the mean of the facets present.
 */
export function reportScores(byConstruct: ReadonlyMap<string, number>): PartialTraitScores {
  const found = new Map<string, number>();
  for (const construct of MEASURED_CONSTRUCTS) {
    const score = byConstruct.get(construct.code);
    if (score === undefined) continue;
    for (const name of construct.reportedAs) {
      found.set(`${name.category}.${name.trait}`, name.reversed ? round(100 - score) : score);
    }
  }
  for (const [domain, category] of Object.entries(PERSONALITY_DOMAINS)) {
    const facets = TRAIT_CATEGORIES[category].flatMap((t) => found.get(`${category}.${t}`) ?? []);
    if (facets.length > 0)
      found.set(`personality.${domain}`, round(facets.reduce((a, b) => a + b, 0) / facets.length));
  }
  // Keys in the catalogue's (documented) order.
  const out: Record<string, Record<string, number>> = {};
  for (const category of CATEGORY_NAMES) {
    out[category] = Object.fromEntries(
      TRAIT_CATEGORIES[category].flatMap((trait) => {
        const score = found.get(`${category}.${trait}`);
        return score === undefined ? [] : [[trait, score]];
      }),
    );
  }
  return out as PartialTraitScores;
}

/** Every trait of the traits response from a complete set of answers (item id → 1–5, or 0 skipped). */
export function scoreAnswers(
  answers: ReadonlyMap<string, number>,
  scales: readonly Scale[] = SCALES,
): PartialTraitScores {
  return reportScores(constructScores(answers, scales));
}
