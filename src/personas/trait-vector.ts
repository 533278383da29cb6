import {
  CATEGORY_NAMES,
  TRAIT_CATEGORIES,
  TRAIT_COORDINATES,
  type TraitScores,
} from '../survey/trait-catalogue.js';

/**
 * The coordinates personas cluster on: every trait of TRAIT_COORDINATES once. A trait shown in two
 * categories (Autonomy, Mastery, Purpose in coreMotivations and wellBeing) is one measured score,
 * so it is one coordinate, not two that would weigh it double.
 */
export const TRAIT_VECTOR: readonly string[] = [...new Set(TRAIT_COORDINATES.map(([, trait]) => trait))];
export const TRAIT_DIMENSIONS = TRAIT_VECTOR.length;

/** A score missing from a stored result counts as the scale's midpoint. */
const NEUTRAL = 50;

/** Writes a stored scores object ({category: {trait: 0–100}}) into `out` at `offset`, in TRAIT_VECTOR order. */
export function writeTraitVector(scores: unknown, out: Float32Array, offset: number): void {
  const byCategory = (scores ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const found = new Map<string, number>();
  for (const [category, trait] of TRAIT_COORDINATES) {
    const value = byCategory[category]?.[trait];
    if (typeof value === 'number' && Number.isFinite(value) && !found.has(trait)) found.set(trait, value);
  }
  TRAIT_VECTOR.forEach((trait, i) => {
    out[offset + i] = found.get(trait) ?? NEUTRAL;
  });
}

/** A vector (TRAIT_VECTOR order) in the documented traits shape: every category, every trait. */
export function traitScoresOf(vector: ArrayLike<number>): TraitScores {
  const index = new Map(TRAIT_VECTOR.map((trait, i) => [trait, i]));
  const result: Record<string, Record<string, number>> = {};
  for (const category of CATEGORY_NAMES) {
    const traits: Record<string, number> = {};
    for (const trait of TRAIT_CATEGORIES[category]) traits[trait] = vector[index.get(trait)!] ?? NEUTRAL;
    result[category] = traits;
  }
  return result as TraitScores;
}
