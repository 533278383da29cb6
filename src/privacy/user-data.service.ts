import { sql, type Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import { utcDay } from '../domain/timestamp.js';
import type { Database } from '../store/database.js';
import { PLAYER_DATA_TABLES } from './player-data-tables.js';

/** Deletes a player's data (`DELETE /v1/userData`). */
export class UserDataService {
  constructor(
    private readonly db: Kysely<Database>,
    /** Called after a deletion: the player's scores must leave the personas (a debounced recompute). */
    private readonly onDeleted: (dashboardId: string, environment: Environment) => void = () => undefined,
  ) {}

  /**
   * Removes every record of the player in the dashboard and environment, from every table of
   * PLAYER_DATA_TABLES, in one transaction, decrementing `daily_counts` for the events removed.
   * Returns the number of records removed (0 for an unknown player: deleting twice is harmless).
   */
  async deletePlayer(dashboardId: string, environment: Environment, userId: string): Promise<number> {
    // Ingestion refuses U+0000 in a user id on every backend (PostgreSQL text cannot hold it, and
    // would fail the query): such a player cannot exist, so nothing of theirs is stored.
    if (userId.includes('\u0000')) return 0;
    const deleted = await this.db.transaction().execute(async (trx) => {
      const player = await trx
        .selectFrom('players')
        .select('id')
        .where('dashboard_id', '=', dashboardId)
        .where('environment', '=', environment)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      let total = 0;
      for (const { table, key, dailyCounts } of PLAYER_DATA_TABLES) {
        const id = key === 'player_id' ? player?.id : userId;
        if (id === undefined) continue;
        const where = sql`dashboard_id = ${dashboardId} and environment = ${environment} and ${sql.ref(key)} = ${id}`;
        if (dailyCounts)
          await this.decrementCounts(trx, sql.table(table), where, dailyCounts, dashboardId, environment);
        const result = await sql`delete from ${sql.table(table)} where ${where}`.execute(trx);
        total += Number(result.numAffectedRows ?? 0);
      }
      if (total > 0) {
        const now = Date.now();
        await trx
          .insertInto('user_data_deletions')
          .values({ dashboard_id: dashboardId, environment, deleted_at: now })
          .onConflict((oc) => oc.columns(['dashboard_id', 'environment']).doUpdateSet({ deleted_at: now }))
          .execute();
      }
      return total;
    });
    if (deleted > 0) this.onDeleted(dashboardId, environment);
    return deleted;
  }

  /** `daily_counts` is keyed by arrival day: the removed rows leave their days' counts. */
  private async decrementCounts(
    trx: Kysely<Database>,
    table: ReturnType<typeof sql.table>,
    where: ReturnType<typeof sql>,
    recordType: string,
    dashboardId: string,
    environment: Environment,
  ): Promise<void> {
    // Rows of one batch share received_at: few groups per player.
    const groups = await sql<{ received_at: number; n: number }>`
      select received_at, count(*) as n from ${table} where ${where} group by received_at`.execute(trx);
    const byDay = new Map<string, number>();
    for (const g of groups.rows) {
      const day = utcDay(g.received_at);
      byDay.set(day, (byDay.get(day) ?? 0) + g.n);
    }
    for (const [day, n] of [...byDay.entries()].sort()) {
      const scope = sql`dashboard_id = ${dashboardId} and environment = ${environment} and record_type = ${recordType} and day = ${day}`;
      await sql`update daily_counts set count = count - ${n} where ${scope}`.execute(trx);
      await sql`delete from daily_counts where ${scope} and count <= 0`.execute(trx);
    }
  }
}
