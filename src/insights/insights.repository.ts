import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { figuresOf, type Audience, type Scope } from './audience.js';
import type { InsightsRollup } from './insights-rollup.js';

export interface DayActivity {
  day: number;
  dau: number;
  logins: number;
  purchases: number;
  payingPlayers: number;
  revenue: number;
  /** Players whose install day it is. */
  installs: number;
  /** Players whose first real-money purchase falls on it. */
  firstPurchasers: number;
}
export interface CohortRetention {
  cohort: number;
  players: number;
  /** Players of the cohort active on install day + N, by N. */
  retained: Map<number, number>;
}

const num = (value: unknown): number => Number(value ?? 0);

/**
 * The daily and retention reads: SQL over the aggregates (migration 0021), one row per day or
 * cohort and offset and persona, never per player.
 */
export class InsightsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly rollup: Pick<InsightsRollup, 'current'>,
  ) {}

  /** Per day of the range with any figure: DAU, logins, purchases, payers, revenue, installs. */
  async activity(scope: Scope, audience: Audience, from: number, to: number): Promise<DayActivity[]> {
    await this.rollup.current(scope, audience.segmentId, audience.persona !== 'all');
    const { rows } = await sql<Record<string, unknown>>`
      select f.day, sum(f.players) as dau, sum(f.logins) as logins, sum(f.purchases) as purchases,
        sum(f.paying) as paying, sum(f.revenue) as revenue, sum(f.installs) as installs,
        sum(f.first_purchasers) as first_purchasers
      from insight_day_figures f
      where f.dashboard_id = ${scope.dashboardId} and f.environment = ${scope.environment}
        and ${figuresOf(audience)} and f.day >= ${from} and f.day <= ${to}
      group by f.day`.execute(this.db);
    return rows.map((r) => ({
      day: num(r.day),
      dau: num(r.dau),
      logins: num(r.logins),
      purchases: num(r.purchases),
      payingPlayers: num(r.paying),
      revenue: num(r.revenue),
      installs: num(r.installs),
      firstPurchasers: num(r.first_purchasers),
    }));
  }

  /** Cohorts by install day in the range, with their players active on install day + each N. */
  async retention(
    scope: Scope,
    audience: Audience,
    from: number,
    to: number,
    offsets: readonly number[],
  ): Promise<CohortRetention[]> {
    const cohorts = new Map<number, CohortRetention>();
    for (const a of await this.activity(scope, audience, from, to))
      if (a.installs !== 0) cohorts.set(a.day, { cohort: a.day, players: a.installs, retained: new Map() });
    if (cohorts.size === 0 || offsets.length === 0) return [...cohorts.values()];
    const { rows } = await sql<Record<string, unknown>>`
      select f.cohort, f.offset_days as n, sum(f.players) as players
      from insight_cohort_figures f
      where f.dashboard_id = ${scope.dashboardId} and f.environment = ${scope.environment}
        and ${figuresOf(audience)} and f.cohort >= ${from} and f.cohort <= ${to}
        and f.offset_days in (${sql.join(offsets.map((n) => sql.lit(n)))})
      group by f.cohort, f.offset_days`.execute(this.db);
    for (const r of rows) cohorts.get(num(r.cohort))?.retained.set(num(r.n), num(r.players));
    return [...cohorts.values()];
  }
}
