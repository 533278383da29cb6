import { ENVIRONMENTS } from '../domain/records.js';
import type { EventStore } from '../events/event-store.js';
import { segmentUserIds } from '../personas/segment-filter.js';
import { DEFAULT_SEGMENT, type SegmentService } from '../personas/segments.service.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';
import { dayOf, dayText } from './days.js';
import { resolveQuery, retentionOffsets, type InsightsQuery } from './insights-query.js';
import type { InsightsRollup } from './insights-rollup.js';
import type { Scope } from './audience.js';
import type { InsightsRepository } from './insights.repository.js';

export interface DailyFigures {
  day: string;
  dau: number;
  new_players: number;
  revenue: number;
  paying_players: number;
  arpdau: number;
}
export interface CohortFigures {
  cohort: string;
  players: number;
  /** Share (0–1) of the cohort active on install day + N; null while that day is in the future. */
  retention: Record<string, number | null>;
}

/** Player insights: KPIs by segment and persona, read from the rollups (docs/insights.md). */
export class InsightsService {
  constructor(
    private readonly repository: InsightsRepository,
    private readonly rollup: InsightsRollup,
    private readonly tenancy: TenancyService,
    private readonly segments: SegmentService,
    private readonly events: EventStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** One entry per day of the range, zeros included. */
  async daily(scope: Scope, query: InsightsQuery): Promise<DailyFigures[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    const activity = new Map(
      (await this.repository.activity(scope, audience, from, to)).map((a) => [a.day, a]),
    );
    const days: DailyFigures[] = [];
    for (let day = from; day <= to; day++) {
      const a = activity.get(day);
      const dau = a?.dau ?? 0;
      const revenue = a?.revenue ?? 0;
      days.push({
        day: dayText(day),
        dau,
        new_players: a?.installs ?? 0,
        revenue,
        paying_players: a?.payingPlayers ?? 0,
        arpdau: dau === 0 ? 0 : revenue / dau,
      });
    }
    return days;
  }

  /**
   * One entry per install day of the range. A share is null while install day + N is after
   * today (UTC); a cohort of no players has shares of 0 once the day has come.
   */
  async retention(
    scope: Scope,
    query: InsightsQuery & { days?: string | undefined },
  ): Promise<CohortFigures[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    const offsets = retentionOffsets(query.days);
    const cohorts = new Map(
      (await this.repository.retention(scope, audience, from, to, offsets)).map((c) => [c.cohort, c]),
    );
    const today = dayOf(this.now());
    const answer: CohortFigures[] = [];
    for (let day = from; day <= to; day++) {
      const cohort = cohorts.get(day);
      const players = cohort?.players ?? 0;
      const retention: Record<string, number | null> = {};
      for (const n of offsets) {
        const retained = cohort?.retained.get(n) ?? 0;
        retention[String(n)] = day + n > today ? null : players === 0 ? 0 : retained / players;
      }
      answer.push({ cohort: dayText(day), players, retention });
    }
    return answer;
  }

  /** Folds new records into one scope's rollups and renews its segment snapshots. */
  async refresh(scope: Scope): Promise<void> {
    await this.rollup.refresh(scope.dashboardId, scope.environment);
    await this.snapshotSegments(scope);
  }

  /** Every scope of every dashboard: the worker's periodic task. */
  async refreshAll(): Promise<void> {
    for (const dashboard of await this.tenancy.listDashboards())
      for (const environment of ENVIRONMENTS) await this.refresh({ dashboardId: dashboard.id, environment });
  }

  /**
   * Custom segments' members, evaluated now and stored, so figures by segment read no event
   * table; the rollup moves the players who joined or left in the segment's aggregates.
   */
  private async snapshotSegments(scope: Scope): Promise<void> {
    const all = await this.segments.all(scope.dashboardId);
    for (const segment of all.filter((s) => s.id !== DEFAULT_SEGMENT.id))
      await this.rollup.replaceSegmentMembers(
        scope,
        segment.id,
        await segmentUserIds(this.events, scope, segment.filter),
      );
    // Members and aggregates of segments deleted since the last snapshot.
    await this.rollup.dropSegments(
      scope,
      all.map((s) => s.id),
    );
  }
}
