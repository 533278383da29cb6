import { seededRandom } from '../domain/seeded-random.js';

/**
 * Internal consistency of one scale, as pure functions over a respondents × items matrix of keyed
 * values (reverse keys applied, no missing cells): Cronbach's α, McDonald's ω from a one-factor
 * model, and seeded percentile bootstrap intervals for both.
 */

export type Rows = readonly (readonly number[])[];

/**
 * The items' covariance matrix, each row counted `weights[r]` times (once without weights): a
 * bootstrap resample is a count per distinct answer pattern, so it costs no copy of the data.
 */
function covariance(rows: Rows, weights?: Int32Array): number[][] {
  const k = rows[0]?.length ?? 0;
  const sums = new Float64Array(k);
  const products = new Float64Array(k * k);
  let n = 0;
  for (let r = 0; r < rows.length; r++) {
    const w = weights ? weights[r]! : 1;
    if (w === 0) continue;
    n += w;
    const row = rows[r]!;
    for (let i = 0; i < k; i++) {
      const vi = row[i]! * w;
      sums[i]! += vi;
      for (let j = i; j < k; j++) products[i * k + j]! += vi * row[j]!;
    }
  }
  const c = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      const value = (products[i * k + j]! - (sums[i]! * sums[j]!) / n) / (n - 1);
      c[i]![j] = value;
      c[j]![i] = value;
    }
  }
  return c;
}

/** The distinct rows, and for each row the index of its pattern. */
function patterns(rows: Rows): { distinct: number[][]; patternOf: Int32Array } {
  const index = new Map<string, number>();
  const distinct: number[][] = [];
  const patternOf = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    const key = row.join(',');
    let at = index.get(key);
    if (at === undefined) {
      at = distinct.length;
      index.set(key, at);
      distinct.push([...row]);
    }
    patternOf[r] = at;
  });
  return { distinct, patternOf };
}

function alphaOf(c: readonly (readonly number[])[]): number {
  const k = c.length;
  let trace = 0;
  let total = 0;
  for (let i = 0; i < k; i++) {
    trace += c[i]![i]!;
    for (let j = 0; j < k; j++) total += c[i]![j]!;
  }
  return k < 2 || total <= 0 ? NaN : (k / (k - 1)) * (1 - trace / total);
}

/** Correlations from covariances; an item without variance correlates 0 with the others. */
function correlationOf(c: readonly (readonly number[])[]): number[][] {
  const sd = c.map((row, i) => Math.sqrt(Math.max(row[i]!, 0)));
  return c.map((row, i) =>
    row.map((v, j) => (i === j ? 1 : sd[i] === 0 || sd[j] === 0 ? 0 : v / (sd[i]! * sd[j]!))),
  );
}

function omegaOf(c: readonly (readonly number[])[]): number {
  if (c.length < 2) return NaN;
  const loadings = oneFactorLoadings(correlationOf(c));
  const common = loadings.reduce((a, b) => a + b, 0) ** 2;
  const unique = loadings.reduce((a, l) => a + (1 - l * l), 0);
  return common + unique === 0 ? NaN : common / (common + unique);
}

/** Cronbach's α = k/(k − 1) × (1 − Σ item variances / variance of the sum); NaN when undefined. */
export function cronbachAlpha(rows: Rows): number {
  return rows.length < 2 ? NaN : alphaOf(covariance(rows));
}

/** The items' correlation matrix; a constant item correlates 0 with the others. */
export function correlationMatrix(rows: Rows): number[][] {
  return correlationOf(covariance(rows));
}

/**
 * The largest eigenvalue and its unit eigenvector of a small symmetric matrix, by cyclic Jacobi
 * rotations: exact to rounding, a few sweeps for a scale's handful of items.
 */
function leadingEigen(matrix: readonly (readonly number[])[]): { value: number; vector: number[] } {
  const k = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v: number[][] = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p]![q]! ** 2;
    if (off < 1e-14) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r]![p]!;
          const arq = a[r]![q]!;
          a[r]![p] = c * arp - s * arq;
          a[r]![q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p]![r]!;
          const aqr = a[q]![r]!;
          a[p]![r] = c * apr - s * aqr;
          a[q]![r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r]![p]!;
          const vrq = v[r]![q]!;
          v[r]![p] = c * vrp - s * vrq;
          v[r]![q] = s * vrp + c * vrq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < k; i++) if (a[i]![i]! > a[best]![best]!) best = i;
  return { value: a[best]![best]!, vector: v.map((row) => row[best]!) };
}

/**
 * Standardised loadings of a one-factor model fitted to the correlation matrix by iterated
 * principal axis factoring (communalities start at each item's largest correlation), signed so
 * that they sum to a positive number, and each kept within [−1, 1] (no Heywood case).
 */
export function oneFactorLoadings(correlations: readonly (readonly number[])[]): number[] {
  const k = correlations.length;
  let communalities = correlations.map((row, i) => Math.max(...row.filter((_, j) => j !== i).map(Math.abs)));
  let loadings = new Array<number>(k).fill(0);
  for (let iteration = 0; iteration < 25; iteration++) {
    const reduced = correlations.map((row, i) => row.map((v, j) => (i === j ? communalities[i]! : v)));
    const { value, vector } = leadingEigen(reduced);
    loadings = vector.map((v) => Math.max(-1, Math.min(1, v * Math.sqrt(Math.max(value, 0)))));
    const next = loadings.map((l) => l * l);
    const change = next.reduce((a, v, i) => a + Math.abs(v - communalities[i]!), 0);
    communalities = next;
    if (change < 1e-4) break;
  }
  const sum = loadings.reduce((a, b) => a + b, 0);
  return sum < 0 ? loadings.map((l) => -l) : loadings;
}

/** McDonald's ω (total, one factor, standardised items) = (Σλ)² / ((Σλ)² + Σ(1 − λ²)); NaN if undefined. */
export function mcdonaldOmega(rows: Rows): number {
  return rows.length < 3 ? NaN : omegaOf(covariance(rows));
}

export interface Estimate {
  value: number;
  /** 95% percentile bootstrap interval. */
  low: number;
  high: number;
}

export interface ScaleReliability {
  alpha: Estimate;
  omega: Estimate;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

/**
 * α and ω of a scale with seeded percentile bootstrap intervals: `resamples` resamples of the
 * respondents (with replacement), both statistics computed on each from one covariance matrix.
 */
export function scaleReliability(rows: Rows, resamples: number, seed: number): ScaleReliability {
  const random = seededRandom(seed);
  const alphas: number[] = [];
  const omegas: number[] = [];
  // Four answers of five values make at most 625 patterns however many players answered.
  const { distinct, patternOf } = patterns(rows);
  const counts = new Int32Array(distinct.length);
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let r = 0; r < rows.length; r++) counts[patternOf[Math.floor(random() * rows.length)]!]!++;
    const c = covariance(distinct, counts);
    const alpha = alphaOf(c);
    const omega = omegaOf(c);
    if (Number.isFinite(alpha)) alphas.push(alpha);
    if (Number.isFinite(omega)) omegas.push(omega);
  }
  alphas.sort((a, b) => a - b);
  omegas.sort((a, b) => a - b);
  const whole = covariance(rows);
  return {
    alpha: { value: alphaOf(whole), low: percentile(alphas, 0.025), high: percentile(alphas, 0.975) },
    omega: { value: omegaOf(whole), low: percentile(omegas, 0.025), high: percentile(omegas, 0.975) },
  };
}
