import { SCALES } from './item-bank.js';
import { keyedValues } from './scoring.js';
import {
  CARELESS_THRESHOLDS,
  carelessSignals,
  evenOddConsistency,
  longString,
  type CarelessIndices,
  type CarelessSignal,
} from './careless.js';
import { mahalanobisDistance, mahalanobisReference, type MahalanobisReference } from './mahalanobis.js';
import { scaleReliability, type Estimate } from './reliability.js';
import type { SurveyRepository, SurveyScope } from './survey.repository.js';
import { SURVEY_LAYOUT, type SurveyLayout } from './survey-layout.js';
import { round } from '../domain/round.js';

/** Below this many complete surveys a scope has no reliability figures and no Mahalanobis reference. */
export const MIN_COMPLETE_FOR_STATISTICS = 100;
/** The most recent completions a report or reference reads: enough for stable figures, bounded work. */
export const MAX_RESPONDENTS = 2000;
export const BOOTSTRAP_RESAMPLES = 200;
/** Fixed: the same stored answers always give the same intervals. */
export const BOOTSTRAP_SEED = 20261123;

export interface SurveyQualityOptions {
  minimumComplete?: number;
  resamples?: number;
  layout?: SurveyLayout;
  now?: () => number;
  /** How long a computed reference or report is reused before the stored answers are read again. */
  cacheMs?: number;
}

export interface ScaleReport {
  construct: string;
  name: string;
  /** The documented trait names this score is reported under (`-` marks an opposite pole). */
  reported_as: string[];
  items: number;
  /** Players who answered every statement of the scale (skips leave a player out of this scale). */
  respondents: number;
  alpha: Estimate | null;
  omega: Estimate | null;
}

export interface ReliabilityReport {
  environment: SurveyScope['environment'];
  complete: number;
  minimum: number;
  /** False below `minimum` complete surveys: then `scales` is empty. */
  available: boolean;
  message: string;
  respondents: number;
  resamples: number;
  scales: ScaleReport[];
}

export interface CompletionQuality {
  indices: CarelessIndices;
  signals: CarelessSignal[];
}

interface Cached<T> {
  at: number;
  complete: number;
  value: T;
}

/**
 * The survey's quality figures from stored answers: reliability per scale (α and ω with bootstrap
 * intervals) and the careless-responding indices of a completion. Both need a scope's completed
 * surveys; they are read at most once per `cacheMs` (or when the count grows by a tenth).
 */
export class SurveyQualityService {
  private readonly minimum: number;
  private readonly resamples: number;
  private readonly layout: SurveyLayout;
  private readonly now: () => number;
  private readonly cacheMs: number;
  private readonly references = new Map<string, Cached<MahalanobisReference | null>>();
  private readonly reports = new Map<string, Cached<ReliabilityReport>>();

  constructor(
    private readonly repo: SurveyRepository,
    options: SurveyQualityOptions = {},
  ) {
    this.minimum = options.minimumComplete ?? MIN_COMPLETE_FOR_STATISTICS;
    this.resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
    this.layout = options.layout ?? SURVEY_LAYOUT;
    this.now = options.now ?? Date.now;
    this.cacheMs = options.cacheMs ?? 10 * 60_000;
  }

  /** The careless-responding indices of a completed set of answers, and the signals they raise. */
  async assess(
    scope: SurveyScope,
    answers: ReadonlyMap<string, number>,
    rushedPages: number,
  ): Promise<CompletionQuality> {
    const order = this.layout.pages.flat().flatMap((e) => (e.kind === 'item' ? [e.id] : []));
    const reference = await this.reference(scope);
    const indices: CarelessIndices = {
      longString: longString(order, answers),
      evenOdd: evenOddConsistency(SCALES, answers),
      mahalanobis: reference ? mahalanobisDistance(reference, answers) : null,
      rushedPages,
    };
    return { indices, signals: carelessSignals(indices, reference?.fence ?? null) };
  }

  /** α and ω per scale from the scope's complete surveys, or why there are none yet. */
  async reliability(scope: SurveyScope): Promise<ReliabilityReport> {
    return this.cached(this.reports, scope, async (complete) => {
      const base = {
        environment: scope.environment,
        complete,
        minimum: this.minimum,
        resamples: this.resamples,
      };
      if (complete < this.minimum) {
        return {
          ...base,
          available: false,
          message: `${complete} complete survey${complete === 1 ? '' : 's'} in ${scope.environment}: reliability is estimated from ${this.minimum} on`,
          respondents: 0,
          scales: [],
        };
      }
      const players = await this.repo.completedResponses(scope, MAX_RESPONDENTS);
      const scales = SCALES.map((scale, index): ScaleReport => {
        // Players who skipped a statement of this scale are left out of it (listwise).
        const rows = players.flatMap((answers) => {
          const values = keyedValues(scale, answers);
          return values.length === scale.items.length ? [values] : [];
        });
        const estimates =
          rows.length >= 3 ? scaleReliability(rows, this.resamples, BOOTSTRAP_SEED + index) : null;
        return {
          construct: scale.construct.code,
          name: scale.construct.name,
          reported_as: scale.construct.reportedAs.map(
            (n) => `${n.reversed ? '-' : ''}${n.category}.${n.trait}`,
          ),
          items: scale.items.length,
          respondents: rows.length,
          alpha: estimates && finite(estimates.alpha),
          omega: estimates && finite(estimates.omega),
        };
      });
      return {
        ...base,
        available: true,
        message: `from the answers of the ${players.length} most recent complete surveys`,
        respondents: players.length,
        scales,
      };
    });
  }

  /** The scope's Mahalanobis reference: null until it has enough complete surveys. */
  private reference(scope: SurveyScope): Promise<MahalanobisReference | null> {
    return this.cached(this.references, scope, async (complete) => {
      if (complete < this.minimum) return null;
      const players = await this.repo.completedResponses(scope, MAX_RESPONDENTS);
      const itemIds = SCALES.flatMap((s) => s.items.map((i) => i.id));
      const rows = players.map((answers) =>
        itemIds.map((id) => {
          const v = answers.get(id);
          return v !== undefined && v >= 1 && v <= 5 ? v : NaN;
        }),
      );
      return mahalanobisReference(itemIds, rows, this.minimum, CARELESS_THRESHOLDS.mahalanobisFence);
    });
  }

  private async cached<T>(
    cache: Map<string, Cached<T>>,
    scope: SurveyScope,
    compute: (complete: number) => Promise<T>,
  ): Promise<T> {
    const key = `${scope.dashboardId}\u0000${scope.environment}`;
    const complete = await this.repo.completedCount(scope);
    const hit = cache.get(key);
    const now = this.now();
    const fresh =
      hit &&
      now - hit.at < this.cacheMs &&
      complete >= hit.complete &&
      complete - hit.complete < Math.max(1, hit.complete / 10) &&
      // Crossing the minimum always recomputes: the figures appear at once.
      (hit.complete >= this.minimum || complete < this.minimum);
    if (fresh) return hit.value;
    const value = await compute(complete);
    cache.set(key, { at: now, complete, value });
    return value;
  }
}

/** An estimate with NaN parts (a scale nobody varied on) is reported as none. */
function finite(estimate: Estimate): Estimate | null {
  return [estimate.value, estimate.low, estimate.high].every(Number.isFinite)
    ? { value: round(estimate.value, 3), low: round(estimate.low, 3), high: round(estimate.high, 3) }
    : null;
}
