import { sql, type Kysely } from 'kysely';
import type { Environment } from '../../domain/records.js';
import type { Database } from '../../store/database.js';
import {
  ACTIVITY_TABLES,
  DAY_COLUMNS,
  VALUE_COLUMNS,
  addDay,
  type ActivityCursor,
  type ActivityDelta,
  type InsightsEventReads,
  type PlayerDayDelta,
  type PlayerProfile,
  type PlayerValueDelta,
} from '../insights-reads.js';
import type { BatchWriter } from './batch-writer.js';
import type { EventDatabase } from './schema.js';

const DAY_MS = 86_400_000;
/** Event ids folded per table per step: bounds the memory of a refresh catching up on a backlog. */
const STEP_IDS = 200_000;

/** Player ids per profile query (bound parameters stay far below every backend's limit). */
const PROFILE_CHUNK = 500;

const num = (value: unknown): number => Number(value ?? 0);

export class SqlInsightsAggregates implements InsightsEventReads {
  constructor(
    private readonly db: Kysely<EventDatabase>,
    private readonly writer: BatchWriter,
  ) {}

  async activityCursor(dashboardId: string, environment: Environment): Promise<ActivityCursor> {
    // Ids are handed out before commit: holding the scope's writers out while reading the highest
    // ids means no batch of the scope is still to commit below them (PostgreSQL; SQLite has one
    // writer). Other scopes' batches may, but their rows are never read under this scope.
    return this.db.transaction().execute(async (trx) => {
      await this.writer.excludeWriters(trx, { dashboardId, environment });
      return this.highestStored(trx as unknown as Kysely<Database>);
    });
  }

  async highestStored(db: Kysely<Database>): Promise<ActivityCursor> {
    const cursor: Record<string, number> = {};
    for (const table of ACTIVITY_TABLES) {
      const { rows } = await sql<{
        id: number | string | null;
      }>`select max(id) as id from ${sql.table(table)}`.execute(db);
      cursor[table] = num(rows[0]?.id);
    }
    return cursor;
  }

  nextStep(
    _dashboardId: string,
    _environment: Environment,
    after: ActivityCursor,
    target: ActivityCursor,
  ): Promise<ActivityCursor> {
    const upTo: Record<string, number> = {};
    for (const [table, last] of Object.entries(target))
      upTo[table] = Math.min(last, (after[table] ?? 0) + STEP_IDS);
    return Promise.resolve(upTo);
  }

  async playerDayActivity(
    dashboardId: string,
    environment: Environment,
    after: ActivityCursor,
    upTo: ActivityCursor,
  ): Promise<ActivityDelta> {
    const days = new Map<string, PlayerDayDelta>();
    const values: PlayerValueDelta[] = [];
    for (const table of ACTIVITY_TABLES) {
      const from = after[table] ?? 0;
      const to = upTo[table] ?? 0;
      if (to <= from) continue;
      // The primary key's range finds the new rows; the scope filters them.
      const where = sql`dashboard_id = ${dashboardId} and environment = ${environment} and id > ${from} and id <= ${to}`;
      const extra = DAY_COLUMNS[table];
      const { rows } = await sql<Record<string, unknown>>`
        select player_id, ts / ${sql.lit(DAY_MS)} as day, count(*) as n ${sql.raw(extra ? `, ${extra}` : '')}
        from ${sql.table(table)} where ${where} group by player_id, ts / ${sql.lit(DAY_MS)}`.execute(this.db);
      for (const row of rows) addDay(days, table, num(row.player_id), row);
      const named = VALUE_COLUMNS[table];
      if (!named) continue;
      const grouped = await sql<Record<string, unknown>>`
        select player_id, ts / ${sql.lit(DAY_MS)} as day, ${sql.raw(named.name)} as name,
          sum(${sql.ref(named.value)}) as total, count(*) as n
        from ${sql.table(table)} where ${where} group by player_id, ts / ${sql.lit(DAY_MS)}, ${sql.raw(named.name)}`.execute(
        this.db,
      );
      for (const row of grouped.rows)
        values.push({
          playerId: num(row.player_id),
          day: num(row.day),
          name: String(row.name),
          total: num(row.total),
          n: num(row.n),
        });
    }
    const touched = [...new Set([...days.values()].map((d) => d.playerId))];
    return {
      days: [...days.values()],
      values,
      players: await this.playerProfiles(dashboardId, environment, touched),
    };
  }

  /** The user id and profile register date of players (unknown ids are left out). */
  private async playerProfiles(
    dashboardId: string,
    environment: Environment,
    playerIds: readonly number[],
  ): Promise<PlayerProfile[]> {
    const profiles: PlayerProfile[] = [];
    for (let i = 0; i < playerIds.length; i += PROFILE_CHUNK) {
      const rows = await this.db
        .selectFrom('players')
        .select(['id', 'user_id', 'register_date'])
        .where('dashboard_id', '=', dashboardId)
        .where('environment', '=', environment)
        .where('id', 'in', playerIds.slice(i, i + PROFILE_CHUNK))
        .execute();
      for (const r of rows)
        profiles.push({ playerId: num(r.id), userId: r.user_id, registerDate: r.register_date });
    }
    return profiles;
  }
}
