import { sql, type Kysely } from 'kysely';
import { utcDay } from '../../domain/timestamp.js';
import { playerHash } from '../../privacy/player-hash.js';
import type { DeletionStatus, EventScope } from '../event-store.js';
import type { BatchWriter } from './batch-writer.js';
import type { EventDatabase } from './schema.js';

/**
 * The event tables holding a player's rows, and how each names the player: by `user_id`, or by
 * the interned `player_id` of `players`. Deleted in this order (`players` last: the others are
 * found through it). `dailyCounts`: the table's rows are counted in `daily_counts` under this
 * record type, which the deletion decrements so the per-day figures stay right. A test fails
 * when a table of the database naming a player is listed neither here nor in
 * `privacy/player-data-tables.ts` (the control plane's).
 */
export const EVENT_PLAYER_TABLES: readonly {
  table: keyof EventDatabase;
  key: 'user_id' | 'player_id';
  dailyCounts?: string;
}[] = [
  { table: 'actions', key: 'player_id', dailyCounts: 'actions' },
  { table: 'logins', key: 'player_id', dailyCounts: 'logins' },
  { table: 'purchases', key: 'player_id', dailyCounts: 'purchases' },
  { table: 'virtual_purchases', key: 'player_id', dailyCounts: 'virtual_purchases' },
  { table: 'level_ups', key: 'player_id', dailyCounts: 'level_ups' },
  { table: 'social_dynamics', key: 'player_id', dailyCounts: 'social_dynamics' },
  { table: 'kpis', key: 'player_id', dailyCounts: 'kpis' },
  { table: 'survey_answers', key: 'player_id', dailyCounts: 'survey_answers' },
  { table: 'ingest_dedupe', key: 'user_id' },
  { table: 'players', key: 'user_id' },
];

/** The interned id of a player of the scope (undefined: no such player). */
export function playerOf(
  db: Kysely<EventDatabase>,
  { dashboardId, environment }: EventScope,
  userId: string,
): Promise<{ id: number } | undefined> {
  return db
    .selectFrom('players')
    .select('id')
    .where('dashboard_id', '=', dashboardId)
    .where('environment', '=', environment)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * Removes the player's event data of the scope in one transaction, decrementing `daily_counts`
 * for the events removed, and leaves the deletion marker (`deleted_players`: scope, hash of the
 * id, time) that every batch write consults. Returns the number of rows removed.
 */
export async function deletePlayer(
  db: Kysely<EventDatabase>,
  writer: BatchWriter,
  scope: EventScope,
  userId: string,
  at: number,
): Promise<number> {
  const { dashboardId, environment } = scope;
  return db.transaction().execute(async (trx) => {
    // Batches of the scope in flight commit first (and are deleted below); later ones see the marker.
    await writer.excludeWriters(trx, scope);
    // Even with nothing stored yet: an upload accepted before now may still hold the player.
    await trx
      .insertInto('deleted_players')
      .values({ dashboard_id: dashboardId, environment, user_hash: playerHash(userId), deleted_at: at })
      .onConflict((oc) =>
        oc.columns(['dashboard_id', 'environment', 'user_hash']).doUpdateSet({ deleted_at: at }),
      )
      .execute();
    const player = await playerOf(trx, scope, userId);
    let total = 0;
    for (const { table, key, dailyCounts } of EVENT_PLAYER_TABLES) {
      const id = key === 'player_id' ? player?.id : userId;
      if (id === undefined) continue;
      const where = sql`dashboard_id = ${dashboardId} and environment = ${environment} and ${sql.ref(key)} = ${id}`;
      if (dailyCounts) await decrementCounts(trx, sql.table(table), where, dailyCounts, scope);
      const result = await sql`delete from ${sql.table(table)} where ${where}`.execute(trx);
      total += Number(result.numAffectedRows ?? 0);
    }
    return total;
  });
}

/** The player's last deletion, from its marker: complete when it was made (one transaction). */
export async function deletionStatus(
  db: Kysely<EventDatabase>,
  { dashboardId, environment }: EventScope,
  userId: string,
): Promise<DeletionStatus | undefined> {
  const marker = await db
    .selectFrom('deleted_players')
    .select('deleted_at')
    .where('dashboard_id', '=', dashboardId)
    .where('environment', '=', environment)
    .where('user_hash', '=', playerHash(userId))
    .executeTakeFirst();
  if (!marker) return undefined;
  return { requestedAt: marker.deleted_at, completedAt: marker.deleted_at };
}

/** `daily_counts` is keyed by arrival day: the removed rows leave their days' counts. */
async function decrementCounts(
  trx: Kysely<EventDatabase>,
  table: ReturnType<typeof sql.table>,
  where: ReturnType<typeof sql>,
  recordType: string,
  { dashboardId, environment }: EventScope,
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
