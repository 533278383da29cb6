import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { memberOf, type Audience, type Scope } from './audience.js';

const num = (value: unknown): number => Number(value ?? 0);

/** A named value per day (`kpi:<id>`, `currency:<code>`): its sum, records and players. */
export interface NamedDayValue {
  day: number;
  name: string;
  total: number;
  n: number;
  players: number;
}
export interface CohortChurn {
  cohort: number;
  players: number;
  churned: number;
}
/** A player's highest level on one day, with the player's install day. */
export interface LevelDay {
  playerId: number;
  installDay: number;
  day: number;
  level: number;
}

/**
 * The reads behind engagement, monetisation, churn, progression and KPI figures: SQL over the
 * rollup tables only (`ip` is always the `insight_players` row the audience condition tests).
 */
export class FiguresRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private join(scope: Scope) {
    return sql`join insight_players ip on ip.dashboard_id = ${scope.dashboardId} and ip.environment = ${scope.environment}
      and ip.player_id = t.player_id`;
  }

  /**
   * Distinct players active in the 7 and 30 days ending on each day of the range (WAU, MAU), in
   * one read: each active day of a player covers the window days from it to the day before their
   * next active day (at most 6 or 29 days on), so these stretches never overlap for a player and
   * a day's figure is the number of stretches covering it. The database returns the stretches'
   * starts and ends counted per day; the running sum is taken here.
   */
  async windowActives(
    scope: Scope,
    audience: Audience,
    from: number,
    to: number,
  ): Promise<Map<number, { wau: number; mau: number }>> {
    const end = (span: number) =>
      sql`case when x.next_day is null or x.next_day > x.day + ${sql.lit(span)} then x.day + ${sql.lit(span)} else x.next_day - 1 end`;
    const { rows } = await sql<Record<string, unknown>>`
      with x as (
        select t.day, lead(t.day) over (partition by t.player_id order by t.day) as next_day
        from insight_player_days t ${this.join(scope)}
        where t.dashboard_id = ${scope.dashboardId} and t.environment = ${scope.environment}
          and t.day >= ${from - 29} and t.day <= ${to} and ${memberOf(scope, audience)})
      select 0 as w, x.day as d, count(*) as n from x group by x.day
      union all select 7 as w, ${end(6)} as d, count(*) as n from x group by ${end(6)}
      union all select 30 as w, ${end(29)} as d, count(*) as n from x group by ${end(29)}`.execute(this.db);
    // Per window: +n where stretches start, -n the day after they end.
    const week = new Map<number, number>();
    const month = new Map<number, number>();
    const add = (m: Map<number, number>, day: number, n: number) => m.set(day, (m.get(day) ?? 0) + n);
    for (const r of rows) {
      const w = num(r.w);
      const d = num(r.d);
      const n = num(r.n);
      if (w === 0) {
        add(week, d, n);
        add(month, d, n);
      } else add(w === 7 ? week : month, d + 1, -n);
    }
    const answer = new Map<number, { wau: number; mau: number }>();
    let wau = 0;
    let mau = 0;
    for (let day = from - 29; day <= to; day++) {
      wau += week.get(day) ?? 0;
      mau += month.get(day) ?? 0;
      if (day >= from) answer.set(day, { wau, mau });
    }
    return answer;
  }

  /** Players whose first real-money purchase falls on each day of the range. */
  async firstPurchases(
    scope: Scope,
    audience: Audience,
    from: number,
    to: number,
  ): Promise<Map<number, number>> {
    const { rows } = await sql<Record<string, unknown>>`
      select f.day, count(*) as n from (
        select t.player_id, min(t.day) as day from insight_player_days t ${this.join(scope)}
        where t.dashboard_id = ${scope.dashboardId} and t.environment = ${scope.environment}
          and t.purchases > 0 and t.day <= ${to} and ${memberOf(scope, audience)}
        group by t.player_id) f
      where f.day >= ${from} group by f.day`.execute(this.db);
    return new Map(rows.map((r) => [num(r.day), num(r.n)]));
  }

  /** Per day and name with the prefix (`kpi:`, `currency:`): sum, records and players. */
  async namedValues(
    scope: Scope,
    audience: Audience,
    prefix: string,
    from: number,
    to: number,
  ): Promise<NamedDayValue[]> {
    const { rows } = await sql<Record<string, unknown>>`
      select t.day, t.name, sum(t.total) as total, sum(t.n) as n, count(*) as players
      from insight_player_values t ${this.join(scope)}
      where t.dashboard_id = ${scope.dashboardId} and t.environment = ${scope.environment}
        and t.day >= ${from} and t.day <= ${to} and t.name like ${`${prefix}%`} and ${memberOf(scope, audience)}
      group by t.day, t.name`.execute(this.db);
    return rows
      .map((r) => ({
        day: num(r.day),
        name: String(r.name).slice(prefix.length),
        total: num(r.total),
        n: num(r.n),
        players: num(r.players),
      }))
      .sort((a, b) => a.day - b.day || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Per install cohort of the range: players, and those whose last login (their install day when
   * they never logged in) is on or before `lastDay` (no login since).
   */
  async churn(
    scope: Scope,
    audience: Audience,
    from: number,
    to: number,
    lastDay: number,
  ): Promise<CohortChurn[]> {
    const { rows } = await sql<Record<string, unknown>>`
      select c.install_day as cohort, count(*) as players,
        sum(case when coalesce(c.last_login, c.install_day) <= ${lastDay} then 1 else 0 end) as churned
      from (
        select ip.install_day, (select max(t.day) from insight_player_days t
          where t.dashboard_id = ip.dashboard_id and t.environment = ip.environment
            and t.player_id = ip.player_id and t.logins > 0) as last_login
        from insight_players ip
        where ip.dashboard_id = ${scope.dashboardId} and ip.environment = ${scope.environment}
          and ip.install_day >= ${from} and ip.install_day <= ${to} and ${memberOf(scope, audience)}
      ) c group by c.install_day`.execute(this.db);
    return rows.map((r) => ({ cohort: num(r.cohort), players: num(r.players), churned: num(r.churned) }));
  }

  /** The levels seen on each day up to install day + `upTo`, of the players installed in the range. */
  async levelDays(
    scope: Scope,
    audience: Audience,
    from: number,
    to: number,
    upTo: number,
  ): Promise<LevelDay[]> {
    const { rows } = await sql<Record<string, unknown>>`
      select t.player_id, ip.install_day, t.day, t.max_level
      from insight_player_days t ${this.join(scope)}
      where t.dashboard_id = ${scope.dashboardId} and t.environment = ${scope.environment}
        and ip.install_day >= ${from} and ip.install_day <= ${to} and t.max_level is not null
        and t.day <= ip.install_day + ${upTo} and ${memberOf(scope, audience)}`.execute(this.db);
    return rows.map((r) => ({
      playerId: num(r.player_id),
      installDay: num(r.install_day),
      day: num(r.day),
      level: num(r.max_level),
    }));
  }
}
