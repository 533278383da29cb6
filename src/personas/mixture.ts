import { seededRandom } from '../domain/seeded-random.js';
import { cholesky, logDeterminant, solveCholesky, solveLower, traceOfSolve } from './linear-algebra.js';

/**
 * A Gaussian mixture whose components share one covariance matrix ("tied"), fitted by EM.
 *
 * Why tied: trait scores are strongly correlated (facets of one domain move together), so the
 * covariance must be full, not diagonal — a diagonal model reads the correlation as extra
 * clusters. One full covariance per component is ~1,900 parameters per persona over ~60
 * coordinates and cannot be estimated from realistic samples. Shared, it is estimated once from
 * every player, and each extra persona costs only its mean and weight (d + 1 parameters), which
 * is what the BIC then weighs. The shared covariance's correlations are shrunk towards zero
 * with weight (d + 2) / (m + d + 2), as if d + 2 pseudo-players with uncorrelated traits (of the
 * same variances) were added — the spirit of mclust's conjugate prior (Fraley & Raftery 2007),
 * kept on the within-persona variances so tight personas stay tight. It keeps the covariance
 * invertible when players are few for ~60 coordinates and stops a small sample from "finding" a
 * persona in a direction where it merely happens to split (with players not much more numerous
 * than coordinates almost any split fits); at thousands of players its weight is negligible.
 *
 * Data are m standardised rows of d coordinates (mean 0), row-major.
 */
export interface MixtureData {
  x: Float64Array;
  m: number;
  d: number;
  /** The total covariance Xᵀ·X / m (d×d). */
  total: Float64Array;
  /** Weight of the shrinkage of correlations towards zero: (d + 2) / (m + d + 2). */
  shrinkage: number;
}

export interface MixtureFit {
  k: number;
  weights: Float64Array;
  /** k×d component means. */
  means: Float64Array;
  /** Cholesky factor of the shared (shrunk) covariance. */
  covariance: Float64Array;
  logLikelihood: number;
  /** m×k posterior membership probabilities of the fitted rows. */
  responsibilities: Float64Array;
}

export interface MixtureOptions {
  /** Two k-means starts per seed; each gets `shortIterations` of EM and the best is run on. */
  seeds: readonly number[];
  shortIterations: number;
  maxIterations: number;
}

const LLOYD_STEPS = 10;
const SEEDING_SAMPLE = 2_000;
/** EM stops when the log-likelihood gains less than this per row. */
const TOLERANCE_PER_ROW = 1e-4;
const LOG_2PI = Math.log(2 * Math.PI);

/** The total covariance of standardised rows and the weight of the covariance prior. */
export function prepareMixtureData(x: Float64Array, m: number, d: number): MixtureData {
  const total = new Float64Array(d * d);
  for (let i = 0; i < m; i++) {
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const xa = x[row + a]!;
      for (let b = 0; b <= a; b++) total[a * d + b]! += xa * x[row + b]!;
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = 0; b <= a; b++) {
      total[a * d + b]! /= m;
      total[b * d + a] = total[a * d + b]!;
    }
  return { x, m, d, total, shrinkage: (d + 2) / (m + d + 2) };
}

/** Free parameters of a k-component tied mixture in d dimensions. */
export function parameterCount(k: number, d: number): number {
  return k * d + (k - 1) + (d * (d + 1)) / 2;
}

/** Bayesian information criterion (lower is better). */
export function bic(fit: MixtureFit, data: MixtureData): number {
  return -2 * fit.logLikelihood + parameterCount(fit.k, data.d) * Math.log(data.m);
}

/**
 * 1 − (classification entropy) / (m · ln k): 1 when every player belongs to one persona with
 * certainty, 0 when every player is equally likely in all of them. 1 for k = 1.
 */
export function relativeEntropy(responsibilities: Float64Array, m: number, k: number): number {
  if (k < 2 || m === 0) return 1;
  let entropy = 0;
  for (let i = 0; i < m * k; i++) {
    const r = responsibilities[i]!;
    if (r > 0) entropy -= r * Math.log(r);
  }
  return 1 - entropy / (m * Math.log(k));
}

/** The best of the EM fits started from `options.seeds` (k = 1 is closed form). */
export function fitMixture(data: MixtureData, k: number, options: MixtureOptions): MixtureFit {
  if (k === 1) {
    const state = new EmState(data, 1);
    state.responsibilities.fill(1);
    state.maximise();
    state.expect();
    return state.result();
  }
  let best: EmState | undefined;
  // Two views to start from: k-means on the standardised scores finds personas apart along the
  // traits' main (correlated) directions, k-means on whitened scores finds those apart against
  // the correlation; neither finds both kinds reliably.
  for (const rows of [data.x, whiten(data)])
    for (const seed of options.seeds) {
      const state = new EmState(data, k);
      state.startFromLabels(kMeansLabels(rows, data.m, data.d, k, seed));
      state.run(options.shortIterations);
      if (!best || state.logLikelihood > best.logLikelihood) best = state;
    }
  best!.run(options.maxIterations);
  return best!.result();
}

/**
 * A fitted mixture as k linear scores: log(πc·N(x; μc, Σ)) = x·ac + bc + (a term shared by every
 * c), so posteriors of new rows cost k dot products.
 */
export interface Scorer {
  k: number;
  d: number;
  /** k×d: Σ⁻¹·μc. */
  slopes: Float64Array;
  /** log πc − μcᵀ·Σ⁻¹·μc / 2. */
  intercepts: Float64Array;
}

export function scorerOf(fit: MixtureFit, d: number): Scorer {
  const slopes = new Float64Array(fit.k * d);
  const intercepts = new Float64Array(fit.k);
  for (let c = 0; c < fit.k; c++) {
    const mean = fit.means.subarray(c * d, c * d + d);
    const slope = solveCholesky(fit.covariance, d, Float64Array.from(mean));
    slopes.set(slope, c * d);
    let quadratic = 0;
    for (let j = 0; j < d; j++) quadratic += mean[j]! * slope[j]!;
    intercepts[c] = Math.log(Math.max(fit.weights[c]!, 1e-300)) - quadratic / 2;
  }
  return { k: fit.k, d, slopes, intercepts };
}

/**
 * Writes the posterior probabilities of one row (`x` from `offset`, d values) into `out` from
 * `outOffset`; returns log Σc exp(score c), the row's log-likelihood up to the shared term.
 */
export function posteriorOf(
  scorer: Scorer,
  x: ArrayLike<number>,
  offset: number,
  out: Float64Array | Float32Array,
  outOffset: number,
): number {
  const { k, d, slopes, intercepts } = scorer;
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    let s = intercepts[c]!;
    for (let j = 0; j < d; j++) s += x[offset + j]! * slopes[c * d + j]!;
    out[outOffset + c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(out[outOffset + c]! - max);
    out[outOffset + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) out[outOffset + c]! /= sum;
  return max + Math.log(sum);
}

/** One EM run: responsibilities ↔ (weights, means, shared covariance). */
class EmState {
  readonly responsibilities: Float64Array;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  covariance: Float64Array = new Float64Array(0);
  logLikelihood = -Infinity;

  constructor(
    private readonly data: MixtureData,
    readonly k: number,
  ) {
    this.responsibilities = new Float64Array(data.m * k);
    this.weights = new Float64Array(k);
    this.means = new Float64Array(k * data.d);
  }

  startFromLabels(labels: Int32Array): void {
    this.responsibilities.fill(0);
    labels.forEach((label, i) => (this.responsibilities[i * this.k + label] = 1));
    this.maximise();
    this.expect();
  }

  run(iterations: number): void {
    for (let t = 0; t < iterations; t++) {
      const before = this.logLikelihood;
      this.maximise();
      this.expect();
      if (Math.abs(this.logLikelihood - before) < TOLERANCE_PER_ROW * this.data.m) break;
    }
  }

  /** Weights and means from the responsibilities; the covariance as total − between, shrunk. */
  maximise(): void {
    const { x, m, d, total, shrinkage } = this.data;
    const k = this.k;
    const { responsibilities: r, means, weights } = this;
    means.fill(0);
    weights.fill(0);
    for (let i = 0; i < m; i++)
      for (let c = 0; c < k; c++) {
        const w = r[i * k + c]!;
        if (w < 1e-12) continue;
        weights[c]! += w;
        for (let j = 0; j < d; j++) means[c * d + j]! += w * x[i * d + j]!;
      }
    const within = Float64Array.from(total);
    for (let c = 0; c < k; c++) {
      const n = weights[c]!;
      if (n > 0) for (let j = 0; j < d; j++) means[c * d + j]! /= n;
      weights[c] = n / m;
      // Σ_c πc·μc·μcᵀ is the between-persona covariance (the data are centred).
      for (let a = 0; a < d; a++) {
        const ma = means[c * d + a]! * weights[c]!;
        for (let b = 0; b < d; b++) within[a * d + b]! -= ma * means[c * d + b]!;
      }
    }
    this.covariance = shrunkFactor(within, d, total, shrinkage);
  }

  /** Responsibilities and log-likelihood from the parameters. */
  expect(): void {
    const { x, m, d, total } = this.data;
    const scorer = scorerOf(this.result(), d);
    let sum = 0;
    for (let i = 0; i < m; i++) sum += posteriorOf(scorer, x, i * d, this.responsibilities, i * this.k);
    // Σi xiᵀΣ⁻¹xi = m·trace(Σ⁻¹·T): the shared quadratic term, without a pass over the rows.
    const quadratic = m * traceOfSolve(this.covariance, d, total);
    this.logLikelihood = sum - quadratic / 2 - (m / 2) * (d * LOG_2PI + logDeterminant(this.covariance, d));
  }

  result(): MixtureFit {
    return {
      k: this.k,
      weights: this.weights,
      means: this.means,
      covariance: this.covariance,
      logLikelihood: this.logLikelihood,
      responsibilities: this.responsibilities,
    };
  }
}

/**
 * Cholesky factor of the shared covariance S with its correlations shrunk by `weight` (the
 * variances kept). Positive definite as long as no coordinate is constant (those are dropped).
 */
function shrunkFactor(s: Float64Array, d: number, total: Float64Array, weight: number): Float64Array {
  const mode = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) mode[i] = (1 - weight) * s[i]!;
  // The diagonal keeps its own variance (a floor of a millionth of the total for safety).
  for (let a = 0; a < d; a++) mode[a * d + a] = Math.max(s[a * d + a]!, 1e-6 * total[a * d + a]!);
  const factor = cholesky(mode, d);
  if (!factor) throw new Error('the persona covariance is not positive definite (a constant coordinate?)');
  return factor;
}

/**
 * The rows in coordinates where the total covariance is the identity (x ↦ L⁻¹x, L·Lᵀ = the shrunk
 * total covariance). k-means there looks for groups against the traits' correlation instead of
 * splitting along the strongest correlated direction, which is what it does on raw scores.
 */
function whiten(data: MixtureData): Float64Array {
  const { x, m, d } = data;
  const factor = shrunkFactor(data.total, d, data.total, data.shrinkage);
  const out = Float64Array.from(x.subarray(0, m * d));
  for (let i = 0; i < m; i++) solveLower(factor, d, out.subarray(i * d, i * d + d));
  return out;
}

/** Hard labels from k-means++ seeding (on a sub-sample) and a few Lloyd steps over every row. */
function kMeansLabels(x: Float64Array, m: number, d: number, k: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const pool = Math.min(m, SEEDING_SAMPLE);
  const stride = m / pool;
  const poolRow = (p: number) => Math.floor(p * stride);
  const centres = new Float64Array(k * d);
  const nearest = new Float64Array(pool).fill(Infinity);
  let chosen = poolRow(Math.floor(random() * pool));
  for (let c = 0; c < k; c++) {
    centres.set(x.subarray(chosen * d, chosen * d + d), c * d);
    let total = 0;
    for (let p = 0; p < pool; p++) {
      const row = poolRow(p);
      let dist = 0;
      for (let j = 0; j < d; j++) {
        const diff = x[row * d + j]! - centres[c * d + j]!;
        dist += diff * diff;
      }
      if (dist < nearest[p]!) nearest[p] = dist;
      total += nearest[p]!;
    }
    // D² sampling: the next centre is far from the chosen ones with probability ∝ distance².
    let target = random() * total;
    let pick = pool - 1;
    for (let p = 0; p < pool; p++) {
      target -= nearest[p]!;
      if (target <= 0) {
        pick = p;
        break;
      }
    }
    chosen = poolRow(pick);
  }
  const labels = new Int32Array(m);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let step = 0; step < LLOYD_STEPS; step++) {
    let moved = 0;
    for (let i = 0; i < m; i++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < k; c++) {
        let dist = 0;
        for (let j = 0; j < d; j++) {
          const diff = x[i * d + j]! - centres[c * d + j]!;
          dist += diff * diff;
        }
        if (dist < bestDistance) {
          bestDistance = dist;
          best = c;
        }
      }
      if (labels[i] !== best || step === 0) moved++;
      labels[i] = best;
    }
    if (moved <= m * 0.001) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const c = labels[i]!;
      counts[c]!++;
      for (let j = 0; j < d; j++) sums[c * d + j]! += x[i * d + j]!;
    }
    for (let c = 0; c < k; c++)
      if (counts[c]! > 0) for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j]! / counts[c]!;
  }
  return labels;
}
