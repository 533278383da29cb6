import { sql, type Kysely } from 'kysely';
import type { Environment } from '../../domain/records.js';
import type { Database } from '../../store/database.js';
import type { EventScope } from '../event-store.js';
import {
  ACTIVITY_TABLES,
  DAY_COLUMNS,
  VALUE_COLUMNS,
  addDay,
  type ActivityCursor,
  type ActivityDelta,
  type ActivityTable,
  type InsightsEventReads,
  type PlayerDayDelta,
  type PlayerProfile,
  type PlayerValueDelta,
} from '../insights-reads.js';
import type { ClickHouseShard } from './http-client.js';
import { chSql, identifier, inList, raw, type SqlFragment } from './literal.js';
import { hide, visible, type Hidden } from './reads.js';
import { INSERTED_AT, eventTableOf } from './schema.js';

/**
 * The insights reads on ClickHouse (docs/insights.md, "On ClickHouse"). Event ids are hashes, so
 * the cursor is a time: every event row carries `inserted_at`, the time its INSERT left the writer,
 * and `event_stamps` keeps each id's earliest `inserted_at` (its first copy) through every merge.
 * A step folds the ids whose first copy lies in (after, upTo]: a copy inserted again later (a
 * replayed batch) has an earlier first copy and is skipped; a copy inserted twice within the step
 * is read once (`LIMIT 1 BY id`). The cursor stays `lagMs` behind now: an INSERT stamped t is
 * visible by t + the shard timeout, or it failed.
 */

/** The cursor's one position (watermark source): a time, epoch ms. */
const SOURCE = INSERTED_AT;
const DAY_MS = 86_400_000;
/** Event rows folded per step (about: copies count too). */
const STEP_ROWS = 500_000;
/** Time buckets a step's end is chosen among. */
const BUCKETS = 4096;
/** User ids per literal list sent to a shard (the query stays far below `max_query_size`). */
const USER_CHUNK = 20_000;
/** User ids per control-plane lookup (bound parameters stay under every backend's limit). */
const LOOKUP_CHUNK = 500;

export interface ClickHouseInsightsOptions {
  /** How far the cursor stays behind now (ms): the shard timeout plus the writers' clock skew. */
  lagMs: number;
  /** Event rows per step (about); default 500,000. */
  stepRows?: number;
  now?: () => number;
}

const num = (value: unknown): number => Number(value ?? 0);

const inScope = (scope: EventScope) =>
  chSql`dashboard_id = ${scope.dashboardId} AND environment = ${scope.environment}`;

async function everyShard<T>(shards: readonly ClickHouseShard[], statement: SqlFragment): Promise<T[]> {
  return (await Promise.all(shards.map((shard) => shard.select<T>(statement)))).flat();
}

export class ClickHouseInsightsReads implements InsightsEventReads {
  readonly #now: () => number;
  readonly #stepRows: number;

  constructor(
    private readonly shards: readonly ClickHouseShard[],
    /** The control plane: the rollups' player ids are interned in `insight_players`. */
    private readonly controlPlane: Kysely<Database>,
    /** The scope's deletions still running and open batches: their rows are never folded. */
    private readonly hidden: (scope: EventScope) => Promise<Hidden>,
    private readonly options: ClickHouseInsightsOptions,
  ) {
    this.#now = options.now ?? Date.now;
    this.#stepRows = options.stepRows ?? STEP_ROWS;
  }

  /**
   * `lagMs` behind now, and never past an open write intent of the scope: its rows are stamped
   * after it was opened, and the fold must not pass them while they may still be rolled back (an
   * abandoned batch holds the cursor until the sweeper has removed it).
   */
  async activityCursor(dashboardId: string, environment: Environment): Promise<ActivityCursor> {
    const { openSince } = await this.hidden({ dashboardId, environment });
    const cursor = this.#now() - this.options.lagMs;
    return { [SOURCE]: openSince === undefined ? cursor : Math.min(cursor, openSince - 1) };
  }

  /** Ids are never reused: a deletion leaves no cursor to move back. */
  highestStored(): Promise<ActivityCursor> {
    return Promise.resolve({});
  }

  /**
   * The end of the time buckets holding about `STEP_ROWS` copies from `after`: counted per bucket
   * of the stamps table; a bucket holding more alone is split again (down to one millisecond,
   * which holds at most a few INSERTs).
   */
  async nextStep(
    dashboardId: string,
    environment: Environment,
    after: ActivityCursor,
    target: ActivityCursor,
  ): Promise<ActivityCursor> {
    // (after, low] holds no row: the buckets span (low, to], narrowed to a first bucket too full.
    let low = after[SOURCE] ?? 0;
    let to = target[SOURCE] ?? low;
    for (;;) {
      const width = Math.max(1, Math.ceil((to - low) / BUCKETS));
      const rows = await everyShard<{ b: number; n: number }>(
        this.shards,
        chSql`SELECT intDiv(inserted_at - ${low} - 1, ${width}) AS b, count() AS n FROM event_stamps
          WHERE ${inScope({ dashboardId, environment })} AND inserted_at > ${low} AND inserted_at <= ${to}
          GROUP BY b`,
      );
      const counts = new Map<number, number>();
      for (const r of rows) counts.set(r.b, (counts.get(r.b) ?? 0) + r.n);
      const buckets = [...counts].sort((a, b) => a[0] - b[0]);
      const first = buckets[0];
      if (first && first[1] > this.#stepRows && width > 1) {
        low += first[0] * width;
        to = low + width;
        continue;
      }
      let rowsSoFar = 0;
      for (const [bucket, n] of buckets) {
        if (rowsSoFar > 0 && rowsSoFar + n > this.#stepRows) return { [SOURCE]: low + bucket * width };
        rowsSoFar += n;
      }
      return { [SOURCE]: to };
    }
  }

  async playerDayActivity(
    dashboardId: string,
    environment: Environment,
    after: ActivityCursor,
    upTo: ActivityCursor,
  ): Promise<ActivityDelta> {
    const scope = { dashboardId, environment };
    const from = after[SOURCE] ?? 0;
    const to = upTo[SOURCE] ?? from;
    if (to <= from) return { days: [], values: [], players: [] };
    const hidden = await this.hidden(scope);
    const perShard = await Promise.all(
      this.shards.map(async (shard) => {
        const grouped = await Promise.all(
          ACTIVITY_TABLES.map(async (table) => {
            const rows = fresh(scope, table, from, to, hidden);
            const extra = DAY_COLUMNS[table];
            const days = await shard.select<Record<string, unknown>>(
              chSql`SELECT user_id, intDiv(ts, ${DAY_MS}) AS day, count() AS n ${raw(extra ? `, ${extra}` : '')}
                FROM (${rows}) GROUP BY user_id, day`,
            );
            const named = VALUE_COLUMNS[table];
            const values = named
              ? await shard.select<Record<string, unknown>>(
                  chSql`SELECT user_id, intDiv(ts, ${DAY_MS}) AS day, ${raw(named.name)} AS name,
                    sum(${identifier(named.value)}) AS total, count() AS n
                  FROM (${rows}) GROUP BY user_id, day, name`,
                )
              : [];
            return { table, days, values };
          }),
        );
        const users = new Set<string>();
        for (const { days } of grouped) for (const row of days) users.add(String(row.user_id));
        const registered = await registerDates(shard, scope, [...users], hidden);
        return { grouped, users, registered };
      }),
    );
    const ids = await this.playerIds(
      scope,
      perShard.flatMap((s) => [...s.users]),
    );
    const days = new Map<string, PlayerDayDelta>();
    const values: PlayerValueDelta[] = [];
    const players: PlayerProfile[] = [];
    for (const { grouped, users, registered } of perShard) {
      for (const { table, days: rows, values: named } of grouped) {
        for (const row of rows) addDay(days, table, ids.get(String(row.user_id))!, row);
        for (const row of named)
          values.push({
            playerId: ids.get(String(row.user_id))!,
            day: num(row.day),
            name: String(row.name),
            total: num(row.total),
            n: num(row.n),
          });
      }
      for (const userId of users)
        players.push({ playerId: ids.get(userId)!, userId, registerDate: registered.get(userId) ?? null });
    }
    return { days: [...days.values()], values, players };
  }

  /**
   * The rollups' number for each player: the one `insight_players` holds, else the next free
   * ones. Two refreshes of a scope at once may hand out the same numbers: one of them only
   * commits (the generation row), and a number whose player never got a row is free again.
   */
  private async playerIds(scope: EventScope, userIds: readonly string[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const db = this.controlPlane;
    for (let i = 0; i < userIds.length; i += LOOKUP_CHUNK) {
      const rows = await db
        .selectFrom('insight_players')
        .select(['player_id', 'user_id'])
        .where('dashboard_id', '=', scope.dashboardId)
        .where('environment', '=', scope.environment)
        .where('user_id', 'in', userIds.slice(i, i + LOOKUP_CHUNK))
        .execute();
      for (const r of rows) ids.set(r.user_id, num(r.player_id));
    }
    const { rows } = await sql<{
      top: number | string | null;
    }>`select max(player_id) as top from insight_players
      where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment}`.execute(db);
    let next = num(rows[0]?.top) + 1;
    for (const userId of userIds) if (!ids.has(userId)) ids.set(userId, next++);
    return ids;
  }
}

/**
 * The rows of one type to fold in (from, to]: in scope, not hidden by a running deletion, whose
 * id's first copy (`event_stamps`, earliest insert time) lies in the range, one copy per id. The
 * copy read may be a later one (the event table keeps the latest copy): every copy of an id
 * carries the same record, and a later copy's time is past `from` too.
 */
function fresh(
  scope: EventScope,
  table: ActivityTable,
  from: number,
  to: number,
  hidden: Hidden,
): SqlFragment {
  const stamps = chSql`event_stamps WHERE ${inScope(scope)} AND type = ${table}`;
  return chSql`SELECT * FROM ${identifier(eventTableOf(table))} ${visible(hidden, 'events')}
    WHERE ${inScope(scope)} AND inserted_at > ${from} ${hide(hidden, 'events')}
      AND id IN (SELECT id FROM ${stamps}
        AND id IN (SELECT id FROM ${stamps} AND inserted_at > ${from} AND inserted_at <= ${to})
        GROUP BY id HAVING min(inserted_at) > ${from})
    LIMIT 1 BY id`;
}

/** Each player's register date: the latest login carrying one (the SQL store's merged profile). */
async function registerDates(
  shard: ClickHouseShard,
  scope: EventScope,
  userIds: readonly string[],
  hidden: Hidden,
): Promise<Map<string, string>> {
  const dates = new Map<string, string>();
  for (let i = 0; i < userIds.length; i += USER_CHUNK) {
    const rows = await shard.select<{ user_id: string; registered: string }>(
      chSql`SELECT user_id, argMax(register_date, ts) AS registered FROM ${identifier(eventTableOf('logins'))} FINAL ${visible(hidden, 'events')}
        WHERE ${inScope(scope)} AND isNotNull(register_date) AND user_id IN ${inList(userIds.slice(i, i + USER_CHUNK))}
          ${hide(hidden, 'events')}
        GROUP BY user_id`,
    );
    for (const r of rows) dates.set(r.user_id, r.registered);
  }
  return dates;
}
