import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../store/database.js';
import { DEFAULT_SEGMENT } from '../personas/segments.service.js';
import type { Scope } from './audience.js';
import { MAX_RANGE_DAYS } from './insights-query.js';

/** The aggregate tables (migration 0021), all keyed by scope, segment and persona first. */
export const FIGURE_TABLES = [
  'insight_day_figures',
  'insight_cohort_figures',
  'insight_churn_figures',
  'insight_level_figures',
] as const;

/** Whose contributions: some players (interned ids) or all of the scope's; every segment or one. */
export interface Contributors {
  players?: readonly number[];
  segmentId?: string;
}

/**
 * A player's contributions to the aggregates, added (sign 1) or taken away (sign −1). Everything a
 * player adds is a function of their own rows (player-days, install day) and memberships, so
 * re-keying a player (new days, an install day moved earlier, a first purchase or last login
 * moved) is "take away all of theirs, change the rows, add all of theirs back". The player's
 * memberships are read now: callers hold the scope's generation row (src/insights/insights-rollup.ts).
 */
export async function applyContributions(
  trx: Kysely<Database>,
  scope: Scope,
  sign: 1 | -1,
  who: Contributors,
): Promise<void> {
  if (who.players?.length === 0) return;
  const s = sql.lit(sign);
  const d = scope.dashboardId;
  const e = scope.environment;
  const pd = playerFilter('pd', who.players);
  const ip = playerFilter('ip', who.players);
  const m = memberships(scope, who);
  const keyColumns = sql`dashboard_id, environment, segment_id, persona`;
  const add = (table: string, columns: readonly string[]) =>
    sql.join(
      columns.map((c) => sql`${sql.ref(c)} = ${sql.table(table)}.${sql.ref(c)} + excluded.${sql.ref(c)}`),
    );

  const dayColumns = [
    'players',
    'logins',
    'purchases',
    'paying',
    'revenue',
    'installs',
    'first_purchasers',
    'week_ends',
    'month_ends',
  ];
  // Stretch ends (WAU, MAU): each active day covers the window days up to the day before the
  // player's next active day, at most span − 1 days on.
  const stretchEnd = (span: number) =>
    sql`case when w.next_day is null or w.next_day > w.day + ${sql.lit(span - 1)} then w.day + ${sql.lit(span - 1)} else w.next_day - 1 end`;
  const windows = sql`(select pd.player_id, pd.day, lead(pd.day) over (partition by pd.player_id order by pd.day) as next_day
    from insight_player_days pd where pd.dashboard_id = ${d} and pd.environment = ${e} and ${pd}) w`;
  await sql`
    insert into insight_day_figures (${keyColumns}, day, ${sql.join(dayColumns.map((c) => sql.ref(c)))})
    select ${d}, ${e}, m.segment_id, m.persona, x.day,
      ${sql.join(dayColumns.map((c) => sql`${s} * sum(x.${sql.ref(c)})`))}
    from (
      select pd.player_id, pd.day, 1 as players, pd.logins, pd.purchases,
        case when pd.purchases > 0 then 1 else 0 end as paying, pd.revenue, 0 as installs,
        0 as first_purchasers, 0 as week_ends, 0 as month_ends
      from insight_player_days pd where pd.dashboard_id = ${d} and pd.environment = ${e} and ${pd}
      union all
      select ip.player_id, ip.install_day, 0, 0, 0, 0, 0, 1, 0, 0, 0
      from insight_players ip where ip.dashboard_id = ${d} and ip.environment = ${e} and ${ip}
      union all
      select pd.player_id, min(pd.day), 0, 0, 0, 0, 0, 0, 1, 0, 0
      from insight_player_days pd where pd.dashboard_id = ${d} and pd.environment = ${e} and ${pd}
        and pd.purchases > 0 group by pd.player_id
      union all
      select w.player_id, ${stretchEnd(7)}, 0, 0, 0, 0, 0, 0, 0, 1, 0 from ${windows}
      union all
      select w.player_id, ${stretchEnd(30)}, 0, 0, 0, 0, 0, 0, 0, 0, 1 from ${windows}
    ) x join ${m} on m.player_id = x.player_id
    where true
    group by m.segment_id, m.persona, x.day
    on conflict (${keyColumns}, day) do update set ${add('insight_day_figures', dayColumns)}`.execute(trx);

  await sql`
    insert into insight_cohort_figures (${keyColumns}, cohort, offset_days, players)
    select ${d}, ${e}, m.segment_id, m.persona, ip.install_day, pd.day - ip.install_day, ${s} * count(*)
    from insight_player_days pd
    join insight_players ip on ip.dashboard_id = pd.dashboard_id and ip.environment = pd.environment
      and ip.player_id = pd.player_id
    join ${m} on m.player_id = pd.player_id
    where pd.dashboard_id = ${d} and pd.environment = ${e} and ${pd}
      and pd.day - ip.install_day <= ${MAX_RANGE_DAYS}
    group by m.segment_id, m.persona, ip.install_day, pd.day - ip.install_day
    on conflict (${keyColumns}, cohort, offset_days) do update set ${add('insight_cohort_figures', ['players'])}`.execute(
    trx,
  );

  await sql`
    insert into insight_churn_figures (${keyColumns}, cohort, last_day, players)
    select ${d}, ${e}, m.segment_id, m.persona, c.install_day, c.last_day, ${s} * count(*)
    from (
      select ip.player_id, ip.install_day, coalesce((select max(pd.day) from insight_player_days pd
        where pd.dashboard_id = ip.dashboard_id and pd.environment = ip.environment
          and pd.player_id = ip.player_id and pd.logins > 0), ip.install_day) as last_day
      from insight_players ip where ip.dashboard_id = ${d} and ip.environment = ${e} and ${ip}
    ) c join ${m} on m.player_id = c.player_id
    where true
    group by m.segment_id, m.persona, c.install_day, c.last_day
    on conflict (${keyColumns}, cohort, last_day) do update set ${add('insight_churn_figures', ['players'])}`.execute(
    trx,
  );

  // Progression: where a player's highest level so far rises, +1 at the new level and −1 at the
  // old one; summed over offsets up to N, each player counts once, at their level reached by N.
  const rises = sql`(select r.player_id, r.install_day, r.offset_days, r.top,
      lag(r.top) over (partition by r.player_id order by r.offset_days) as before
    from (select pd.player_id, ip.install_day, pd.day - ip.install_day as offset_days,
        max(pd.max_level) over (partition by pd.player_id order by pd.day rows between unbounded preceding and current row) as top
      from insight_player_days pd
      join insight_players ip on ip.dashboard_id = pd.dashboard_id and ip.environment = pd.environment
        and ip.player_id = pd.player_id
      where pd.dashboard_id = ${d} and pd.environment = ${e} and ${pd} and pd.max_level is not null
        and pd.day - ip.install_day <= ${MAX_RANGE_DAYS}) r)`;
  await sql`
    insert into insight_level_figures (${keyColumns}, cohort, offset_days, level, players)
    select ${d}, ${e}, m.segment_id, m.persona, x.install_day, x.offset_days, x.level, ${s} * sum(x.n)
    from (
      select g.player_id, g.install_day, g.offset_days, g.top as level, 1 as n from ${rises} g
      where g.before is null or g.top > g.before
      union all
      select g.player_id, g.install_day, g.offset_days, g.before, -1 from ${rises} g
      where g.before is not null and g.top > g.before
    ) x join ${m} on m.player_id = x.player_id
    where true
    group by m.segment_id, m.persona, x.install_day, x.offset_days, x.level
    on conflict (${keyColumns}, cohort, offset_days, level) do update set ${add('insight_level_figures', ['players'])}`.execute(
    trx,
  );
}

/** Removes one segment's aggregates (or, without a segment, those of every segment but these). */
export async function clearFigures(
  trx: Kysely<Database>,
  scope: Scope,
  segments: { only: string } | { except: readonly string[] },
): Promise<void> {
  for (const table of FIGURE_TABLES) {
    const which =
      'only' in segments
        ? sql`segment_id = ${segments.only}`
        : sql`segment_id not in (${sql.join(segments.except.map((id) => sql`${id}`))})`;
    await sql`delete from ${sql.table(table)} where dashboard_id = ${scope.dashboardId}
      and environment = ${scope.environment} and ${which}`.execute(trx);
  }
}

/** The condition on `alias.player_id`: the players named (integers, inlined) or every player. */
function playerFilter(alias: string, players: readonly number[] | undefined): RawBuilder<unknown> {
  if (players === undefined) return sql`1 = 1`;
  for (const id of players) if (!Number.isSafeInteger(id)) throw new Error(`not a player number: ${id}`);
  return sql`${sql.ref(`${alias}.player_id`)} in (${sql.raw(players.join(', '))})`;
}

/**
 * `m (player_id, segment_id, persona)`: the segments each player is in (`default` for all, the
 * custom ones by their last snapshot) and their persona there (0: none).
 */
function memberships(scope: Scope, who: Contributors): RawBuilder<unknown> {
  const d = scope.dashboardId;
  const e = scope.environment;
  const ip = playerFilter('ip', who.players);
  const persona = (segment: RawBuilder<unknown>) =>
    sql`coalesce((select pm.persona from persona_members pm where pm.dashboard_id = ${d}
      and pm.environment = ${e} and pm.segment_id = ${segment} and pm.user_id = ip.user_id), 0)`;
  const parts: RawBuilder<unknown>[] = [];
  if (who.segmentId === undefined || who.segmentId === DEFAULT_SEGMENT.id)
    parts.push(sql`select ip.player_id, ${DEFAULT_SEGMENT.id} as segment_id, ${persona(sql`${DEFAULT_SEGMENT.id}`)} as persona
      from insight_players ip where ip.dashboard_id = ${d} and ip.environment = ${e} and ${ip}`);
  if (who.segmentId !== DEFAULT_SEGMENT.id) {
    const one = who.segmentId === undefined ? sql`` : sql`and sm.segment_id = ${who.segmentId}`;
    parts.push(sql`select ip.player_id, sm.segment_id, ${persona(sql`sm.segment_id`)} as persona
      from insight_players ip join insight_segment_members sm on sm.dashboard_id = ip.dashboard_id
        and sm.environment = ip.environment and sm.user_id = ip.user_id ${one}
      where ip.dashboard_id = ${d} and ip.environment = ${e} and ${ip}`);
  }
  return sql`(${sql.join(parts, sql` union all `)}) m`;
}
