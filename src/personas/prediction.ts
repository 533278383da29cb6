import { FEATURE_NAMES } from './behaviour-features.js';
import { evaluate, type Metric, type Metrics } from './prediction-metrics.js';
import { logitsOf, softmaxOf, trainPredictor, TRAINING_DEFAULTS, type Predictor } from './predictor.js';
import { hashText, sampleIndices } from './random.js';
import { round } from '../domain/round.js';

/**
 * Honest prediction of the persona of players without trait scores. The softmax regression's
 * probabilities are calibrated by temperature scaling on out-of-sample predictions (k-fold
 * cross-validation when few players are scored, one hold-out otherwise). Predictions are written
 * only when the model beats behaviour-blind guessing with confidence — the whole interval of its
 * balanced accuracy above 1/k and of its log-loss gain over the persona shares above 0 — and
 * then only for players whose top calibrated probability clears the threshold. Otherwise the
 * players stay without a persona: an unknown is better than the largest persona by default.
 */
export interface PredictionOptions {
  /** A player gets a predicted persona only with at least this calibrated probability. */
  threshold: number;
  /** Confidence of the reported intervals; the gate asks for the whole interval above the baseline. */
  confidence: number;
  /** Fewer scored players than this: nothing is predicted (too few to learn and to test). */
  minScored: number;
  folds: number;
  /** Up to this many scored players, k-fold cross-validation; above, one hold-out of 1 in `folds`. */
  crossValidateUpTo: number;
  /** At most this many held-out players are scored for the metrics (a fixed-seed sample). */
  maxEvaluated: number;
  bootstrapResamples: number;
}

export const PREDICTION_DEFAULTS: PredictionOptions = {
  threshold: 0.7,
  confidence: 0.95,
  minScored: 30,
  folds: 5,
  crossValidateUpTo: 2_000,
  maxEvaluated: 20_000,
  bootstrapResamples: 400,
};

export interface PredictionSummary {
  model: 'multinomial logistic regression';
  features: readonly string[];
  calibration: 'temperature scaling';
  /** The fitted temperature (above 1: the raw model was over-confident); null when not fitted. */
  temperature: number | null;
  validation: string | null;
  /** Scored players the model that predicts was trained on. */
  trained_on: number;
  /** Scored players predicted out of sample (every one under cross-validation). */
  held_out: number;
  /** Out-of-sample accuracy and the largest persona's share (kept for earlier readers). */
  accuracy: number | null;
  baseline: number | null;
  /** Out-of-sample figures with intervals and baselines (prediction-metrics.ts), rounded. */
  metrics: Metrics | null;
  confidence: number;
  /** Whether the model beats behaviour-blind guessing with that confidence. */
  beats_baseline: boolean;
  threshold: number;
  /** Of the out-of-sample players: the share clearing the threshold, and the share of those right. */
  at_threshold: { coverage: number; accuracy: number | null } | null;
  /** Whether predicted personas were written; `reason` says why not. */
  written: boolean;
  reason: string | null;
  /** Players without scores given a persona, and those left without one by the threshold. */
  predicted: number;
  below_threshold: number;
}

export interface PredictionInput {
  scored: readonly { userId: string; persona: number; features: readonly number[] }[];
  unscored: readonly { userId: string; features: readonly number[] }[];
  /** How many personas the segment has: with one, there is nothing to predict. */
  k: number;
}

export interface PredictionResult {
  assignments: { userId: string; persona: number; probability: number }[];
  summary: PredictionSummary;
}

const roundMetric = (m: Metric): Metric => ({
  value: round(m.value),
  ci: [round(m.ci[0]), round(m.ci[1])],
  baseline: round(m.baseline),
});
/** Lets the event loop run between trainings: the server keeps answering during a recompute. */
const breathe = () => new Promise((resolve) => setImmediate(resolve));

export async function predictPersonas(
  input: PredictionInput,
  options: PredictionOptions = PREDICTION_DEFAULTS,
): Promise<PredictionResult> {
  const skipped = (reason: string, partial: Partial<PredictionSummary> = {}): PredictionResult => ({
    assignments: [],
    summary: {
      model: 'multinomial logistic regression',
      features: FEATURE_NAMES,
      calibration: 'temperature scaling',
      temperature: null,
      validation: null,
      trained_on: 0,
      held_out: 0,
      accuracy: null,
      baseline: null,
      metrics: null,
      confidence: options.confidence,
      beats_baseline: false,
      threshold: options.threshold,
      at_threshold: null,
      written: false,
      reason,
      predicted: 0,
      below_threshold: 0,
      ...partial,
    },
  });
  const { scored, unscored } = input;
  if (input.k <= 1)
    return skipped('one persona (no distinct personas in this segment): there is nothing to predict');
  if (scored.length < options.minScored)
    return skipped(`fewer than ${options.minScored} players with trait scores to learn from and test on`);

  const classes = [...new Set(scored.map((p) => p.persona))].sort((a, b) => a - b);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  const features = scored.map((p) => p.features);
  const labels = scored.map((p) => p.persona);
  const train = (rows: readonly number[]) =>
    trainPredictor(
      rows.map((i) => features[i]!),
      rows.map((i) => labels[i]!),
      TRAINING_DEFAULTS,
      classes,
    );

  // Out-of-sample scores of the evaluated players, and the model that predicts.
  const fold = scored.map((p) => hashText(p.userId) % options.folds);
  const evaluated: number[] = [];
  const logits: Float64Array[] = [];
  let model: Predictor;
  let trainedOn: number;
  let validation: string;
  if (scored.length <= options.crossValidateUpTo) {
    validation = `${options.folds}-fold cross-validation`;
    for (let f = 0; f < options.folds; f++) {
      const inside = fold.flatMap((g, i) => (g === f ? [] : [i]));
      const outside = fold.flatMap((g, i) => (g === f ? [i] : []));
      if (outside.length === 0) continue;
      const foldModel = train(inside);
      for (const i of outside) {
        evaluated.push(i);
        logits.push(logitsOf(foldModel, features[i]!));
      }
      await breathe();
    }
    model = train(scored.map((_, i) => i));
    trainedOn = scored.length;
  } else {
    validation = `hold-out of 1 in ${options.folds} scored players`;
    const inside = fold.flatMap((g, i) => (g === 0 ? [] : [i]));
    const outside = fold.flatMap((g, i) => (g === 0 ? [i] : []));
    // The training itself samples at most TRAINING_DEFAULTS.maxSamples players: with this many
    // scored players, a model of all of them would learn from no more.
    model = train(inside);
    trainedOn = Math.min(inside.length, TRAINING_DEFAULTS.maxSamples);
    for (const at of sampleIndices(outside.length, options.maxEvaluated, 7)) {
      const i = outside[at]!;
      evaluated.push(i);
      logits.push(logitsOf(model, features[i]!));
    }
  }
  await breathe();

  const truth = Int32Array.from(evaluated, (i) => classIndex.get(labels[i]!)!);
  const temperature = fitTemperature(logits, truth);
  const probabilities = new Float64Array(evaluated.length * k);
  logits.forEach((z, r) => {
    probabilities.set(softmaxOf(z, temperature), r * k);
  });
  const prior = new Float64Array(k);
  for (const label of labels) prior[classIndex.get(label)!]! += 1 / labels.length;
  const metrics: Metrics = evaluate(
    { truth, probabilities, classes: k, prior },
    options.confidence,
    options.bootstrapResamples,
  );

  let covered = 0;
  let coveredRight = 0;
  for (let r = 0; r < evaluated.length; r++) {
    const top = topOf(probabilities, r * k, k);
    if (probabilities[r * k + top]! >= options.threshold) {
      covered++;
      if (top === truth[r]) coveredRight++;
    }
  }
  const beats =
    metrics.balanced_accuracy.ci[0] > metrics.balanced_accuracy.baseline && metrics.log_loss_gain.ci[0] > 0;
  const summary: Partial<PredictionSummary> = {
    temperature: round(temperature, 3),
    validation,
    trained_on: trainedOn,
    held_out: evaluated.length,
    accuracy: round(metrics.accuracy.value),
    baseline: round(metrics.accuracy.baseline),
    metrics: {
      accuracy: roundMetric(metrics.accuracy),
      balanced_accuracy: roundMetric(metrics.balanced_accuracy),
      macro_f1: roundMetric(metrics.macro_f1),
      log_loss: roundMetric(metrics.log_loss),
      log_loss_gain: roundMetric(metrics.log_loss_gain),
      calibration_error: round(metrics.calibration_error),
    },
    beats_baseline: beats,
    at_threshold: {
      coverage: round(covered / Math.max(1, evaluated.length)),
      accuracy: covered > 0 ? round(coveredRight / covered) : null,
    },
  };
  if (!beats) {
    const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
    const b = metrics.balanced_accuracy;
    return skipped(
      `behaviour does not predict the persona with confidence: balanced accuracy ${percent(b.value)} ` +
        `(${percent(options.confidence)} interval ${percent(b.ci[0])}–${percent(b.ci[1])}) against ` +
        `${percent(b.baseline)} for guessing, log-loss gain ${metrics.log_loss_gain.value.toFixed(3)} ` +
        `(interval from ${metrics.log_loss_gain.ci[0].toFixed(3)})`,
      summary,
    );
  }

  const assignments: PredictionResult['assignments'] = [];
  let below = 0;
  for (const player of unscored) {
    const p = softmaxOf(logitsOf(model, player.features), temperature);
    const top = topOf(p, 0, k);
    if (p[top]! >= options.threshold)
      assignments.push({ userId: player.userId, persona: classes[top]!, probability: p[top]! });
    else below++;
  }
  return {
    assignments,
    summary: {
      ...skipped('').summary,
      ...summary,
      written: true,
      reason: null,
      predicted: assignments.length,
      below_threshold: below,
    },
  };
}

function topOf(values: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

/**
 * The temperature minimising the out-of-sample log-loss (golden-section search on log T over
 * 0.05–20). One parameter fitted on the same players the metrics are read on: its optimism is
 * negligible next to the intervals at the sizes predictions need.
 */
export function fitTemperature(logits: readonly Float64Array[], truth: Int32Array): number {
  if (logits.length === 0) return 1;
  const loss = (logT: number) => {
    const t = Math.exp(logT);
    let total = 0;
    logits.forEach((z, i) => {
      total -= Math.log(Math.max(1e-12, softmaxOf(z, t)[truth[i]!]!));
    });
    return total;
  };
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(0.05);
  let b = Math.log(20);
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = loss(c);
  let fd = loss(d);
  for (let step = 0; step < 40; step++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = loss(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = loss(d);
    }
  }
  return Math.exp((a + b) / 2);
}
