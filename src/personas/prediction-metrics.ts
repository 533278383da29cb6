import { seededRandom } from '../domain/seeded-random.js';

/**
 * How well out-of-sample probabilities predict the true persona, each figure beside what a model
 * that ignores behaviour scores: balanced accuracy (mean recall over personas; any constant
 * answer scores 1/k whatever the sizes, so always answering the largest persona earns nothing),
 * macro-F1, accuracy (baseline: the largest persona's share) and log-loss (baseline: the
 * persona shares as probabilities). Percentile bootstrap intervals, resampling players.
 */
export interface Evaluation {
  /** Class index of each evaluated player's true persona. */
  truth: Int32Array;
  /** Row-major players × classes probabilities. */
  probabilities: Float64Array;
  classes: number;
  /** The persona shares of the training players: the baseline's probabilities. */
  prior: Float64Array;
}

export interface Metric {
  value: number;
  /** The interval of the stated confidence (bootstrap percentiles). */
  ci: [number, number];
  baseline: number;
}

export interface Metrics {
  accuracy: Metric;
  balanced_accuracy: Metric;
  macro_f1: Metric;
  log_loss: Metric;
  /** Baseline log-loss minus the model's, paired per player: above 0 when the model is better. */
  log_loss_gain: Metric;
  /** Mean gap between the top probability and how often it is right (10 bins): 0 is calibrated. */
  calibration_error: number;
}

/** Probabilities are floored here in log-loss: one confident miss must not make it infinite. */
const FLOOR = 1e-6;

interface Point {
  accuracy: number;
  balanced: number;
  f1: number;
  logLoss: number;
  baselineLogLoss: number;
  baselineAccuracy: number;
  baselineBalanced: number;
  baselineF1: number;
}

/** The figures over the players `rows` (indices into the evaluation, repeats allowed). */
function point(e: Evaluation, rows: ArrayLike<number>): Point {
  const k = e.classes;
  const majority = argmax(e.prior, 0, k);
  const truePer = new Float64Array(k);
  const predictedPer = new Float64Array(k);
  const rightPer = new Float64Array(k);
  let right = 0;
  let logLoss = 0;
  let baselineLogLoss = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    const y = e.truth[i]!;
    const predicted = argmax(e.probabilities, i * k, k);
    truePer[y]!++;
    predictedPer[predicted]!++;
    if (predicted === y) {
      right++;
      rightPer[y]!++;
    }
    logLoss -= Math.log(Math.max(FLOOR, e.probabilities[i * k + y]!));
    baselineLogLoss -= Math.log(Math.max(FLOOR, e.prior[y]!));
  }
  const n = Math.max(1, rows.length);
  let recall = 0;
  let present = 0;
  let f1 = 0;
  let labelled = 0;
  for (let c = 0; c < k; c++) {
    if (truePer[c]! > 0) {
      recall += rightPer[c]! / truePer[c]!;
      present++;
    }
    if (truePer[c]! > 0 || predictedPer[c]! > 0) {
      f1 += (2 * rightPer[c]!) / (truePer[c]! + predictedPer[c]!);
      labelled++;
    }
  }
  // Always answering the majority persona: its recall is 1, every other 0.
  const majorityShare = truePer[majority]! / n;
  const baselineLabels = present + (truePer[majority]! > 0 ? 0 : 1);
  return {
    accuracy: right / n,
    balanced: recall / Math.max(1, present),
    f1: f1 / Math.max(1, labelled),
    logLoss: logLoss / n,
    baselineLogLoss: baselineLogLoss / n,
    baselineAccuracy: majorityShare,
    baselineBalanced: 1 / Math.max(1, present),
    baselineF1: (2 * majorityShare) / (1 + majorityShare) / Math.max(1, baselineLabels),
  };
}

function argmax(values: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[at]!;
}

/** Expected calibration error of the top probability over 10 equal-width bins. */
function calibrationError(e: Evaluation): number {
  const k = e.classes;
  const n = e.truth.length;
  const bins = 10;
  const count = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const top = argmax(e.probabilities, i * k, k);
    const p = e.probabilities[i * k + top]!;
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin]!++;
    confidence[bin]! += p;
    if (top === e.truth[i]) hits[bin]!++;
  }
  let error = 0;
  for (let b = 0; b < bins; b++)
    if (count[b]! > 0) error += Math.abs(hits[b]! - confidence[b]!) / Math.max(1, n);
  return error;
}

/** Every figure with its `confidence` interval from `resamples` bootstrap resamples (fixed seed). */
export function evaluate(e: Evaluation, confidence = 0.95, resamples = 400, seed = 17): Metrics {
  const n = e.truth.length;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const observed = point(e, all);
  const random = seededRandom(seed);
  const draws: Record<'accuracy' | 'balanced' | 'f1' | 'logLoss' | 'gain', number[]> = {
    accuracy: [],
    balanced: [],
    f1: [],
    logLoss: [],
    gain: [],
  };
  const rows = new Int32Array(n);
  for (let b = 0; b < resamples && n > 0; b++) {
    for (let i = 0; i < n; i++) rows[i] = Math.floor(random() * n);
    const p = point(e, rows);
    draws.accuracy.push(p.accuracy);
    draws.balanced.push(p.balanced);
    draws.f1.push(p.f1);
    draws.logLoss.push(p.logLoss);
    draws.gain.push(p.baselineLogLoss - p.logLoss);
  }
  const tail = (1 - confidence) / 2;
  const ci = (values: number[]): [number, number] => {
    const sorted = [...values].sort((a, b) => a - b);
    return [percentile(sorted, tail), percentile(sorted, 1 - tail)];
  };
  return {
    accuracy: { value: observed.accuracy, ci: ci(draws.accuracy), baseline: observed.baselineAccuracy },
    balanced_accuracy: {
      value: observed.balanced,
      ci: ci(draws.balanced),
      baseline: observed.baselineBalanced,
    },
    macro_f1: { value: observed.f1, ci: ci(draws.f1), baseline: observed.baselineF1 },
    log_loss: { value: observed.logLoss, ci: ci(draws.logLoss), baseline: observed.baselineLogLoss },
    log_loss_gain: {
      value: observed.baselineLogLoss - observed.logLoss,
      ci: ci(draws.gain),
      baseline: 0,
    },
    calibration_error: calibrationError(e),
  };
}
