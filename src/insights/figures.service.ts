import { AppError } from '../errors.js';
import type { SegmentService } from '../personas/segments.service.js';
import type { Scope } from './audience.js';
import { dayOf, dayText } from './days.js';
import type { FiguresRepository, LevelCount } from './figures.repository.js';
import type { InsightsRepository } from './insights.repository.js';
import { resolveQuery, retentionOffsets, type InsightsQuery } from './insights-query.js';

/** Days without a login after which a player counts as churned, unless the question says otherwise. */
export const DEFAULT_CHURN_DAYS = 14;
export const MAX_CHURN_DAYS = 365;

export interface EngagementDay {
  day: string;
  dau: number;
  wau: number;
  mau: number;
  /** DAU ÷ MAU (0 when MAU is 0). */
  stickiness: number;
  new_players: number;
  logins: number;
  logins_per_dau: number;
}
export interface MonetizationDay {
  day: string;
  dau: number;
  revenue: number;
  purchases: number;
  paying_players: number;
  arpdau: number;
  /** revenue ÷ paying players (0 when none paid). */
  arppu: number;
  first_purchasers: number;
  /** first purchasers ÷ DAU: the day's conversion to a first purchase (0 when DAU is 0). */
  conversion: number;
}
export interface NamedDay {
  day: string;
  name: string;
  total: number;
  /** total ÷ records (the KPI's mean; a currency's mean spend per purchase). */
  mean: number;
  records: number;
  players: number;
}
export interface ChurnCohort {
  cohort: string;
  players: number;
  churned: number;
  /** churned ÷ players; null while the cohort is younger than the churn window. */
  churn_rate: number | null;
}
export interface ProgressionPoint {
  days_since_install: number;
  /** Players of the cohorts whose install day + N has come and who have a level by then. */
  players: number;
  p25: number | null;
  median: number | null;
  p75: number | null;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Engagement, monetisation, churn, progression and the `kpis` records, by segment and persona. */
export class FiguresService {
  constructor(
    private readonly activity: InsightsRepository,
    private readonly figures: FiguresRepository,
    private readonly segments: SegmentService,
    private readonly now: () => number = Date.now,
  ) {}

  async engagement(scope: Scope, query: InsightsQuery): Promise<EngagementDay[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    const activity = new Map(
      (await this.activity.activity(scope, audience, from, to)).map((a) => [a.day, a]),
    );
    const windows = await this.figures.windowActives(scope, audience, from, to);
    const days: EngagementDay[] = [];
    for (let day = from; day <= to; day++) {
      const a = activity.get(day);
      const dau = a?.dau ?? 0;
      const logins = a?.logins ?? 0;
      const { wau, mau } = windows.get(day)!;
      days.push({
        day: dayText(day),
        dau,
        wau,
        mau,
        stickiness: ratio(dau, mau),
        new_players: a?.installs ?? 0,
        logins,
        logins_per_dau: ratio(logins, dau),
      });
    }
    return days;
  }

  async monetization(scope: Scope, query: InsightsQuery): Promise<MonetizationDay[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    const activity = new Map(
      (await this.activity.activity(scope, audience, from, to)).map((a) => [a.day, a]),
    );
    const days: MonetizationDay[] = [];
    for (let day = from; day <= to; day++) {
      const a = activity.get(day);
      const dau = a?.dau ?? 0;
      const revenue = a?.revenue ?? 0;
      const paying = a?.payingPlayers ?? 0;
      const firstPurchasers = a?.firstPurchasers ?? 0;
      days.push({
        day: dayText(day),
        dau,
        revenue,
        purchases: a?.purchases ?? 0,
        paying_players: paying,
        arpdau: ratio(revenue, dau),
        arppu: ratio(revenue, paying),
        first_purchasers: firstPurchasers,
        conversion: ratio(firstPurchasers, dau),
      });
    }
    return days;
  }

  /** Virtual currency spent per day and currency (only days and currencies with spending). */
  async currencies(scope: Scope, query: InsightsQuery): Promise<NamedDay[]> {
    return this.named(scope, query, 'currency:');
  }

  /** The `kpis` records: sum and mean of each `kpi_id` per day (only days with values). */
  async kpis(scope: Scope, query: InsightsQuery): Promise<NamedDay[]> {
    return this.named(scope, query, 'kpi:');
  }

  private async named(scope: Scope, query: InsightsQuery, prefix: string): Promise<NamedDay[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    return (await this.figures.namedValues(scope, audience, prefix, from, to)).map((v) => ({
      day: dayText(v.day),
      name: v.name,
      total: v.total,
      mean: ratio(v.total, v.n),
      records: v.n,
      players: v.players,
    }));
  }

  /**
   * Per install cohort of the range: players with no login in the `churn_days` days ending today
   * (UTC); those who never logged in count from their install day.
   */
  async churn(
    scope: Scope,
    query: InsightsQuery & { churn_days?: number | undefined },
  ): Promise<ChurnCohort[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    const window = query.churn_days ?? DEFAULT_CHURN_DAYS;
    if (!Number.isInteger(window) || window < 1 || window > MAX_CHURN_DAYS)
      throw new AppError(
        'bad_request',
        `churn_days must be a whole number of days from 1 to ${MAX_CHURN_DAYS}`,
      );
    const today = dayOf(this.now());
    const lastDay = today - window;
    const cohorts = new Map(
      (await this.figures.churn(scope, audience, from, to, lastDay)).map((c) => [c.cohort, c]),
    );
    const answer: ChurnCohort[] = [];
    for (let day = from; day <= to; day++) {
      const c = cohorts.get(day);
      const players = c?.players ?? 0;
      const churned = c?.churned ?? 0;
      // A cohort younger than the window cannot have gone that long without a login yet.
      const known = day <= lastDay;
      answer.push({
        cohort: dayText(day),
        players,
        churned: known ? churned : 0,
        churn_rate: known ? ratio(churned, players) : null,
      });
    }
    return answer;
  }

  /** Level reached by N days after install: quartiles over the cohorts of the range. */
  async progression(
    scope: Scope,
    query: InsightsQuery & { days?: string | undefined },
  ): Promise<ProgressionPoint[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    const offsets = retentionOffsets(query.days);
    const today = dayOf(this.now());
    const histograms = await this.figures.levelHistograms(scope, audience, from, to, offsets, today);
    return offsets.map((n) => {
      const levels = histograms.get(n) ?? [];
      return {
        days_since_install: n,
        players: levels.reduce((sum, l) => sum + l.players, 0),
        p25: quantile(levels, 0.25),
        median: quantile(levels, 0.5),
        p75: quantile(levels, 0.75),
      };
    });
  }
}

/**
 * Linear interpolation between order statistics (the usual "type 7") of the values a histogram
 * holds (levels ascending, each with its count of players); null for no values.
 */
export function quantile(levels: readonly LevelCount[], q: number): number | null {
  const total = levels.reduce((sum, l) => sum + l.players, 0);
  if (total === 0) return null;
  const position = (total - 1) * q;
  const below = Math.floor(position);
  const at = (index: number) => {
    let seen = 0;
    for (const l of levels) {
      seen += l.players;
      if (index < seen) return l.level;
    }
    return levels[levels.length - 1]!.level;
  };
  const low = at(below);
  return low + (at(Math.min(below + 1, total - 1)) - low) * (position - below);
}
