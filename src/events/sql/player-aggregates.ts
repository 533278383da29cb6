import { sql, type Kysely } from 'kysely';
import type { EventScope, PlayerAggregates } from '../event-store.js';
import {
  addAggregateRow,
  aggregateColumns,
  noAggregates,
  PLAYER_AGGREGATES,
  type AggregateDialect,
} from '../player-aggregates.js';
import type { EventDatabase } from './schema.js';

/** SQLite and PostgreSQL write the aggregates alike. */
const SQL_DIALECT: AggregateDialect = {
  count: 'count(*)',
  distinct: (column) => `count(distinct ${column})`,
};

/**
 * Every player of the scope with their totals. Each event table is aggregated per player by the
 * database (one grouped scan each); only the per-player totals reach JavaScript, where they are
 * joined by player id. Separate statements rather than one join: a join of grouped subqueries
 * left to PostgreSQL's planner on tables not yet analysed took 30 s for 11,000 players (nested
 * loops over the aggregates); each grouped scan alone has one obvious plan.
 */
export async function playerAggregates(
  db: Kysely<EventDatabase>,
  { dashboardId, environment }: EventScope,
): Promise<PlayerAggregates[]> {
  const players = await db
    .selectFrom('players')
    .select(['id', 'user_id', 'level'])
    .where('dashboard_id', '=', dashboardId)
    .where('environment', '=', environment)
    .execute();
  const byPlayer = new Map<number, PlayerAggregates>();
  for (const p of players) byPlayer.set(p.id, noAggregates(p.user_id, p.level));
  for (const { table } of PLAYER_AGGREGATES) {
    const result = await sql<Record<string, number | string | null>>`
      select player_id, ${sql.raw(aggregateColumns(table, SQL_DIALECT))} from ${sql.table(table)}
      where dashboard_id = ${dashboardId} and environment = ${environment} group by player_id`.execute(db);
    for (const row of result.rows) {
      const aggregates = byPlayer.get(Number(row.player_id));
      if (aggregates) addAggregateRow(aggregates, table, row);
    }
  }
  return [...byPlayer.values()];
}
