import { sql, type Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { DeletionStatus, EventStore } from '../events/event-store.js';
import type { Database } from '../store/database.js';
import { PLAYER_DATA_TABLES, mentionsPlayer, type PlayerDataTable } from './player-data-tables.js';

/** What else learns of a deletion, after its transaction committed. */
export interface DeletionHooks {
  /** Records were removed: the player's scores must leave the personas (a debounced recompute). */
  onDeleted?(dashboardId: string, environment: Environment): void;
  /** Every deletion: this process's in-memory copies (the live tail) forget the player. */
  forgetInMemory?(dashboardId: string, environment: Environment, userId: string): void;
  /** In the deletion's transaction, before its deletes: derived stores take their locks first. */
  deletionStarted?(
    trx: Kysely<Database>,
    dashboardId: string,
    environment: Environment,
    userId: string,
  ): Promise<void>;
  /** In the deletion's transaction, after its deletes. */
  rowsDeleted?(trx: Kysely<Database>): Promise<void>;
}

/** What a deletion removed. */
export interface DeletionResult {
  /** Records removed (or, when `complete` is false, being removed). */
  records: number;
  /** False while the event store is still removing the player's events (ClickHouse mutations). */
  complete: boolean;
}

/**
 * Deletes a player's data (`DELETE /v1/userData`): the event store's part (events, profile,
 * KPIs, survey answers, dedupe keys, and the deletion marker that withholds late records), then
 * the control plane's (PLAYER_DATA_TABLES: scores, survey state, persona membership, the reject
 * log's excerpts) in one transaction.
 */
export class UserDataService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly events: EventStore,
    private readonly hooks: DeletionHooks = {},
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Removes every record of the player in the dashboard and environment and leaves a deletion
   * marker: records of the player that entered the system before now and reach the store later
   * (a queued upload, a bucket file, a PlayFab retry) are withheld. Returns the number of records
   * removed (0 for an unknown player: deleting twice is harmless). The event half goes first: a
   * failure between the halves leaves scores without events, which a retry of the same request
   * removes (both halves are idempotent).
   */
  async deletePlayer(dashboardId: string, environment: Environment, userId: string): Promise<DeletionResult> {
    // Ingestion refuses U+0000 in a user id on every backend (PostgreSQL text cannot hold it, and
    // would fail the query): such a player cannot exist, so nothing of theirs is stored.
    if (userId.includes('\u0000')) return { records: 0, complete: true };
    const now = this.now();
    const events = await this.events.deletePlayer({ dashboardId, environment }, userId, now);
    const { records, excerpts } = await this.db.transaction().execute(async (trx) => {
      await this.hooks.deletionStarted?.(trx, dashboardId, environment, userId);
      let total = events.records;
      let quoted = 0;
      for (const entry of PLAYER_DATA_TABLES) {
        if (entry.key === 'excerpt') {
          quoted += await this.deleteExcerpts(trx, entry, dashboardId, environment, userId);
          continue;
        }
        const where =
          entry.key === 'player_id'
            ? sql`dashboard_id = ${dashboardId} and environment = ${environment} and player_id in (
                select player_id from insight_players where dashboard_id = ${dashboardId}
                and environment = ${environment} and user_id = ${userId})`
            : sql`dashboard_id = ${dashboardId} and environment = ${environment} and user_id = ${userId}`;
        const result = await sql`delete from ${sql.table(entry.table)} where ${where}`.execute(trx);
        total += Number(result.numAffectedRows ?? 0);
      }
      await this.hooks.rowsDeleted?.(trx);
      if (total > 0) {
        // Read by a persona recompute running now: its members are checked against deletions.
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
    if (records + excerpts > 0) await this.events.purgeDeleted();
    return { records, complete: events.complete };
  }

  /**
   * Where the player's last deletion in the dashboard and environment stands
   * (`GET /v1/userData/deletion`): the event store's record of it, which every deletion leaves
   * (the control plane's half completes with the request). Undefined: no deletion of this id.
   */
  deletionStatus(
    dashboardId: string,
    environment: Environment,
    userId: string,
  ): Promise<DeletionStatus | undefined> {
    return this.events.deletionStatus({ dashboardId, environment }, userId);
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
}
