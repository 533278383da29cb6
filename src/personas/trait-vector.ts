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
/**
 * For each construct, the positions of its reported names in TRAIT_VECTOR and whether each is
 * its opposite pole, flattened (CONSTRUCT_START[c] … CONSTRUCT_START[c + 1] index into
 * CONSTRUCT_INDEX / CONSTRUCT_REVERSED): read once per player at a million players, so no
 * per-call objects.
 */
const CONSTRUCT_START = new Int32Array(MEASURED_CONSTRUCTS.length + 1);
const CONSTRUCT_INDEX: number[] = [];
const CONSTRUCT_REVERSED: boolean[] = [];
MEASURED_CONSTRUCTS.forEach((construct, c) => {
  for (const { trait, reversed } of construct.reportedAs) {
    const index = TRAIT_VECTOR.indexOf(trait);
    if (index < 0) throw new Error(`construct ${construct.code} names an unknown trait ${trait}`);
    CONSTRUCT_INDEX.push(index);
    CONSTRUCT_REVERSED.push(reversed);
  }
  CONSTRUCT_START[c + 1] = CONSTRUCT_INDEX.length;
});

/** Each stored (category, trait) pair with its position in TRAIT_VECTOR, in catalogue order. */
const COORDINATE_SLOTS: readonly { category: string; trait: string; index: number }[] = TRAIT_COORDINATES.map(
  ([category, trait]) => ({ category, trait, index: TRAIT_VECTOR.indexOf(trait) }),
);

/** A score missing from a stored result counts as the scale's midpoint. */
const NEUTRAL = 50;

/**
 * Writes a stored scores object ({category: {trait: 0–100}}) into `out` at `offset`, in
 * TRAIT_VECTOR order. A trait shown in two categories takes its first finite score.
 */
export function writeTraitVector(scores: unknown, out: Float32Array, offset: number): void {
  const byCategory = (scores ?? {}) as Record<string, Record<string, unknown> | undefined>;
  // NaN marks "not found yet" (a stored score is always finite).
  out.fill(Number.NaN, offset, offset + TRAIT_DIMENSIONS);
  for (const { category, trait, index } of COORDINATE_SLOTS) {
    const value = byCategory[category]?.[trait];
    if (typeof value === 'number' && Number.isFinite(value) && Number.isNaN(out[offset + index]!))
      out[offset + index] = value;
  }
  for (let i = offset; i < offset + TRAIT_DIMENSIONS; i++) if (Number.isNaN(out[i]!)) out[i] = NEUTRAL;
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
  for (let c = 0; c < CONSTRUCT_DIMENSIONS; c++) {
    const start = CONSTRUCT_START[c]!;
    const end = CONSTRUCT_START[c + 1]!;
    let sum = 0;
    for (let t = start; t < end; t++) {
      const value = vectors[offset + CONSTRUCT_INDEX[t]!]!;
      sum += CONSTRUCT_REVERSED[t] ? 100 - value : value;
    }
    out[outOffset + c] = sum / (end - start);
  }
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
