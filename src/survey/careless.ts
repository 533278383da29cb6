import { isAnswer, keyedValue } from './scoring.js';
import type { Scale } from './item-bank.js';
import { round } from '../domain/round.js';

/**
 * Careless-responding indices of one completed survey (Curran 2016, "Methods for the detection of
 * carelessly invalid responses in survey data"), as pure functions, and the rule that turns them
 * into signals. No single signal disqualifies: each has innocent explanations (a fast reader, an
 * unusual but real profile); two together rarely do.
 */

/** Where each index starts to count as a signal; docs/psychometrics.md says why. */
export const CARELESS_THRESHOLDS = {
  /** Longest run of one answer in presentation order: 1.5 pages of the same choice. */
  longString: 15,
  /** Even–odd consistency (Spearman–Brown corrected) below this: answers do not hang together. */
  evenOdd: 0.3,
  /** Mahalanobis distance above the reference's upper outer fence (Q3 + 3 × IQR of its own distances). */
  mahalanobisFence: 3,
  /** Pages answered faster than the speed threshold. */
  rushedPages: 2,
} as const;

/** Signals that together disqualify. */
export const DISQUALIFYING_SIGNALS = 2;

export type CarelessSignal = 'long_string' | 'even_odd' | 'mahalanobis' | 'speed';

export interface CarelessIndices {
  longString: number;
  /** Null when undefined (fewer than 10 scales with both halves, or no variance in a half). */
  evenOdd: number | null;
  /** Null without a reference of enough completed surveys. */
  mahalanobis: number | null;
  rushedPages: number;
}

/** The longest run of one identical answer, in the order the statements were shown. */
export function longString(order: readonly string[], answers: ReadonlyMap<string, number>): number {
  let longest = 0;
  let run = 0;
  let previous: number | undefined;
  for (const id of order) {
    const answer = answers.get(id);
    // A skipped statement ("prefer not to answer") ends a run: it is not a choice on the scale.
    if (!isAnswer(answer)) {
      run = 0;
      previous = undefined;
      continue;
    }
    run = answer === previous ? run + 1 : 1;
    previous = answer;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** Pearson's correlation of two equally long series (NaN when either is constant). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/**
 * Even–odd consistency: each scale's odd statements (1st, 3rd) and even ones (2nd, 4th) give two
 * half-scores; their correlation across scales, Spearman–Brown corrected. A careful player's halves
 * agree; a random one's do not. Each half holds one plain and one reversed statement, so agreeing
 * with everything gives no correlation either way (the long string catches that).
 */
export function evenOddConsistency(
  scales: readonly Scale[],
  answers: ReadonlyMap<string, number>,
): number | null {
  const odd: number[] = [];
  const even: number[] = [];
  for (const scale of scales) {
    const half = (parity: number) =>
      scale.items.flatMap((item, i) => {
        const answer = answers.get(item.id);
        return i % 2 === parity && isAnswer(answer) ? [keyedValue(item, answer)] : [];
      });
    const o = half(0);
    const e = half(1);
    if (o.length === 0 || e.length === 0) continue;
    odd.push(o.reduce((a, b) => a + b, 0) / o.length);
    even.push(e.reduce((a, b) => a + b, 0) / e.length);
  }
  if (odd.length < 10) return null;
  const r = pearson(odd, even);
  if (!Number.isFinite(r)) return null;
  // Spearman–Brown; r = −1 would divide by zero and means the opposite of consistent anyway.
  return r <= -1 ? -1 : round((2 * r) / (1 + r));
}

/** The signals the indices raise; `fence` is the reference's Mahalanobis cut-off, if any. */
export function carelessSignals(indices: CarelessIndices, fence: number | null): CarelessSignal[] {
  const signals: CarelessSignal[] = [];
  if (indices.longString >= CARELESS_THRESHOLDS.longString) signals.push('long_string');
  if (indices.evenOdd !== null && indices.evenOdd < CARELESS_THRESHOLDS.evenOdd) signals.push('even_odd');
  if (indices.mahalanobis !== null && fence !== null && indices.mahalanobis > fence)
    signals.push('mahalanobis');
  if (indices.rushedPages >= CARELESS_THRESHOLDS.rushedPages) signals.push('speed');
  return signals;
}

export function isCareless(signals: readonly CarelessSignal[]): boolean {
  return signals.length >= DISQUALIFYING_SIGNALS;
}
