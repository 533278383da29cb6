import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { memberOf, type Audience, type Scope } from './audience.js';

export interface DayActivity {
  day: number;
  dau: number;
  logins: number;
  purchases: number;
  payingPlayers: number;
  revenue: number;
}
export interface CohortRetention {
  cohort: number;
  players: number;
  /** Players of the cohort active on install day + N, by N. */
  retained: Map<number, number>;
}

const num = (value: unknown): number => Number(value ?? 0);

/** The insights reads: SQL over the rollup tables only (never an event table). */
export class InsightsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Per active day of the range: DAU, logins, purchases, paying players and revenue. */
  async activity(scope: Scope, audience: Audience, from: number, to: number): Promise<DayActivity[]> {
    const { rows } = await sql<Record<string, unknown>>`
      select pd.day, count(*) as dau, sum(pd.logins) as logins, sum(pd.purchases) as purchases,
        sum(case when pd.purchases > 0 then 1 else 0 end) as paying, sum(pd.revenue) as revenue
      from insight_player_days pd
      join insight_players ip on ip.dashboard_id = pd.dashboard_id and ip.environment = pd.environment
        and ip.player_id = pd.player_id
      where pd.dashboard_id = ${scope.dashboardId} and pd.environment = ${scope.environment}
        and pd.day >= ${from} and pd.day <= ${to} and ${memberOf(scope, audience)}
      group by pd.day`.execute(this.db);
    return rows.map((r) => ({
      day: num(r.day),
      dau: num(r.dau),
      logins: num(r.logins),
      purchases: num(r.purchases),
      payingPlayers: num(r.paying),
      revenue: num(r.revenue),
    }));
  }

  /** Players whose install day falls in the range, per install day. */
  async installs(scope: Scope, audience: Audience, from: number, to: number): Promise<Map<number, number>> {
    const { rows } = await sql<Record<string, unknown>>`
      select ip.install_day as day, count(*) as n from insight_players ip
      where ip.dashboard_id = ${scope.dashboardId} and ip.environment = ${scope.environment}
        and ip.install_day >= ${from} and ip.install_day <= ${to} and ${memberOf(scope, audience)}
      group by ip.install_day`.execute(this.db);
    return new Map(rows.map((r) => [num(r.day), num(r.n)]));
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
    for (const [cohort, players] of await this.installs(scope, audience, from, to))
      cohorts.set(cohort, { cohort, players, retained: new Map() });
    if (cohorts.size === 0 || offsets.length === 0) return [...cohorts.values()];
    // "install day + N" for each N: an index lookup on (player, day) per cohort member.
    const days = sql.join(offsets.map((n) => sql`ip.install_day + ${sql.lit(n)}`));
    const { rows } = await sql<Record<string, unknown>>`
      select ip.install_day as cohort, pd.day - ip.install_day as n, count(*) as players
      from insight_players ip
      join insight_player_days pd on pd.dashboard_id = ip.dashboard_id and pd.environment = ip.environment
        and pd.player_id = ip.player_id and pd.day in (${days})
      where ip.dashboard_id = ${scope.dashboardId} and ip.environment = ${scope.environment}
        and ip.install_day >= ${from} and ip.install_day <= ${to} and ${memberOf(scope, audience)}
      group by ip.install_day, pd.day - ip.install_day`.execute(this.db);
    for (const r of rows) cohorts.get(num(r.cohort))?.retained.set(num(r.n), num(r.players));
    return [...cohorts.values()];
  }
}
