import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/seeded-random.js';
import { evaluate } from '../../src/personas/prediction-metrics.js';
import { fitTemperature, predictPersonas } from '../../src/personas/prediction.js';
import { logitsOf, softmaxOf, trainPredictor } from '../../src/personas/predictor.js';

/** Scored and unscored players of 3 personas (sizes 60 %, 25 %, 15 %); `signal` 0: behaviour is noise. */
function players(n: number, signal: number, seed: number, prefix: string) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: n }, (_, i) => {
    const u = random();
    const persona = u < 0.6 ? 1 : u < 0.85 ? 2 : 3;
    const features = [0, 1, 2, 3].map((j) => gauss() + (j === persona ? signal : 0));
    return { userId: `${prefix}${i}`, persona, features };
  });
}

describe('honest prediction (pure)', () => {
  it('behaviour unrelated to personas: nothing is written, the summary says why', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const scored = players(400, 0, seed, 's');
      const unscored = players(400, 0, seed + 100, 'u');
      const { assignments, summary } = await predictPersonas({ scored, unscored, k: 3 });
      expect(assignments.length / unscored.length).toBeLessThanOrEqual(0.1);
      expect(summary.written).toBe(false);
      expect(summary.beats_baseline).toBe(false);
      expect(summary.reason).toMatch(/behaviour does not predict the persona with confidence/);
      // The figures are still reported, beside their baselines.
      expect(summary.metrics!.balanced_accuracy.ci[0]).toBeLessThanOrEqual(1 / 3);
      expect(summary.metrics!.accuracy.baseline).toBeGreaterThan(0.5);
      expect(summary.validation).toBe('5-fold cross-validation');
    }
  });

  it('behaviour carrying the persona: most players predicted, mostly right, calibrated', async () => {
    const scored = players(600, 3, 7, 's');
    const unscored = players(600, 3, 8, 'u');
    const { assignments, summary } = await predictPersonas({ scored, unscored, k: 3 });
    expect(summary.written).toBe(true);
    expect(summary.beats_baseline).toBe(true);
    expect(assignments.length / unscored.length).toBeGreaterThanOrEqual(0.5);
    const truth = new Map(unscored.map((p) => [p.userId, p.persona]));
    const right = assignments.filter((a) => truth.get(a.userId) === a.persona).length;
    expect(right / assignments.length).toBeGreaterThanOrEqual(0.8);
    expect(assignments.every((a) => a.probability >= summary.threshold)).toBe(true);
    expect(summary.predicted + summary.below_threshold).toBe(unscored.length);
    const m = summary.metrics!;
    expect(m.balanced_accuracy.ci[0]).toBeGreaterThan(m.balanced_accuracy.baseline);
    expect(m.log_loss.value).toBeLessThan(m.log_loss.baseline);
    expect(m.macro_f1.value).toBeGreaterThan(m.macro_f1.baseline);
    expect(m.calibration_error).toBeLessThan(0.06);
    expect(summary.at_threshold!.accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('a hold-out replaces cross-validation when many players are scored', async () => {
    const scored = players(3_000, 3, 9, 's');
    const { summary } = await predictPersonas({ scored, unscored: [], k: 3 });
    expect(summary.validation).toBe('hold-out of 1 in 5 scored players');
    expect(summary.held_out).toBeGreaterThan(450);
    expect(summary.held_out).toBeLessThan(750);
    expect(summary.written).toBe(true);
  });

  it('one persona, or too few scored players: skipped, and said so', async () => {
    const one = await predictPersonas({
      scored: players(100, 3, 1, 's'),
      unscored: players(5, 3, 2, 'u'),
      k: 1,
    });
    expect(one.assignments).toEqual([]);
    expect(one.summary).toMatchObject({ written: false, reason: expect.stringMatching(/one persona/) });
    const few = await predictPersonas({
      scored: players(20, 3, 1, 's'),
      unscored: players(5, 3, 2, 'u'),
      k: 3,
    });
    expect(few.summary).toMatchObject({ written: false, reason: expect.stringMatching(/fewer than 30/) });
  });

  it('temperature scaling softens an over-confident model', () => {
    // Labels that agree with the scores' ranking only 70 % of the time, scores scaled ×10.
    const random = seededRandom(4);
    const logits: Float64Array[] = [];
    const truth: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const y = random() < 0.5 ? 0 : 1;
      const agree = random() < 0.7;
      logits.push(Float64Array.from(agree === (y === 0) ? [10, 0] : [0, 10]));
      truth.push(y);
    }
    const t = fitTemperature(logits, Int32Array.from(truth));
    const p = softmaxOf(Float64Array.from([10, 0]), t)[0]!;
    expect(p).toBeGreaterThan(0.66);
    expect(p).toBeLessThan(0.74);
  });

  it('metrics: always answering the largest persona scores the baselines exactly', () => {
    const truth = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
    const probabilities = new Float64Array(truth.length * 3);
    for (let i = 0; i < truth.length; i++) probabilities.set([0.6, 0.2, 0.2], i * 3);
    const prior = Float64Array.from([0.6, 0.2, 0.2]);
    const m = evaluate({ truth, probabilities, classes: 3, prior });
    expect(m.accuracy.value).toBeCloseTo(0.6);
    expect(m.accuracy.baseline).toBeCloseTo(0.6);
    expect(m.balanced_accuracy.value).toBeCloseTo(1 / 3);
    expect(m.balanced_accuracy.baseline).toBeCloseTo(1 / 3);
    expect(m.macro_f1.value).toBeCloseTo(m.macro_f1.baseline);
    expect(m.log_loss_gain.value).toBeCloseTo(0);
    expect(m.log_loss.value).toBeCloseTo(-(0.6 * Math.log(0.6) + 0.4 * Math.log(0.2)));
  });

  it('a fold missing a rare persona still gives it a finite probability', () => {
    const model = trainPredictor([[0], [1], [2], [3]], [1, 1, 2, 2], undefined, [1, 2, 3]);
    expect(model.classes).toEqual([1, 2, 3]);
    const p = softmaxOf(logitsOf(model, [1]));
    expect(p[2]).toBeGreaterThan(0);
    expect(p[2]).toBeLessThan(0.2);
  });
});
