import type { Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { Database } from '../store/database.js';

/**
 * The event-table reads of player insights (src/insights/), on SQLite and PostgreSQL. These are
 * the methods the `EventStore` port is to gain for insights; a ClickHouse store answers the same
 * questions. They are questions about stored events, never SQL fragments: insights keeps its
 * rollups in the control plane and knows no event table.
 */
export interface InsightsEventReads {
  /**
   * A position in the scope's event stream behind which every record is committed: records
   * stored later all lie after it. One number per event table (opaque to the caller).
   */
  activityCursor(dashboardId: string, environment: Environment): Promise<ActivityCursor>;
  /** What the records stored between two cursors add to each player's days (`after` excluded). */
  playerDayActivity(
    dashboardId: string,
    environment: Environment,
    after: ActivityCursor,
    upTo: ActivityCursor,
  ): Promise<ActivityDelta>;
  /** The user id and profile register date of players (unknown ids are left out). */
  playerProfiles(
    dashboardId: string,
    environment: Environment,
    playerIds: readonly number[],
  ): Promise<PlayerProfile[]>;
  /**
   * After rows were deleted (a player's data): the cursor behind which no record remains, per
   * table, whatever the scope. SQLite may give a deleted row's id to the next record stored, so
   * a cursor past it would skip that record.
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
}
export interface PlayerProfile {
  playerId: number;
  userId: string;
  registerDate: string | null;
}
