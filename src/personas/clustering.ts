import { kmeans } from 'ml-kmeans';
import { sampleIndices } from './random.js';

export interface ClusteringOptions {
  /** Below this many surveyed players there is one persona holding them all. */
  minPlayers: number;
  minK: number;
  maxK: number;
  /** k-means++ runs per k, one per seed; the lowest inertia is kept. */
  seeds: readonly number[];
  /** A k whose smallest cluster holds less than this share of the players is not considered. */
  minShare: number;
  /** k-means runs on at most this many players (a fixed-seed sample); the rest are assigned. */
  fitSample: number;
  /** The silhouette is measured on at most this many of the fitted players. */
  silhouetteSample: number;
  /** Lloyd steps per run at most (runs usually converge well before). */
  maxIterations: number;
}

export const CLUSTERING_DEFAULTS: ClusteringOptions = {
  minPlayers: 10,
  minK: 2,
  maxK: 8,
  seeds: [11, 23, 37],
  minShare: 0.05,
  fitSample: 5_000,
  silhouetteSample: 2_000,
  maxIterations: 50,
};

export interface Clustering {
  k: number;
  /** Cluster of each player, 0..k-1. */
  labels: Int32Array;
  /** Each cluster's mean in the data's own units (trait scores 0–100). */
  centroids: number[][];
  sizes: number[];
  /** Mean silhouette of the chosen k on the sample; null when k = 1. */
  silhouette: number | null;
  /** Every k tried and its silhouette (null: refused by the minimum cluster share). */
  tried: { k: number; silhouette: number | null }[];
}

const SEEDING_SAMPLE = 1_000;

/** Yields to the event loop between expensive steps, so a server keeps answering during a recompute. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Clusters n points of d dimensions (row-major in `data`): z-scores per dimension, k-means++
 * (ml-kmeans, fixed seeds, best inertia) for each k, k chosen by the silhouette among the ks whose
 * clusters all hold at least `minShare` of the points.
 */
export async function clusterPoints(
  data: Float32Array,
  n: number,
  d: number,
  options: ClusteringOptions = CLUSTERING_DEFAULTS,
): Promise<Clustering> {
  if (n === 0)
    return { k: 0, labels: new Int32Array(0), centroids: [], sizes: [], silhouette: null, tried: [] };
  if (n < options.minPlayers) return single(data, n, d);

  const { mean, sd } = moments(data, n, d);
  const z = (i: number): number[] => {
    const row = new Array<number>(d);
    for (let j = 0; j < d; j++) row[j] = (data[i * d + j]! - mean[j]!) / sd[j]!;
    return row;
  };
  const fitIndex = sampleIndices(n, options.fitSample, 7);
  const fitRows = Array.from(fitIndex, (i) => z(i));
  const m = fitRows.length;
  const fit = new Float64Array(m * d);
  fitRows.forEach((row, i) => {
    fit.set(row, i * d);
  });
  const silIndex = sampleIndices(m, options.silhouetteSample, 13);
  // k-means++ seeding (ml-matrix distances to every point) costs more than the Lloyd steps: it
  // picks its centres among a sub-sample.
  const seedRows = Array.from(sampleIndices(m, SEEDING_SAMPLE, 17), (i) => fitRows[i]!);
  const distances = pairwiseDistances(silIndex, fitRows);

  const tried: Clustering['tried'] = [];
  let best: { k: number; centroids: number[][]; silhouette: number } | undefined;
  const maxK = Math.min(options.maxK, Math.floor(m / 2));
  for (let k = options.minK; k <= maxK; k++) {
    let bestRun: LloydResult | undefined;
    for (const seed of options.seeds) {
      // ml-kmeans seeds the centres (k-means++, greedy with local trials) and takes a first
      // step; the Lloyd steps then run over the whole fit sample on a flat typed array, ~10×
      // faster than ml-kmeans' nested arrays (35 ms per step at 10,000 players × 66 traits).
      const start = kmeans(seedRows, k, { seed, initialization: 'kmeans++', maxIterations: 1 });
      const run = lloyd(fit, m, d, start.centroids, options.maxIterations);
      if (!bestRun || run.inertia < bestRun.inertia) bestRun = run;
      await breathe();
    }
    const run = bestRun!;
    const sizes = new Array<number>(k).fill(0);
    for (const label of run.labels) sizes[label]!++;
    if (Math.min(...sizes) < Math.max(2, options.minShare * m)) {
      tried.push({ k, silhouette: null });
      continue;
    }
    const labels = Array.from(silIndex, (i) => run.labels[i]!);
    const silhouette = meanSilhouette(distances, labels, k);
    tried.push({ k, silhouette });
    // Ties keep the smaller k: the simpler description of the players.
    if (!best || silhouette > best.silhouette + 1e-9) best = { k, centroids: run.centroids, silhouette };
  }
  if (!best) return { ...single(data, n, d), tried };

  // Every player (not only the sample) to its nearest centroid, then the centroids as their means.
  const labels = new Int32Array(n);
  const point = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) point[j] = (data[i * d + j]! - mean[j]!) / sd[j]!;
    labels[i] = nearest(best.centroids, point);
  }
  const { centroids, sizes } = meansByLabel(data, n, d, labels, best.k);
  return { k: best.k, labels, centroids, sizes, silhouette: best.silhouette, tried };
}

function single(data: Float32Array, n: number, d: number): Clustering {
  const labels = new Int32Array(n);
  const { centroids, sizes } = meansByLabel(data, n, d, labels, 1);
  return { k: 1, labels, centroids, sizes, silhouette: null, tried: [] };
}

function moments(data: Float32Array, n: number, d: number): { mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const x = data[i * d + j]! - mean[j]!;
      sd[j]! += x * x;
    }
  // A trait everybody scored alike carries no information: it must not divide by zero.
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]! / n) || 1;
  return { mean, sd };
}

export function meansByLabel(
  data: Float32Array,
  n: number,
  d: number,
  labels: Int32Array,
  k: number,
): { centroids: number[][]; sizes: number[] } {
  const sums = Array.from({ length: k }, () => new Float64Array(d));
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    sizes[label]!++;
    const sum = sums[label]!;
    for (let j = 0; j < d; j++) sum[j]! += data[i * d + j]!;
  }
  return { centroids: sums.map((sum, c) => Array.from(sum, (s) => s / Math.max(1, sizes[c]!))), sizes };
}

function nearest(centroids: readonly number[][], point: ArrayLike<number>): number {
  let best = 0;
  let bestDistance = Infinity;
  centroids.forEach((centroid, c) => {
    let distance = 0;
    for (let j = 0; j < centroid.length; j++) {
      const x = point[j]! - centroid[j]!;
      distance += x * x;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  });
  return best;
}

interface LloydResult {
  labels: Int32Array;
  centroids: number[][];
  inertia: number;
}

/** Lloyd's k-means steps from the given centres until at most 0.1% of the players change cluster. */
function lloyd(
  data: Float64Array,
  n: number,
  d: number,
  start: readonly number[][],
  maxIterations: number,
): LloydResult {
  const k = start.length;
  const centres = new Float64Array(k * d);
  start.forEach((c, i) => {
    centres.set(c, i * d);
  });
  const labels = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  let inertia = 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let bestC = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        let dist = 0;
        for (let j = 0; j < d; j++) {
          const x = data[i * d + j]! - centres[c * d + j]!;
          dist += x * x;
        }
        if (dist < bestD) {
          bestD = dist;
          bestC = c;
        }
      }
      if (labels[i] !== bestC) changed++;
      labels[i] = bestC;
      inertia += bestD;
    }
    // Converged: (almost) nobody moves. The last few boundary players do not change the personas.
    if (changed <= n * 0.001) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]!++;
      for (let j = 0; j < d; j++) sums[c * d + j]! += data[i * d + j]!;
    }
    // An emptied cluster keeps its centre.
    for (let c = 0; c < k; c++)
      if (counts[c]! > 0) for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j]! / counts[c]!;
  }
  const centroids = Array.from({ length: k }, (_, c) => Array.from(centres.subarray(c * d, c * d + d)));
  return { labels, centroids, inertia };
}

/** Euclidean distances between the sampled rows, computed once and reused for every k. */
function pairwiseDistances(index: Int32Array, rows: readonly number[][]): Float32Array {
  const s = index.length;
  const out = new Float32Array(s * s);
  for (let a = 0; a < s; a++) {
    const x = rows[index[a]!]!;
    for (let b = a + 1; b < s; b++) {
      const y = rows[index[b]!]!;
      let sum = 0;
      for (let j = 0; j < x.length; j++) {
        const diff = x[j]! - y[j]!;
        sum += diff * diff;
      }
      const distance = Math.sqrt(sum);
      out[a * s + b] = distance;
      out[b * s + a] = distance;
    }
  }
  return out;
}

/** Mean silhouette (Rousseeuw 1987) of labelled points given their distance matrix. */
export function meanSilhouette(distances: Float32Array, labels: readonly number[], k: number): number {
  const s = labels.length;
  const counts = new Array<number>(k).fill(0);
  for (const label of labels) counts[label]!++;
  let total = 0;
  const sums = new Float64Array(k);
  for (let a = 0; a < s; a++) {
    sums.fill(0);
    for (let b = 0; b < s; b++) if (a !== b) sums[labels[b]!]! += distances[a * s + b]!;
    const own = labels[a]!;
    if (counts[own]! <= 1) continue; // a singleton's silhouette is 0
    const inside = sums[own]! / (counts[own]! - 1);
    let outside = Infinity;
    for (let c = 0; c < k; c++)
      if (c !== own && counts[c]! > 0) outside = Math.min(outside, sums[c]! / counts[c]!);
    const denominator = Math.max(inside, outside);
    total += denominator > 0 && Number.isFinite(outside) ? (outside - inside) / denominator : 0;
  }
  return total / s;
}
