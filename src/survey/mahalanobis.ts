import { round } from '../domain/round.js';
/**
 * Mahalanobis distance of one player's answers from the answers of the scope's completed players:
 * a profile no real player gives (random answering breaks the correlations between statements of
 * one construct) lies far out. The covariance is shrunk towards its diagonal, because a survey has
 * more statements than a young scope has players. The cut-off is an upper outer fence (Q3 + 3 × IQR)
 * of distances measured out of sample: the mean and covariance come from three players in four,
 * the fence from the fourth, as a new player is measured (in-sample distances are smaller, and a
 * fence from them would flag careful players). So shrinkage needs no χ² calibration either.
 */

export interface MahalanobisReference {
  itemIds: readonly string[];
  mean: readonly number[];
  /** Inverse of the shrunk covariance matrix. */
  inverse: readonly (readonly number[])[];
  /** Distances above this are outlying. */
  fence: number;
  respondents: number;
}

/** Weight of the diagonal target in the shrunk covariance. */
const SHRINKAGE = 0.2;

function invert(matrix: number[][]): number[][] | null {
  const n = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    if (Math.abs(a[pivot]![c]!) < 1e-12) return null;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const row = a[c]!;
    const p = row[c]!;
    for (let j = 0; j < 2 * n; j++) row[j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const target = a[r]!;
      const f = target[c]!;
      if (f === 0) continue;
      for (let j = 0; j < 2 * n; j++) target[j]! -= f * row[j]!;
    }
  }
  return a.map((row) => row.slice(n));
}

function distance(
  values: readonly number[],
  mean: readonly number[],
  inverse: readonly (readonly number[])[],
): number {
  const d = values.map((v, i) => (Number.isFinite(v) ? v - mean[i]! : 0));
  let total = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === 0) continue;
    const row = inverse[i]!;
    let s = 0;
    for (let j = 0; j < d.length; j++) s += row[j]! * d[j]!;
    total += d[i]! * s;
  }
  return total;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

/**
 * The reference from `rows` (one per completed player, values in `itemIds` order; NaN for a
 * skipped statement, which counts as the mean). Null below `minimum` players.
 */
export function mahalanobisReference(
  itemIds: readonly string[],
  rows: readonly (readonly number[])[],
  minimum: number,
  fenceIqr: number,
): MahalanobisReference | null {
  if (rows.length < minimum) return null;
  const fit = rows.filter((_, r) => r % 4 !== 0);
  const calibration = rows.filter((_, r) => r % 4 === 0);
  const p = itemIds.length;
  const mean = Array.from({ length: p }, (_, j) => {
    const present = fit.map((r) => r[j]!).filter(Number.isFinite);
    return present.length === 0 ? 0 : present.reduce((a, b) => a + b, 0) / present.length;
  });
  const centred = fit.map((r) => r.map((v, j) => (Number.isFinite(v) ? v - mean[j]! : 0)));
  const covariance = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (const row of centred) {
    for (let i = 0; i < p; i++) {
      const vi = row[i]!;
      if (vi === 0) continue;
      const target = covariance[i]!;
      for (let j = i; j < p; j++) target[j]! += vi * row[j]!;
    }
  }
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      const value = covariance[i]![j]! / (fit.length - 1);
      // Shrink off-diagonal terms; a constant statement still gets a little variance.
      const shrunk = i === j ? Math.max(value, 0.01) : (1 - SHRINKAGE) * value;
      covariance[i]![j] = shrunk;
      covariance[j]![i] = shrunk;
    }
  }
  const inverse = invert(covariance);
  if (!inverse) return null;
  const distances = calibration.map((r) => distance(r, mean, inverse)).sort((a, b) => a - b);
  const q1 = quantile(distances, 0.25);
  const q3 = quantile(distances, 0.75);
  return { itemIds, mean, inverse, fence: round(q3 + fenceIqr * (q3 - q1)), respondents: rows.length };
}

/** One player's distance from the reference (answers by item id; a skipped one counts as the mean). */
export function mahalanobisDistance(
  reference: MahalanobisReference,
  answers: ReadonlyMap<string, number>,
): number {
  const values = reference.itemIds.map((id) => {
    const v = answers.get(id);
    return v !== undefined && v >= 1 && v <= 5 ? v : NaN;
  });
  return round(distance(values, reference.mean, reference.inverse));
}
