import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { DEFAULT_SEGMENT } from '../personas/segments.service.js';
import type { Scope } from './audience.js';
import { MAX_RANGE_DAYS } from './insights-query.js';

/**
 * The aggregate tables (migration 0021): after the scope and the segment and persona (0: none),
 * their key columns and their additive value columns.
 */
const TABLES = {
  insight_day_figures: {
    key: ['day'],
    values: [
      'players',
      'logins',
      'purchases',
      'paying',
      'revenue',
      'installs',
      'first_purchasers',
      'week_ends',
      'month_ends',
    ],
  },
  insight_cohort_figures: { key: ['cohort', 'offset_days'], values: ['players'] },
  insight_churn_figures: { key: ['cohort', 'last_day'], values: ['players'] },
  insight_level_figures: { key: ['cohort', 'offset_days', 'level'], values: ['players'] },
} as const;
type FigureTable = keyof typeof TABLES;
export const FIGURE_TABLES = Object.keys(TABLES) as FigureTable[];

/** Players read per chunk (their ids and user ids are bound as parameters). */
const PLAYER_CHUNK = 2_000;
/** Rows per multi-row upsert (parameters stay under SQLite's and PostgreSQL's limits). */
const UPSERT_CHUNK = 300;
const DAY = {
  players: 0,
  logins: 1,
  purchases: 2,
  paying: 3,
  revenue: 4,
  installs: 5,
  first_purchasers: 6,
  week_ends: 7,
  month_ends: 8,
};

/** Whose contributions: some players (interned ids) or all of the scope's; every segment or one. */
export interface Contributors {
  players?: readonly number[];
  segmentId?: string;
}

/**
 * Changes to the aggregates, summed in memory and written at once (`write`): re-keying players
 * takes all of their contributions away and adds them back from their updated rows, and most of
 * the two cancel out.
 */
export class FigureDelta {
  private readonly rows = new Map<
    string,
    { table: FigureTable; key: (string | number)[]; values: number[] }
  >();

  add(table: FigureTable, key: (string | number)[], values: readonly number[], sign: number): void {
    const id = `${table}\u0000${key.join('\u0000')}`;
    let row = this.rows.get(id);
    if (!row) {
      row = { table, key, values: values.map(() => 0) };
      this.rows.set(id, row);
    }
    for (let i = 0; i < values.length; i++) row.values[i]! += sign * values[i]!;
  }

  /** Adds the changes to the stored aggregates (additive upserts); changes that cancelled are skipped. */
  async write(trx: Kysely<Database>, scope: Scope): Promise<void> {
    for (const table of FIGURE_TABLES) {
      const { key, values } = TABLES[table];
      const rows = [...this.rows.values()].filter((r) => r.table === table && r.values.some((v) => v !== 0));
      const columns = ['dashboard_id', 'environment', 'segment_id', 'persona', ...key];
      for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
        const tuples = rows
          .slice(i, i + UPSERT_CHUNK)
          .map((r) => sql`(${sql.join([scope.dashboardId, scope.environment, ...r.key, ...r.values])})`);
        await sql`insert into ${sql.table(table)} (${sql.join([...columns, ...values].map((c) => sql.ref(c)))})
          values ${sql.join(tuples)}
          on conflict (${sql.join(columns.map((c) => sql.ref(c)))}) do update set
          ${sql.join(values.map((c) => sql`${sql.ref(c)} = ${sql.table(table)}.${sql.ref(c)} + excluded.${sql.ref(c)}`))}`.execute(
          trx,
        );
      }
    }
    this.rows.clear();
  }
}

/**
 * Adds (sign 1) or takes away (sign −1) the players' contributions to the aggregates, into
 * `delta`. Everything a player adds is a function of their own rows (player-days, install day) and
 * memberships, read now: re-keying a player (new days, an install day moved earlier, a first
 * purchase or last login moved) is "take all of theirs away, change the rows, add all back".
 * Callers hold the scope's generation row (src/insights/insights-rollup.ts).
 */
export async function collectContributions(
  trx: Kysely<Database>,
  scope: Scope,
  delta: FigureDelta,
  sign: 1 | -1,
  who: Contributors,
): Promise<void> {
  if (who.players) {
    for (let i = 0; i < who.players.length; i += PLAYER_CHUNK)
      await collectChunk(trx, scope, delta, sign, who.players.slice(i, i + PLAYER_CHUNK), who.segmentId);
    return;
  }
  for (let after = -1; ; ) {
    const rows = await trx
      .selectFrom('insight_players')
      .select('player_id')
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('player_id', '>', after)
      .orderBy('player_id')
      .limit(PLAYER_CHUNK)
      .execute();
    if (rows.length === 0) return;
    await collectChunk(
      trx,
      scope,
      delta,
      sign,
      rows.map((r) => r.player_id),
      who.segmentId,
    );
    after = rows[rows.length - 1]!.player_id;
  }
}

async function collectChunk(
  trx: Kysely<Database>,
  scope: Scope,
  delta: FigureDelta,
  sign: 1 | -1,
  playerIds: readonly number[],
  segmentId: string | undefined,
): Promise<void> {
  const players = await trx
    .selectFrom('insight_players')
    .select(['player_id', 'user_id', 'install_day'])
    .where('dashboard_id', '=', scope.dashboardId)
    .where('environment', '=', scope.environment)
    .where('player_id', 'in', playerIds)
    .execute();
  if (players.length === 0) return;
  const days = await trx
    .selectFrom('insight_player_days')
    .select(['player_id', 'day', 'logins', 'purchases', 'revenue', 'max_level'])
    .where('dashboard_id', '=', scope.dashboardId)
    .where('environment', '=', scope.environment)
    .where('player_id', 'in', playerIds)
    .orderBy('player_id')
    .orderBy('day')
    .execute();
  const memberships = await membershipsOf(
    trx,
    scope,
    players.map((p) => p.user_id),
    segmentId,
  );
  const byPlayer = new Map<number, typeof days>();
  for (const d of days) {
    const list = byPlayer.get(d.player_id) ?? [];
    list.push(d);
    byPlayer.set(d.player_id, list);
  }
  for (const p of players) {
    const of = memberships.get(p.user_id);
    if (!of || of.length === 0) continue;
    const own = contributionsOf(p.install_day, byPlayer.get(p.player_id) ?? []);
    for (const [segment, persona] of of)
      for (const c of own) delta.add(c.table, [segment, persona, ...c.key], c.values, sign);
  }
}

/** Per user id: the segments they are in (`default`, custom ones by their snapshot) and their persona there (0: none). */
async function membershipsOf(
  trx: Kysely<Database>,
  scope: Scope,
  userIds: readonly string[],
  segmentId: string | undefined,
): Promise<Map<string, [string, number][]>> {
  const segments = new Map<string, string[]>();
  if (segmentId === undefined || segmentId === DEFAULT_SEGMENT.id)
    for (const id of userIds) segments.set(id, [DEFAULT_SEGMENT.id]);
  if (segmentId !== DEFAULT_SEGMENT.id) {
    let custom = trx
      .selectFrom('insight_segment_members')
      .select(['user_id', 'segment_id'])
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', 'in', userIds);
    if (segmentId !== undefined) custom = custom.where('segment_id', '=', segmentId);
    for (const r of await custom.execute())
      segments.set(r.user_id, [...(segments.get(r.user_id) ?? []), r.segment_id]);
  }
  let members = trx
    .selectFrom('persona_members')
    .select(['user_id', 'segment_id', 'persona'])
    .where('dashboard_id', '=', scope.dashboardId)
    .where('environment', '=', scope.environment)
    .where('user_id', 'in', userIds);
  if (segmentId !== undefined) members = members.where('segment_id', '=', segmentId);
  const personas = new Map<string, number>();
  for (const r of await members.execute()) personas.set(`${r.segment_id}\u0000${r.user_id}`, r.persona);
  const answer = new Map<string, [string, number][]>();
  for (const [userId, list] of segments)
    answer.set(
      userId,
      list.map((segment) => [segment, personas.get(`${segment}\u0000${userId}`) ?? 0]),
    );
  return answer;
}

interface Contribution {
  table: FigureTable;
  key: number[];
  values: number[];
}

/** What one player adds to each aggregate, from their install day and their days in order. */
function contributionsOf(
  installDay: number,
  days: readonly {
    day: number;
    logins: number;
    purchases: number;
    revenue: number;
    max_level: number | null;
  }[],
): Contribution[] {
  const out: Contribution[] = [];
  const dayRow = (day: number, column: keyof typeof DAY, value: number) => {
    const values = new Array<number>(9).fill(0);
    values[DAY[column]] = value;
    out.push({ table: 'insight_day_figures', key: [day], values });
  };
  dayRow(installDay, 'installs', 1);
  let firstPurchase = true;
  let lastLogin = installDay;
  let top: number | null = null;
  days.forEach((d, i) => {
    const next = days[i + 1]?.day;
    out.push({
      table: 'insight_day_figures',
      key: [d.day],
      values: [1, d.logins, d.purchases, d.purchases > 0 ? 1 : 0, d.revenue, 0, 0, 0, 0],
    });
    // Stretches (WAU, MAU): each active day covers the window days up to the day before the
    // player's next active day, at most span − 1 days on; the day it ends is counted.
    for (const [span, column] of [
      [7, 'week_ends'],
      [30, 'month_ends'],
    ] as const)
      dayRow(next === undefined || next > d.day + span - 1 ? d.day + span - 1 : next - 1, column, 1);
    if (d.purchases > 0 && firstPurchase) {
      dayRow(d.day, 'first_purchasers', 1);
      firstPurchase = false;
    }
    if (d.logins > 0) lastLogin = d.day;
    const offset = d.day - installDay;
    if (offset > MAX_RANGE_DAYS) return;
    out.push({ table: 'insight_cohort_figures', key: [installDay, offset], values: [1] });
    // Progression: where the highest level so far rises, +1 at the new level and −1 at the old:
    // summed over offsets up to N, the player counts once, at the level reached by N.
    if (d.max_level !== null && (top === null || d.max_level > top)) {
      out.push({ table: 'insight_level_figures', key: [installDay, offset, d.max_level], values: [1] });
      if (top !== null)
        out.push({ table: 'insight_level_figures', key: [installDay, offset, top], values: [-1] });
      top = d.max_level;
    }
  });
  out.push({ table: 'insight_churn_figures', key: [installDay, lastLogin], values: [1] });
  return out;
}

/** Removes one segment's aggregates, or those of every segment but these. */
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
