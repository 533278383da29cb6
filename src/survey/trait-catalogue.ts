/**
 * Every trait the traits endpoint reports, by category, with the exact names and casing of the
 * documented response (`GET /v1/segments/:segment_id/personas/:persona/traits`). Order is the
 * documented one (alphabetical within a category). Several names are one measured construct
 * reported more than once: see MEASURED_CONSTRUCTS.
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

/** Scores by category then trait, where a trait the player chose not to answer may be absent. */
export type PartialTraitScores = { [C in TraitCategory]: Partial<TraitScores[C]> };

/** One documented name a construct is reported under; `reversed` names its opposite pole (100 − score). */
export interface ReportedName {
  category: TraitCategory;
  trait: string;
  reversed: boolean;
}

/** A distinct thing the survey measures, and every documented name its one score is reported under. */
export interface MeasuredConstruct {
  /** Stable code: the item bank's statements belong to it. */
  code: string;
  /** The construct's own name, for operators (the survey page and reliability report). */
  name: string;
  reportedAs: readonly ReportedName[];
}

type NameSpec = `${TraitCategory}.${string}` | `-${TraitCategory}.${string}`;

function construct(code: string, name: string, names: readonly NameSpec[]): MeasuredConstruct {
  return {
    code,
    name,
    reportedAs: names.map((spec) => {
      const reversed = spec.startsWith('-');
      const [category, trait] = spec.replace(/^-/, '').split('.') as [TraitCategory, string];
      return { category, trait, reversed };
    }),
  };
}

/**
 * The distinct constructs the survey measures (44), the coordinates of a player's trait vector,
 * and the documented names each is reported under. Names that measure the same thing were merged
 * into one score (docs/psychometrics.md says why): Dominant, Dominance and Assertiveness are one
 * score; Avoidant is the opposite pole of competitiveness (100 − it), Feeler of Thinker, Intuitor
 * of Sensor and Dependent of Autonomy. `personality` is not measured: its domains are the means of
 * their facet categories. Every other documented name appears here exactly once.
 */
export const MEASURED_CONSTRUCTS: readonly MeasuredConstruct[] = [
  construct('altruism', 'Altruism', ['agreeableness.Altruism']),
  construct('modesty', 'Modesty', ['agreeableness.Modesty']),
  construct('trust', 'Trust', ['agreeableness.Trust']),
  construct('thinking', 'Thinking (vs feeling)', ['communication.Thinker', '-communication.Feeler']),
  construct('sensing', 'Sensing (vs intuition)', ['communication.Sensor', '-communication.Intuitor']),
  construct('competitiveness', 'Competitiveness', [
    'competitiveness.General competitiveness',
    'motivations.Competitiveness',
    '-competitiveness.Avoidant',
  ]),
  construct('collaboration', 'Collaboration', ['competitiveness.Collaborative']),
  construct('competitive_affect', 'Competitive affectivity', ['competitiveness.Competitive affectivity']),
  construct('autonomy', 'Autonomy', [
    'coreMotivations.Autonomy',
    'wellBeing.Autonomy',
    'competitiveness.Independent',
    'motivations.Independence',
    '-competitiveness.Dependent',
  ]),
  construct('dominance', 'Dominance', [
    'competitiveness.Dominant',
    'motivations.Dominance',
    'extraversion.Assertiveness',
  ]),
  construct('mastery', 'Mastery orientation', [
    'coreMotivations.Mastery',
    'wellBeing.Mastery',
    'competitiveness.Personal enhancement',
    'motivations.Eagerness to learn',
  ]),
  construct('achievement', 'Achievement striving', [
    'conscientiousness.Achievement striving',
    'motivations.Pride in productivity',
  ]),
  construct('self_efficacy', 'Self-efficacy', [
    'conscientiousness.Competence',
    'motivations.Confidence in success',
  ]),
  construct('self_discipline', 'Self-discipline', [
    'conscientiousness.Self-discipline',
    'motivations.Self-control',
  ]),
  construct('purpose', 'Purpose', ['coreMotivations.Purpose', 'wellBeing.Purpose']),
  construct('individualism', 'Individualism', ['culture.Individualism']),
  construct('indulgence', 'Indulgence', ['culture.Indulgence']),
  construct('long_term', 'Long term orientation', ['culture.Long term orientation']),
  construct('masculinity', 'Masculinity', ['culture.Masculinity']),
  construct('power_distance', 'Power distance', ['culture.Power distance']),
  construct('uncertainty_avoidance', 'Uncertainty avoidance', ['culture.Uncertainty avoidance']),
  construct('activity', 'Activity', ['extraversion.Activity']),
  construct('warmth', 'Warmth', ['extraversion.Warmth']),
  construct('compensatory_effort', 'Compensatory effort', ['motivations.Compensatory effort']),
  construct('difficult_tasks', 'Preference for difficult tasks', ['motivations.Difficult tasks']),
  construct('engagement', 'Engagement (absorption)', ['motivations.Engagement', 'motivations.Flow']),
  construct('fearlessness', 'Fearlessness', ['motivations.Fearlessness']),
  construct('flexibility', 'Flexibility', ['motivations.Flexibility']),
  construct('goal_setting', 'Goal setting', ['motivations.Goal setting']),
  construct('internality', 'Internality', ['motivations.Internality']),
  construct('status', 'Status orientation', ['motivations.Status orientation']),
  construct('anxiety', 'Anxiety', ['neuroticism.Anxiety']),
  construct('impulsiveness', 'Impulsiveness', ['neuroticism.Impulsiveness']),
  construct('vulnerability', 'Vulnerability', ['neuroticism.Vulnerability']),
  construct('novelty', 'Openness to actions', ['openness.Actions']),
  construct('empathy', 'Empathy', ['openness.Empathy']),
  construct('fantasy', 'Fantasy', ['openness.Fantasy']),
  construct('reciprocity', 'Bounded reciprocity', ['wellBeing.Bounded reciprocity']),
  construct('perseverance', 'Perseverance', [
    'wellBeing.Grit',
    'motivations.Persistence',
    'wellBeing.Resilience',
  ]),
  construct('physical_activity', 'Physical activity level', ['wellBeing.Physical activity level']),
  construct('physical_health', 'Physical well-being', ['wellBeing.Physical well-being']),
  construct('psychological_health', 'Psychological well-being', ['wellBeing.Psychological well-being']),
  construct('sleep', 'Sleep', ['wellBeing.Sleep']),
  construct('social_health', 'Social well-being', ['wellBeing.Social well-being']),
];

/**
 * A construct's score (0–100) read back from stored scores: its first name reported as it is
 * (not reversed). Undefined when the stored result has none (a skipped construct).
 */
export function constructScore(scores: unknown, construct: MeasuredConstruct): number | undefined {
  const byCategory = (scores ?? {}) as Record<string, Record<string, unknown> | undefined>;
  for (const name of construct.reportedAs) {
    const value = byCategory[name.category]?.[name.trait];
    if (typeof value === 'number' && Number.isFinite(value)) return name.reversed ? 100 - value : value;
  }
  return undefined;
}
