import { sampleIndices } from './random.js';

/**
 * Multinomial logistic regression (softmax) on standardised behavioural features, trained by
 * full-batch gradient descent with a small L2 penalty. Small, deterministic and fast enough to
 * retrain at every recompute; prediction.ts calibrates it and decides whether to use it.
 */
export interface Predictor {
  /** Persona numbers, one per output. */
  classes: number[];
  mean: number[];
  sd: number[];
  /** classes × (features + 1): the last column is the bias. */
  weights: number[][];
}

export interface TrainingOptions {
  iterations: number;
  learningRate: number;
  l2: number;
  /** Training uses at most this many players (a fixed-seed sample). */
  maxSamples: number;
}

export const TRAINING_DEFAULTS: TrainingOptions = {
  iterations: 300,
  learningRate: 0.5,
  l2: 1e-3,
  maxSamples: 20_000,
};

/**
 * `classes`: the outputs, when they must include personas absent from this training set (a
 * cross-validation fold without a rare persona still gives it a small, finite probability).
 */
export function trainPredictor(
  features: readonly (readonly number[])[],
  labels: readonly number[],
  options: TrainingOptions = TRAINING_DEFAULTS,
  classes: readonly number[] = [],
): Predictor {
  const f = features[0]?.length ?? 0;
  const pick = sampleIndices(features.length, options.maxSamples, 5);
  const classSet = new Set(classes);
  for (const i of pick) classSet.add(labels[i]!);
  const outputs = [...classSet].sort((a, b) => a - b);
  const mean = new Array<number>(f).fill(0);
  const sd = new Array<number>(f).fill(0);
  for (const i of pick) features[i]!.forEach((x, j) => (mean[j]! += x / pick.length));
  for (const i of pick) features[i]!.forEach((x, j) => (sd[j]! += (x - mean[j]!) ** 2 / pick.length));
  for (let j = 0; j < f; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const weights = outputs.map(() => new Array<number>(f + 1).fill(0));
  if (outputs.length < 2) return { classes: outputs, mean, sd, weights };

  const x = Array.from(pick, (i) => [...features[i]!.map((v, j) => (v - mean[j]!) / sd[j]!), 1]);
  const y = Array.from(pick, (i) => outputs.indexOf(labels[i]!));
  const n = x.length;
  const k = outputs.length;
  const probabilities = new Float64Array(k);
  const gradient = weights.map((w) => new Float64Array(w.length));
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    for (const g of gradient) g.fill(0);
    for (let i = 0; i < n; i++) {
      softmax(weights, x[i]!, probabilities);
      for (let c = 0; c < k; c++) {
        const error = probabilities[c]! - (y[i] === c ? 1 : 0);
        const g = gradient[c]!;
        const row = x[i]!;
        for (let j = 0; j <= f; j++) g[j]! += error * row[j]!;
      }
    }
    for (let c = 0; c < k; c++) {
      const w = weights[c]!;
      const g = gradient[c]!;
      for (let j = 0; j <= f; j++) {
        const penalty = j < f ? options.l2 * w[j]! : 0;
        w[j]! -= options.learningRate * (g[j]! / n + penalty);
      }
    }
  }
  return { classes: outputs, mean, sd, weights };
}

/** The model's scores (log-odds up to a constant) of each class, in `classes` order. */
export function logitsOf(predictor: Predictor, features: readonly number[]): Float64Array {
  const { mean, sd, weights } = predictor;
  const out = new Float64Array(weights.length);
  weights.forEach((w, c) => {
    let score = w[features.length]!;
    for (let j = 0; j < features.length; j++) score += (w[j]! * (features[j]! - mean[j]!)) / sd[j]!;
    out[c] = score;
  });
  return out;
}

/** Class probabilities from scores, sharpened (T < 1) or softened (T > 1) by a temperature. */
export function softmaxOf(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let c = 0; c < logits.length; c++) max = Math.max(max, logits[c]! / temperature);
  let total = 0;
  for (let c = 0; c < logits.length; c++) {
    out[c] = Math.exp(logits[c]! / temperature - max);
    total += out[c]!;
  }
  for (let c = 0; c < logits.length; c++) out[c]! /= total;
  return out;
}

function softmax(weights: readonly number[][], row: readonly number[], out: Float64Array): void {
  let max = -Infinity;
  weights.forEach((w, c) => {
    let score = 0;
    for (let j = 0; j < row.length; j++) score += w[j]! * row[j]!;
    out[c] = score;
    max = Math.max(max, score);
  });
  let total = 0;
  for (let c = 0; c < weights.length; c++) {
    out[c] = Math.exp(out[c]! - max);
    total += out[c]!;
  }
  for (let c = 0; c < weights.length; c++) out[c]! /= total;
}

/** The most probable persona for one player's features. */
export function predictPersona(predictor: Predictor, features: readonly number[]): number {
  const { classes, mean, sd, weights } = predictor;
  if (classes.length === 1) return classes[0]!;
  const row = [...features.map((v, j) => (v - mean[j]!) / sd[j]!), 1];
  const probabilities = new Float64Array(classes.length);
  softmax(weights, row, probabilities);
  let best = 0;
  for (let c = 1; c < classes.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
  return classes[best]!;
}
