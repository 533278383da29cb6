import { pearson } from '../../src/survey/careless.js';
import { SCALES, type Scale } from '../../src/survey/item-bank.js';
import { constructScores } from '../../src/survey/scoring.js';
import { seededRandom } from '../../src/domain/seeded-random.js';

/**
 * Simulated respondents, to check the scoring pipeline (keys, merges, scale arithmetic) — not the
 * item bank's reliability, which only real answers can show (survey-quality.service.ts).
 *
 * Each respondent has a latent value θ ~ N(0, 1) per construct and an acquiescence bias
 * a ~ N(0, 0.3). Each item has a loading λ ∈ [0.5, 0.9] and an intercept b ∈ [−0.3, 0.3]. The
 * agreement with an item is z = ±λθ + b + a + ε, ε ~ N(0, σ) (minus for reverse-keyed statements),
 * discretised to 1–5 at −1.5, −0.5, 0.5, 1.5. With σ = 1 (the default) two statements of one
 * construct correlate about 0.3, as published personality items typically do: realistic noise.
 */
export interface SimulationOptions {
  respondents: number;
  seed: number;
  /** Item noise standard deviation σ. */
  noise: number;
}

export const DEFAULT_SIMULATION: SimulationOptions = { respondents: 2000, seed: 7, noise: 1 };

export interface Respondent {
  /** Latent value per construct code. */
  theta: Map<string, number>;
  answers: Map<string, number>;
}

export function normal(random: () => number): () => number {
  return () => {
    // Box–Muller; 1 − u keeps the logarithm finite.
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function discretise(z: number): number {
  return z < -1.5 ? 1 : z < -0.5 ? 2 : z < 0.5 ? 3 : z < 1.5 ? 4 : 5;
}

/** Respondents under the latent-trait model above, answering every statement (raw answers 1–5). */
export function simulateRespondents(
  options: Partial<SimulationOptions> = {},
  scales: readonly Scale[] = SCALES,
): Respondent[] {
  const { respondents, seed, noise } = { ...DEFAULT_SIMULATION, ...options };
  const random = seededRandom(seed);
  const gauss = normal(random);
  const params = new Map(
    scales.flatMap((s) =>
      s.items.map((i) => [i.id, { loading: 0.5 + 0.4 * random(), intercept: -0.3 + 0.6 * random() }]),
    ),
  );
  return Array.from({ length: respondents }, () => {
    const acquiescence = 0.3 * gauss();
    const theta = new Map<string, number>();
    const answers = new Map<string, number>();
    for (const scale of scales) {
      const t = gauss();
      theta.set(scale.construct.code, t);
      for (const item of scale.items) {
        const { loading, intercept } = params.get(item.id)!;
        const z = (item.reverse ? -1 : 1) * loading * t + intercept + acquiescence + noise * gauss();
        answers.set(item.id, discretise(z));
      }
    }
    return { theta, answers };
  });
}

export interface Recovery {
  construct: string;
  name: string;
  /** Correlation of the true θ with the score the pipeline computed. */
  r: number;
}

/** How well the scores the pipeline computes follow the simulated true values, per construct. */
export function scoreRecovery(options: Partial<SimulationOptions> = {}): Recovery[] {
  const people = simulateRespondents(options);
  const scores = people.map((p) => constructScores(p.answers));
  return SCALES.map((scale) => {
    const code = scale.construct.code;
    return {
      construct: code,
      name: scale.construct.name,
      r: pearson(
        people.map((p) => p.theta.get(code)!),
        scores.map((s) => s.get(code)!),
      ),
    };
  });
}
