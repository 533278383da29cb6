import { sql, type Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import { utcDay } from '../domain/timestamp.js';
import type { Database } from '../store/database.js';
import type { Store } from '../store/store.js';
import { playerHash } from './player-hash.js';
import { PLAYER_DATA_TABLES, mentionsPlayer, type PlayerDataTable } from './player-data-tables.js';

/** What else learns of a deletion, after its transaction committed. */
export interface DeletionHooks {
  /** Records were removed: the player's scores must leave the personas (a debounced recompute). */
  onDeleted?(dashboardId: string, environment: Environment): void;
  /** Every deletion: this process's in-memory copies (the live tail) forget the player. */
  forgetInMemory?(dashboardId: string, environment: Environment, userId: string): void;
  /** In the deletion's transaction, before its deletes: derived stores take their locks first. */
  deletionStarted?(trx: Kysely<Database>, dashboardId: string, environment: Environment): Promise<void>;
  /** In the deletion's transaction, after its deletes. */
  rowsDeleted?(trx: Kysely<Database>): Promise<void>;
}

/** Deletes a player's data (`DELETE /v1/userData`). */
export class UserDataService {
  constructor(
    private readonly store: Store,
    private readonly hooks: DeletionHooks = {},
    private readonly now: () => number = Date.now,
  ) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  /**
   * Removes every record of the player in the dashboard and environment, from every table of
   * PLAYER_DATA_TABLES, in one transaction, decrementing `daily_counts` for the events removed,
   * and leaves a deletion marker: records of the player that entered the system before now and
   * reach the store later (a queued upload, a bucket file, a PlayFab retry) are withheld.
   * Returns the number of records removed (0 for an unknown player: deleting twice is harmless).
   */
  async deletePlayer(dashboardId: string, environment: Environment, userId: string): Promise<number> {
    // Ingestion refuses U+0000 in a user id on every backend (PostgreSQL text cannot hold it, and
    // would fail the query): such a player cannot exist, so nothing of theirs is stored.
    if (userId.includes('\u0000')) return 0;
    const { records, excerpts } = await this.db.transaction().execute(async (trx) => {
      // Batches of the scope in flight commit first (and are deleted below); later ones see the marker.
      await this.store.excludeWriters(trx, dashboardId, environment);
      await this.hooks.deletionStarted?.(trx, dashboardId, environment);
      const now = this.now();
      // Even with nothing stored yet: an upload accepted before now may still hold the player.
      await trx
        .insertInto('deleted_players')
        .values({ dashboard_id: dashboardId, environment, user_hash: playerHash(userId), deleted_at: now })
        .onConflict((oc) =>
          oc.columns(['dashboard_id', 'environment', 'user_hash']).doUpdateSet({ deleted_at: now }),
        )
        .execute();
      const player = await trx
        .selectFrom('players')
        .select('id')
        .where('dashboard_id', '=', dashboardId)
        .where('environment', '=', environment)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      let total = 0;
      let quoted = 0;
      for (const entry of PLAYER_DATA_TABLES) {
        if (entry.key === 'excerpt') {
          quoted += await this.deleteExcerpts(trx, entry, dashboardId, environment, userId);
          continue;
        }
        const { table, key, dailyCounts } = entry;
        const id = key === 'player_id' ? player?.id : userId;
        if (id === undefined) continue;
        const where = sql`dashboard_id = ${dashboardId} and environment = ${environment} and ${sql.ref(key)} = ${id}`;
        if (dailyCounts)
          await this.decrementCounts(trx, sql.table(table), where, dailyCounts, dashboardId, environment);
        const result = await sql`delete from ${sql.table(table)} where ${where}`.execute(trx);
        total += Number(result.numAffectedRows ?? 0);
      }
      await this.hooks.rowsDeleted?.(trx);
      if (total > 0) {
        await trx
          .insertInto('user_data_deletions')
          .values({ dashboard_id: dashboardId, environment, deleted_at: now })
          .onConflict((oc) => oc.columns(['dashboard_id', 'environment']).doUpdateSet({ deleted_at: now }))
          .execute();
      }
      return { records: total, excerpts: quoted };
    });
    this.hooks.forgetInMemory?.(dashboardId, environment, userId);
    if (records > 0) this.hooks.onDeleted?.(dashboardId, environment);
    if (records + excerpts > 0) await this.store.purgeDeleted();
    return records;
  }

  /**
   * Rows that quote the player in free text (excerpts of refused bodies): the table is bounded
   * per scope, so its rows are read and matched here rather than searched with SQL patterns.
   */
  private async deleteExcerpts(
    trx: Kysely<Database>,
    { table, textColumns }: PlayerDataTable,
    dashboardId: string,
    environment: Environment,
    userId: string,
  ): Promise<number> {
    const columns = textColumns ?? [];
    const { rows } = await sql<
      Record<string, string | number | null>
    >`select id, ${sql.join(columns.map((c) => sql.ref(c)))}
      from ${sql.table(table)} where dashboard_id = ${dashboardId} and environment = ${environment}`.execute(
      trx,
    );
    const ids = rows
      .filter((row) => columns.some((c) => mentionsPlayer(String(row[c] ?? ''), userId)))
      .map((row) => Number(row.id));
    if (ids.length === 0) return 0;
    await sql`delete from ${sql.table(table)} where dashboard_id = ${dashboardId} and environment = ${environment}
      and id in (${sql.join(ids)})`.execute(trx);
    return ids.length;
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
