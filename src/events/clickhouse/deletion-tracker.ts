import type { EventScope } from '../event-store.js';
import type { ClickHouseShard } from './http-client.js';
import { chSql, identifier, inList, join } from './literal.js';
import { EVENT_DEFS, PLAYER_TABLES, tableOf } from './schema.js';

/** Whether a mutation of one of these tables is still unfinished on any shard (`system.mutations`). */
export async function mutationsRunning(
  shards: readonly ClickHouseShard[],
  tables: readonly string[],
): Promise<boolean> {
  const running = await Promise.all(
    shards.map((shard) =>
      shard.select<{ n: number }>(
        chSql`SELECT count() AS n FROM system.mutations
          WHERE database = ${shard.address.database} AND table IN ${inList(tables)} AND is_done = 0`,
      ),
    ),
  );
  return running.some(([row]) => (row?.n ?? 0) > 0);
}

/**
 * A player's deletion on ClickHouse: one `ALTER TABLE … DELETE` per table on every shard (the
 * player lives on one shard, but a change of shard count may have left rows elsewhere), then
 * `system.mutations` until every one is done. 18.16 has no lightweight `DELETE FROM` (23.3+):
 * a mutation rewrites the parts holding matching rows, in the background.
 */
export class DeletionTracker {
  constructor(private readonly shards: readonly ClickHouseShard[]) {}

  /** The player's rows on every shard (deduplicated: what the reads count). */
  async countRows(scope: EventScope, userId: string): Promise<number> {
    const parts = EVENT_DEFS.map(
      (def) =>
        chSql`SELECT count() AS n FROM ${identifier(tableOf(def))} FINAL
          WHERE dashboard_id = ${scope.dashboardId} AND environment = ${scope.environment} AND user_id = ${userId}`,
    );
    const counts = await Promise.all(
      this.shards.map((shard) => shard.select<{ n: number }>(join(parts, '\nUNION ALL\n'))),
    );
    return counts.flat().reduce((sum, row) => sum + row.n, 0);
  }

  async start(scope: EventScope, userId: string): Promise<void> {
    await Promise.all(
      this.shards.flatMap((shard) =>
        PLAYER_TABLES.map((table) =>
          shard.command(
            chSql`ALTER TABLE ${identifier(table)} DELETE
              WHERE dashboard_id = ${scope.dashboardId} AND environment = ${scope.environment} AND user_id = ${userId}`,
          ),
        ),
      ),
    );
  }

  /**
   * Done when no mutation of our tables is still running on any shard and none of the player's
   * rows is left (a batch that read the markers just before the deletion may have written after
   * the mutation started: such rows are deleted again here).
   */
  async complete(scope: EventScope, userId: string): Promise<boolean> {
    if (await mutationsRunning(this.shards, PLAYER_TABLES)) return false;
    if ((await this.countRows(scope, userId)) === 0) return true;
    await this.start(scope, userId);
    return false;
  }
}
