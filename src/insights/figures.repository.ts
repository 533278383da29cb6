import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { figuresOf, memberOf, type Audience, type Scope } from './audience.js';
import type { InsightsRollup } from './insights-rollup.js';

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
/** Players at one level: a histogram's bar. */
export interface LevelCount {
  level: number;
  players: number;
}

/**
 * The reads behind engagement, churn, progression and KPI figures: SQL over the aggregates
 * (migration 0021), but for KPIs and currencies, read per player-day from `insight_player_values`
 * (`ip` is then the `insight_players` row the audience condition tests).
 */
export class FiguresRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly rollup: Pick<InsightsRollup, 'current'>,
  ) {}

  private scoped(scope: Scope, audience: Audience) {
    return sql`f.dashboard_id = ${scope.dashboardId} and f.environment = ${scope.environment} and ${figuresOf(audience)}`;
  }

  private async current(scope: Scope, audience: Audience): Promise<void> {
    await this.rollup.current(scope, audience.segmentId, audience.persona !== 'all');
  }

  private join(scope: Scope) {
    return sql`join insight_players ip on ip.dashboard_id = ${scope.dashboardId} and ip.environment = ${scope.environment}
      and ip.player_id = t.player_id`;
  }

  /**
   * Distinct players active in the 7 and 30 days ending on each day of the range (WAU, MAU). Each
   * active day of a player opens a stretch that covers the window days up to the day before their
   * next active day (at most 6 or 29 days on), so a player's stretches never overlap and a day's
   * figure is the stretches begun by then less those ended before it: running sums of the
   * aggregates' active players and stretch ends, over the scope's days up to the range's end.
   */
  async windowActives(
    scope: Scope,
    audience: Audience,
    from: number,
    to: number,
  ): Promise<Map<number, { wau: number; mau: number }>> {
    await this.current(scope, audience);
    const { rows } = await sql<Record<string, unknown>>`
      select f.day, sum(f.players) as starts, sum(f.week_ends) as week_ends, sum(f.month_ends) as month_ends
      from insight_day_figures f where ${this.scoped(scope, audience)} and f.day <= ${to}
      group by f.day order by f.day`.execute(this.db);
    const answer = new Map<number, { wau: number; mau: number }>();
    let wau = 0;
    let mau = 0;
    let i = 0;
    const first = rows.length === 0 ? from : Math.min(from, num(rows[0]!.day));
    // A stretch ending on day e stops counting on e + 1: its end is subtracted a day late.
    let endedWeek = 0;
    let endedMonth = 0;
    for (let day = first; day <= to; day++) {
      wau -= endedWeek;
      mau -= endedMonth;
      endedWeek = 0;
      endedMonth = 0;
      if (i < rows.length && num(rows[i]!.day) === day) {
        const r = rows[i++]!;
        wau += num(r.starts);
        mau += num(r.starts);
        endedWeek = num(r.week_ends);
        endedMonth = num(r.month_ends);
      }
      if (day >= from) answer.set(day, { wau, mau });
    }
    return answer;
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
    await this.current(scope, audience);
    const { rows } = await sql<Record<string, unknown>>`
      select f.cohort, sum(f.players) as players,
        sum(case when f.last_day <= ${lastDay} then f.players else 0 end) as churned
      from insight_churn_figures f
      where ${this.scoped(scope, audience)} and f.cohort >= ${from} and f.cohort <= ${to}
      group by f.cohort`.execute(this.db);
    return rows
      .map((r) => ({ cohort: num(r.cohort), players: num(r.players), churned: num(r.churned) }))
      .filter((c) => c.players !== 0);
  }

  /**
   * For each N, the levels reached by install day + N (each player's highest by then) of the
   * cohorts of the range whose install day + N is not after `today`: histograms, levels ascending.
   */
  async levelHistograms(
    scope: Scope,
    audience: Audience,
    from: number,
    to: number,
    offsets: readonly number[],
    today: number,
  ): Promise<Map<number, LevelCount[]>> {
    await this.current(scope, audience);
    const ripe = offsets.filter((n) => from + n <= today);
    if (ripe.length === 0) return new Map();
    const parts = ripe.map(
      (n) => sql`select ${sql.lit(n)} as n, f.level, sum(f.players) as players from insight_level_figures f
        where ${this.scoped(scope, audience)} and f.cohort >= ${from} and f.cohort <= ${Math.min(to, today - n)}
          and f.offset_days <= ${sql.lit(n)}
        group by f.level`,
    );
    const { rows } = await sql<Record<string, unknown>>`${sql.join(parts, sql` union all `)}`.execute(
      this.db,
    );
    const answer = new Map<number, LevelCount[]>();
    for (const r of rows) {
      const players = num(r.players);
      if (players === 0) continue;
      const list = answer.get(num(r.n)) ?? [];
      list.push({ level: num(r.level), players });
      answer.set(num(r.n), list);
    }
    for (const list of answer.values()) list.sort((a, b) => a.level - b.level);
    return answer;
  }
}
