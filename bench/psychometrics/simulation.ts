import { SCALES, type Scale } from '../../src/survey/item-bank.js';
import { keyedValue } from '../../src/survey/scoring.js';
import { seededRandom } from '../../src/domain/seeded-random.js';

/**
 * A latent-trait simulation of survey respondents, to check that every scale's items hang
 * together once scored (reverse keys applied) — Cronbach's α per scale.
 *
 * Each respondent has a latent value θ ~ N(0, 1) per trait and an acquiescence bias a ~ N(0, 0.2)
 * (a tendency to agree with anything). Each item has a loading λ ∈ [0.7, 1.0] and an intercept
 * b ∈ [−0.4, 0.4], drawn once. The respondent's agreement with an item is
 * z = ±λθ + b + a + ε, ε ~ N(0, σ) (minus for reverse-keyed statements: agreeing with one means
 * less of the trait), discretised to 1–5 at −1.5, −0.5, 0.5, 1.5; then scored like real answers.
 */
export interface SimulationOptions {
  respondents: number;
  seed: number;
  /** Item noise standard deviation σ. */
  noise: number;
}

export const DEFAULT_SIMULATION: SimulationOptions = { respondents: 5000, seed: 7, noise: 0.6 };

export interface ScaleReliability {
  category: string;
  trait: string;
  items: number;
  reverse: number;
  alpha: number;
}

function normal(random: () => number): () => number {
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

function variance(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
}

/** Cronbach's α of k item columns (each the keyed values of every respondent). */
export function cronbachAlpha(columns: readonly (readonly number[])[]): number {
  const k = columns.length;
  if (k < 2) throw new Error('alpha needs at least two items');
  const n = columns[0]!.length;
  const totals = Array.from({ length: n }, (_, r) => columns.reduce((sum, col) => sum + col[r]!, 0));
  const itemVariance = columns.reduce((sum, col) => sum + variance(col), 0);
  return (k / (k - 1)) * (1 - itemVariance / variance(totals));
}

/** α for every scale on simulated respondents (keyed values, as the scorer sees them). */
export function simulateReliability(
  options: Partial<SimulationOptions> = {},
  scales: readonly Scale[] = SCALES,
): ScaleReliability[] {
  const { respondents, seed, noise } = { ...DEFAULT_SIMULATION, ...options };
  const random = seededRandom(seed);
  const gauss = normal(random);
  const params = new Map(
    scales.flatMap((s) =>
      s.items.map((i) => [i.id, { loading: 0.7 + 0.3 * random(), intercept: -0.4 + 0.8 * random() }]),
    ),
  );
  const columns = new Map(scales.flatMap((s) => s.items.map((i) => [i.id, [] as number[]])));
  for (let r = 0; r < respondents; r++) {
    const acquiescence = 0.2 * gauss();
    for (const scale of scales) {
      const theta = gauss();
      for (const item of scale.items) {
        const { loading, intercept } = params.get(item.id)!;
        const z = (item.reverse ? -1 : 1) * loading * theta + intercept + acquiescence + noise * gauss();
        columns.get(item.id)!.push(keyedValue(item, discretise(z)));
      }
    }
  }
  return scales.map((scale) => ({
    category: scale.category,
    trait: scale.trait,
    items: scale.items.length,
    reverse: scale.items.filter((i) => i.reverse).length,
    alpha: cronbachAlpha(scale.items.map((i) => columns.get(i.id)!)),
  }));
}
