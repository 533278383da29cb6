import { seededNormal } from '../domain/seeded-random.js';
import {
  bic,
  fitMixture,
  posteriorOf,
  prepareMixtureData,
  relativeEntropy,
  scorerOf,
  type MixtureData,
  type MixtureFit,
} from './mixture.js';
import { cholesky } from './linear-algebra.js';
import { sampleIndices } from './random.js';

export interface ClusteringOptions {
  /** Below this many surveyed players there is one persona holding them all. */
  minPlayers: number;
  /** k is chosen among 1..maxK. */
  maxK: number;
  /** EM starts per k (k-means++ with each seed, on two views); the best after `shortIterations` runs on. */
  seeds: readonly number[];
  shortIterations: number;
  maxIterations: number;
  /** The mixture is fitted on at most this many players (a fixed-seed sample); everyone is then scored. */
  fitSample: number;
  /** A persona must hold at least this share of the players (expected size)… */
  minShare: number;
  /** …and at least this many of them. */
  minMembers: number;
  /** A k whose relative classification entropy is under this is refused: its personas blur. */
  minEntropy: number;
  /**
   * Null data sets (one Gaussian with the data's mean and covariance) the evidence must beat:
   * this many (19: a 5% test) while they hold at most `nullRows` rows in all, never fewer than 3.
   */
  nullReplicates: number;
  nullRows: number;
}

export const CLUSTERING_DEFAULTS: ClusteringOptions = {
  minPlayers: 10,
  maxK: 8,
  seeds: [11, 23],
  shortIterations: 10,
  maxIterations: 100,
  fitSample: 10_000,
  minShare: 0.05,
  minMembers: 5,
  minEntropy: 0.7,
  nullReplicates: 19,
  nullRows: 40_000,
};

export const MODEL_NAME = 'gaussian mixture, tied covariance';
/** What the CLI and the Personas page say when one persona is all the evidence supports. */
export const NO_DISTINCT_PERSONAS = 'no distinct personas in this segment';

/** How one k fared: its BIC, entropy and smallest persona, and why it was refused, if it was. */
export interface CandidateK {
  k: number;
  bic: number;
  log_likelihood: number;
  /** Relative classification entropy (1: crisp); null for k = 1. */
  entropy: number | null;
  /** The smallest persona's expected share of the fitted players. */
  smallest_share: number;
  refused: string | null;
}

export interface NullCheck {
  statistic: 'BIC(1) - BIC(k)';
  k: number;
  observed: number;
  /** The largest statistic among the null data sets. */
  null_max: number;
  replicates: number;
  passed: boolean;
}

export interface PersonaEvidence {
  model: typeof MODEL_NAME;
  criterion: 'BIC';
  coordinates: number;
  fitted_on: number;
  /** How much the shared covariance's correlations are shrunk towards 0: (d + 2) / (fitted players + d + 2). */
  shrinkage: number;
  candidates: CandidateK[];
  /** The k of lowest BIC among the candidates not refused. */
  best_k: number;
  /** Null: not run (the BIC already says one persona, or too few players). */
  null_check: NullCheck | null;
  /** Relative classification entropy of the chosen k (null for one persona). */
  entropy: number | null;
  /** The decision in one sentence. */
  conclusion: string;
}

export interface Clustering {
  k: number;
  /** False when one persona is all the evidence supports. */
  distinct: boolean;
  /** Persona of each player (the most probable), 0..k-1. */
  labels: Int32Array;
  /** n×k membership probabilities. */
  probabilities: Float32Array;
  /** Players assigned to each persona. */
  sizes: number[];
  /** Sum of each persona's membership probabilities. */
  expected: number[];
  evidence: PersonaEvidence | null;
}

/** Writes the d coordinates of player i into `out` from `offset`. */
export type RowReader = (i: number, out: Float64Array, offset: number) => void;

/** Yields to the event loop between fits, so a server keeps answering during a recompute. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));
const NULL_SEED = 101;

/**
 * Personas of n players of d coordinates: a tied-covariance Gaussian mixture (mixture.ts) for
 * every k from 1 to maxK on a fixed-seed sample, k by the lowest BIC among the ks whose personas
 * are big enough and crisp enough, then a null check: the BIC gain over one persona must beat
 * the gain found on data sets drawn from one Gaussian with the data's mean and covariance
 * (Gerlach et al. 2018). Every player then gets posterior membership probabilities.
 */
export async function clusterPlayers(
  read: RowReader,
  n: number,
  d: number,
  options: ClusteringOptions = CLUSTERING_DEFAULTS,
): Promise<Clustering> {
  if (n === 0)
    return {
      k: 0,
      distinct: false,
      labels: new Int32Array(0),
      probabilities: new Float32Array(0),
      sizes: [],
      expected: [],
      evidence: null,
    };
  if (n < options.minPlayers) return single(n, null);

  const sample = sampleIndices(n, options.fitSample, 7);
  const m = sample.length;
  const raw = new Float64Array(m * d);
  sample.forEach((row, i) => {
    read(row, raw, i * d);
  });
  const scale = standardiser(raw, m, d);
  const data = prepareMixtureData(scale.apply(raw, m), m, scale.kept.length);

  const { fits, candidates } = await selectK(data, options);
  const accepted = candidates.filter((c) => c.refused === null);
  const best = accepted.reduce((a, b) => (b.bic < a.bic ? b : a));
  const evidence: PersonaEvidence = {
    model: MODEL_NAME,
    criterion: 'BIC',
    coordinates: data.d,
    fitted_on: m,
    shrinkage: data.shrinkage,
    candidates,
    best_k: best.k,
    null_check: null,
    entropy: null,
    conclusion: '',
  };
  if (best.k === 1) {
    evidence.conclusion = 'one persona: no k > 1 improves the BIC while passing the size and entropy guards';
    return single(n, evidence);
  }
  const observed = candidates[0]!.bic - best.bic;
  evidence.null_check = await nullCheck(data, best.k, observed, options);
  if (!evidence.null_check.passed) {
    evidence.conclusion = `one persona: the BIC gain of k = ${best.k} does not beat data drawn from a single Gaussian`;
    return single(n, evidence);
  }
  evidence.entropy = best.entropy;
  evidence.conclusion = `${best.k} distinct personas: BIC, size and entropy guards and the null check agree`;
  return assign(read, n, d, scale, scorerOf(fits.get(best.k)!, data.d), evidence);
}

async function selectK(
  data: MixtureData,
  options: ClusteringOptions,
): Promise<{ fits: Map<number, MixtureFit>; candidates: CandidateK[] }> {
  const fits = new Map<number, MixtureFit>();
  const candidates: CandidateK[] = [];
  const minSize = Math.max(options.minMembers, options.minShare * data.m);
  const maxK = Math.max(1, Math.min(options.maxK, Math.floor(data.m / minSize)));
  for (let k = 1; k <= maxK; k++) {
    const fit = fitMixture(data, k, options);
    fits.set(k, fit);
    const smallest = Math.min(...fit.weights);
    const entropy = k === 1 ? null : relativeEntropy(fit.responsibilities, data.m, k);
    let refused: string | null = null;
    if (smallest * data.m < minSize)
      refused = `a persona would hold ${(smallest * 100).toFixed(1)}% of the players (minimum ${options.minShare * 100}% and ${options.minMembers})`;
    else if (entropy !== null && entropy < options.minEntropy)
      refused = `classification entropy ${entropy.toFixed(2)} is under ${options.minEntropy}: the personas overlap`;
    candidates.push({
      k,
      bic: bic(fit, data),
      log_likelihood: fit.logLikelihood,
      entropy,
      smallest_share: smallest,
      refused,
    });
    await breathe();
  }
  return { fits, candidates };
}

/**
 * The BIC gain of k over one persona on `replicates` data sets of the same size drawn from one
 * Gaussian with the data's mean and (shrunk) covariance, each standardised and fitted like the
 * data. Structure passes only when its gain beats every one of them.
 */
async function nullCheck(
  data: MixtureData,
  k: number,
  observed: number,
  options: ClusteringOptions,
): Promise<NullCheck> {
  const { m, d } = data;
  // The data's own covariance; a hair of ridge lets fewer players than coordinates factor it.
  const covariance = Float64Array.from(data.total);
  for (let a = 0; a < d; a++) covariance[a * d + a]! += 1e-6;
  const factor = cholesky(covariance, d)!;
  let nullMax = -Infinity;
  const replicates = Math.max(3, Math.min(options.nullReplicates, Math.floor(options.nullRows / m)));
  let ran = 0;
  for (let r = 0; r < replicates; r++) {
    ran++;
    const normal = seededNormal(NULL_SEED + r);
    const z = new Float64Array(d);
    const y = new Float64Array(m * d);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < d; j++) z[j] = normal();
      for (let a = 0; a < d; a++) {
        let sum = 0;
        for (let b = 0; b <= a; b++) sum += factor[a * d + b]! * z[b]!;
        y[i * d + a] = sum;
      }
    }
    const scale = standardiser(y, m, d);
    const replicate = prepareMixtureData(scale.apply(y, m), m, scale.kept.length);
    const one = fitMixture(replicate, 1, options);
    // One start is enough here: a worse null fit only makes the null gain smaller.
    const many = fitMixture(replicate, k, { ...options, seeds: options.seeds.slice(0, 1) });
    nullMax = Math.max(nullMax, bic(one, replicate) - bic(many, replicate));
    await breathe();
    if (nullMax >= observed) break; // already failed: the other replicates cannot change that
  }
  return {
    statistic: 'BIC(1) - BIC(k)',
    k,
    observed,
    null_max: nullMax,
    replicates: ran,
    passed: observed > nullMax,
  };
}

interface Standardiser {
  /** Coordinates that vary (a constant one carries no information and would make Σ singular). */
  kept: number[];
  mean: Float64Array;
  sd: Float64Array;
  /** z-scores of the kept coordinates of m rows of d. */
  apply(rows: Float64Array, m: number): Float64Array;
}

function standardiser(rows: Float64Array, m: number, d: number): Standardiser {
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) mean[j]! += rows[i * d + j]! / m;
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) sd[j]! += (rows[i * d + j]! - mean[j]!) ** 2 / m;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!);
  const kept = [...sd.keys()].filter((j) => sd[j]! > 1e-9);
  return {
    kept,
    mean,
    sd,
    apply(input, count) {
      const out = new Float64Array(count * kept.length);
      for (let i = 0; i < count; i++)
        kept.forEach((j, t) => {
          out[i * kept.length + t] = (input[i * d + j]! - mean[j]!) / sd[j]!;
        });
      return out;
    },
  };
}

function single(n: number, evidence: PersonaEvidence | null): Clustering {
  return {
    k: 1,
    distinct: false,
    labels: new Int32Array(n),
    probabilities: new Float32Array(n).fill(1),
    sizes: [n],
    expected: [n],
    evidence,
  };
}

/** Every player's membership probabilities and most probable persona, row by row (flat memory). */
function assign(
  read: RowReader,
  n: number,
  d: number,
  scale: Standardiser,
  scorer: ReturnType<typeof scorerOf>,
  evidence: PersonaEvidence,
): Clustering {
  const k = scorer.k;
  const row = new Float64Array(d);
  const kept = scale.kept;
  const z = new Float64Array(kept.length);
  const posterior = new Float64Array(k);
  const labels = new Int32Array(n);
  const probabilities = new Float32Array(n * k);
  const sizes = new Array<number>(k).fill(0);
  const expected = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    read(i, row, 0);
    for (let t = 0; t < kept.length; t++) {
      const j = kept[t]!;
      z[t] = (row[j]! - scale.mean[j]!) / scale.sd[j]!;
    }
    posteriorOf(scorer, z, 0, posterior, 0);
    let best = 0;
    for (let c = 0; c < k; c++) {
      probabilities[i * k + c] = posterior[c]!;
      expected[c]! += posterior[c]!;
      if (posterior[c]! > posterior[best]!) best = c;
    }
    labels[i] = best;
    sizes[best]!++;
  }
  const nonEmpty = sizes.flatMap((size, c) => (size > 0 ? [c] : []));
  if (nonEmpty.length === k) return { k, distinct: true, labels, probabilities, sizes, expected, evidence };
  return withoutEmpty(
    { k, distinct: nonEmpty.length > 1, labels, probabilities, sizes, expected, evidence },
    nonEmpty,
  );
}

/**
 * A persona nobody is most likely in (possible only when the full data and the fitted sample
 * differ) has no members to describe: it is dropped and the others' probabilities renormalised.
 */
function withoutEmpty(clustering: Clustering, kept: number[]): Clustering {
  const { k, labels, probabilities } = clustering;
  const n = labels.length;
  const k2 = kept.length;
  const index = new Int32Array(k).fill(-1);
  kept.forEach((c, t) => (index[c] = t));
  const out = new Float32Array(n * k2);
  const expected = new Array<number>(k2).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const c of kept) sum += probabilities[i * k + c]!;
    kept.forEach((c, t) => {
      out[i * k2 + t] = probabilities[i * k + c]! / sum;
      expected[t]! += out[i * k2 + t]!;
    });
    labels[i] = index[labels[i]!]!;
  }
  return {
    ...clustering,
    k: k2,
    probabilities: out,
    sizes: kept.map((c) => clustering.sizes[c]!),
    expected,
  };
}
