import {
  CATEGORY_NAMES,
  MEASURED_CONSTRUCTS,
  TRAIT_CATEGORIES,
  TRAIT_COORDINATES,
  type TraitScores,
} from '../survey/trait-catalogue.js';

/**
 * Every reported trait name once: the layout of a stored scores vector, of persona centroids
 * and trait means. A trait shown in two categories (Autonomy, Mastery, Purpose in
 * coreMotivations and wellBeing) is one measured score, so one entry.
 */
export const TRAIT_VECTOR: readonly string[] = [...new Set(TRAIT_COORDINATES.map(([, trait]) => trait))];
export const TRAIT_DIMENSIONS = TRAIT_VECTOR.length;

/** The coordinates personas are modelled on: one per measured construct (MEASURED_CONSTRUCTS). */
export const CONSTRUCTS: readonly string[] = MEASURED_CONSTRUCTS.map((construct) => construct.code);
export const CONSTRUCT_DIMENSIONS = CONSTRUCTS.length;
/** For each construct, the positions of its reported names in TRAIT_VECTOR and whether each is its opposite pole. */
const CONSTRUCT_NAMES: readonly (readonly { index: number; reversed: boolean }[])[] = MEASURED_CONSTRUCTS.map(
  (construct) =>
    construct.reportedAs.map(({ trait, reversed }) => {
      const index = TRAIT_VECTOR.indexOf(trait);
      if (index < 0) throw new Error(`construct ${construct.code} names an unknown trait ${trait}`);
      return { index, reversed };
    }),
);

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

/**
 * Writes the construct coordinates of the trait vector at `offset` of `vectors` into `out` from
 * `outOffset`: each the mean of the construct's reported scores (an opposite pole as 100 − its
 * score), so scores imported with
 * slightly different values under each name of one construct still make one coordinate.
 */
export function writeConstructVector(
  vectors: ArrayLike<number>,
  offset: number,
  out: Float64Array,
  outOffset: number,
): void {
  CONSTRUCT_NAMES.forEach((names, c) => {
    let sum = 0;
    for (const { index, reversed } of names) {
      const value = vectors[offset + index]!;
      sum += reversed ? 100 - value : value;
    }
    out[outOffset + c] = sum / names.length;
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

/** The mean trait vector (TRAIT_VECTOR order) of each of k labelled groups of n stored vectors. */
export function meanTraitVectors(
  vectors: Float32Array,
  n: number,
  labels: Int32Array,
  k: number,
): number[][] {
  const d = TRAIT_DIMENSIONS;
  const sums = Array.from({ length: k }, () => new Float64Array(d));
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const sum = sums[labels[i]!]!;
    sizes[labels[i]!]!++;
    for (let j = 0; j < d; j++) sum[j]! += vectors[i * d + j]!;
  }
  return sums.map((sum, c) => Array.from(sum, (s) => s / Math.max(1, sizes[c]!)));
}
