/**
 * Every trait the traits endpoint reports, by category, with the exact names and casing of the
 * documented response (`GET /v1/segments/:segment_id/personas/:persona/traits`). Order is the
 * documented one (alphabetical within a category). `wellBeing` repeats three `coreMotivations`
 * traits (Autonomy, Mastery, Purpose): they are one measured score shown in both categories.
 */
export const TRAIT_CATEGORIES = {
  agreeableness: ['Altruism', 'Modesty', 'Trust'],
  communication: ['Feeler', 'Intuitor', 'Sensor', 'Thinker'],
  competitiveness: [
    'Avoidant',
    'Collaborative',
    'Competitive affectivity',
    'Dependent',
    'Dominant',
    'General competitiveness',
    'Independent',
    'Personal enhancement',
  ],
  conscientiousness: ['Achievement striving', 'Competence', 'Self-discipline'],
  coreMotivations: ['Autonomy', 'Mastery', 'Purpose'],
  culture: [
    'Individualism',
    'Indulgence',
    'Long term orientation',
    'Masculinity',
    'Power distance',
    'Uncertainty avoidance',
  ],
  extraversion: ['Activity', 'Assertiveness', 'Warmth'],
  motivations: [
    'Compensatory effort',
    'Competitiveness',
    'Confidence in success',
    'Difficult tasks',
    'Dominance',
    'Eagerness to learn',
    'Engagement',
    'Fearlessness',
    'Flexibility',
    'Flow',
    'Goal setting',
    'Independence',
    'Internality',
    'Persistence',
    'Pride in productivity',
    'Self-control',
    'Status orientation',
  ],
  neuroticism: ['Anxiety', 'Impulsiveness', 'Vulnerability'],
  openness: ['Actions', 'Empathy', 'Fantasy'],
  personality: ['Agreeableness', 'Conscientiousness', 'Extraversion', 'Neuroticism', 'Openness'],
  wellBeing: [
    'Autonomy',
    'Bounded reciprocity',
    'Grit',
    'Mastery',
    'Physical activity level',
    'Physical well-being',
    'Psychological well-being',
    'Purpose',
    'Resilience',
    'Sleep',
    'Social well-being',
  ],
} as const satisfies Record<string, readonly string[]>;

export type TraitCategory = keyof typeof TRAIT_CATEGORIES;

/** Scores 0–100 by category, then trait: the shape the traits endpoint answers with. */
export type TraitScores = { [C in TraitCategory]: Record<(typeof TRAIT_CATEGORIES)[C][number], number> };

export const CATEGORY_NAMES = Object.keys(TRAIT_CATEGORIES) as TraitCategory[];

/** Every (category, trait) pair in the documented order: the coordinates of a trait vector. */
export const TRAIT_COORDINATES: readonly (readonly [TraitCategory, string])[] = CATEGORY_NAMES.flatMap(
  (category) => TRAIT_CATEGORIES[category].map((trait) => [category, trait] as const),
);

/**
 * The distinct constructs the survey measures, each with the reported trait names that show its
 * one score: the coordinates personas are modelled on. The five `personality` domain scores are
 * means of their facets (they add nothing the facets do not carry) and Autonomy, Mastery and
 * Purpose are reported twice under one name; neither is a construct of its own. A construct
 * reported under several names (one score shown as Dominant, Dominance, …) lists them all: its
 * coordinate is the mean of those names' scores.
 */
export const MEASURED_CONSTRUCTS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  [
    ...new Set(
      CATEGORY_NAMES.filter((category) => category !== 'personality').flatMap(
        (category) => TRAIT_CATEGORIES[category],
      ),
    ),
  ].map((trait) => [trait, [trait]]),
);
