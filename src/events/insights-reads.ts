import type { Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { Database } from '../store/database.js';

/**
 * The event-table reads of player insights (src/insights/): the `EventStore` port's `insights`,
 * answered by the SQL stores (`events/sql/insights-aggregates.ts`: event ids as cursor) and by
 * ClickHouse (`events/clickhouse/insights-reads.ts`: insert times as cursor). They are questions
 * about stored events, never SQL fragments: insights keeps its rollups in the control plane and
 * knows no event table.
 */
export interface InsightsEventReads {
  /**
   * A position in the scope's event stream behind which every record is committed: records
   * stored later all lie after it. One number per event table (opaque to the caller).
   */
  activityCursor(dashboardId: string, environment: Environment): Promise<ActivityCursor>;
  /**
   * How far one step of a refresh goes from `after` towards `target` (at most `target`): a
   * bounded number of records, so a refresh catching up on a large backlog holds one step's
   * figures in memory at a time.
   */
  nextStep(
    dashboardId: string,
    environment: Environment,
    after: ActivityCursor,
    target: ActivityCursor,
  ): Promise<ActivityCursor>;
  /**
   * What the records stored between two cursors add to each player's days (`after` excluded),
   * with the profiles of the players touched (players unknown by now are left out of `players`).
   */
  playerDayActivity(
    dashboardId: string,
    environment: Environment,
    after: ActivityCursor,
    upTo: ActivityCursor,
  ): Promise<ActivityDelta>;
  /**
   * After rows were deleted (a player's data): the cursor behind which no record remains, per
   * position, whatever the scope. SQLite may give a deleted row's id to the next record stored,
   * so a cursor past it would skip that record. A store that never reuses a position answers `{}`.
   */
  highestStored(db: Kysely<Database>): Promise<ActivityCursor>;
}

export type ActivityCursor = Readonly<Record<string, number>>;

/** One player's additions to one UTC day (days since 1970-01-01). */
export interface PlayerDayDelta {
  playerId: number;
  day: number;
  records: number;
  logins: number;
  purchases: number;
  revenue: number;
  maxLevel: number | null;
}
/** A named value of one player's day: `kpi:<kpi_id>` values, `currency:<code>` virtual spend. */
export interface PlayerValueDelta {
  playerId: number;
  day: number;
  name: string;
  total: number;
  n: number;
}
export interface ActivityDelta {
  days: PlayerDayDelta[];
  values: PlayerValueDelta[];
  players: PlayerProfile[];
}
export interface PlayerProfile {
  playerId: number;
  userId: string;
  registerDate: string | null;
}

/** Every record type whose rows are a player's records with a timestamp: activity comes from all. */
export const ACTIVITY_TABLES = [
  'actions',
  'logins',
  'purchases',
  'virtual_purchases',
  'level_ups',
  'social_dynamics',
  'kpis',
  'survey_answers',
] as const;
export type ActivityTable = (typeof ACTIVITY_TABLES)[number];

/**
 * What a type adds to a player-day beside its count, as aggregate expressions every backend
 * reads alike (SQLite, PostgreSQL, ClickHouse); `addDay` reads their aliases.
 */
export const DAY_COLUMNS: Partial<Record<ActivityTable, string>> = {
  logins: 'max(level) as max_level',
  purchases: 'sum(price) as revenue',
  level_ups: 'max(level) as max_level',
};
/** Types whose rows carry named values: the name's expression and the summed column. */
export const VALUE_COLUMNS: Partial<Record<ActivityTable, { name: string; value: string }>> = {
  kpis: { name: "'kpi:' || kpi_id", value: 'value' },
  virtual_purchases: { name: "'currency:' || currency", value: 'virtual_price' },
};

const num = (value: unknown): number => Number(value ?? 0);

/** Adds one grouped row (`n`, and the `DAY_COLUMNS` aliases) of a type to a player's day. */
export function addDay(
  days: Map<string, PlayerDayDelta>,
  table: ActivityTable,
  playerId: number,
  row: Record<string, unknown>,
): void {
  const day = num(row.day);
  const key = `${playerId}:${day}`;
  let delta = days.get(key);
  if (!delta) {
    delta = { playerId, day, records: 0, logins: 0, purchases: 0, revenue: 0, maxLevel: null };
    days.set(key, delta);
  }
  const n = num(row.n);
  delta.records += n;
  if (table === 'logins') delta.logins += n;
  if (table === 'purchases') {
    delta.purchases += n;
    delta.revenue += num(row.revenue);
  }
  if (row.max_level !== null && row.max_level !== undefined)
    delta.maxLevel = Math.max(delta.maxLevel ?? -Infinity, num(row.max_level));
}
