import { sql, type Kysely } from 'kysely';
import type { EventScope, IdempotentAnswer, WriteBatch } from '../event-store.js';
import { dedupeKeys, dedupeOwners } from '../write-plan.js';

/**
 * The keys and markers of the ClickHouse event store, kept in the control-plane database
 * (SQLite or PostgreSQL, the same tables the SQL event store uses): they need uniqueness and
 * transactions, which ClickHouse does not have. Rows go to ClickHouse first, with deterministic
 * ids; the keys are recorded here after, so a crash in between is repaired by the retry.
 */
export class ControlPlaneKeys {
  constructor(private readonly db: Kysely<unknown>) {}

  async replayed(scope: EventScope, key: string, notBefore: number): Promise<IdempotentAnswer | undefined> {
    const { rows } = await sql<{ request_hash: string; response: string }>`
      select request_hash, response from idempotency_keys
      where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and key = ${key}
        and created_at >= ${notBefore}`.execute(this.db);
    const row = rows[0];
    return row && { requestHash: row.request_hash, response: row.response };
  }

  async hasDedupeKey(scope: EventScope, source: string, prefix: string): Promise<boolean> {
    // substr rather than LIKE: a prefix holding `%` or `_` means itself.
    const { rows } = await sql<{ key: string }>`
      select key from ingest_dedupe
      where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and source = ${source}
        and substr(key, 1, ${prefix.length}) = ${prefix} limit 1`.execute(this.db);
    return rows.length > 0;
  }

  /** Markers of the scope newer than `since`: player hash → deletion time (usually none). */
  async deletionsSince(scope: EventScope, since: number): Promise<Map<string, number>> {
    const { rows } = await sql<{ user_hash: string; deleted_at: number | string }>`
      select user_hash, deleted_at from deleted_players
      where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and deleted_at > ${since}`.execute(
      this.db,
    );
    return new Map(rows.map((r) => [r.user_hash, Number(r.deleted_at)]));
  }

  /** Which of the keys a source recorded before. */
  async recordedKeys(scope: EventScope, source: string, keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const { rows } = await sql<{ key: string }>`
        select key from ingest_dedupe
        where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and source = ${source}
          and key in (${sql.join(chunk)})`.execute(this.db);
      for (const row of rows) found.add(row.key);
    }
    return found;
  }

  /**
   * After the batch's rows are in ClickHouse: records its dedupe keys, once key and idempotency
   * key in one transaction. Returns false when another request recorded a live idempotency key
   * first (this one is then the duplicate).
   */
  async record(batch: WriteBatch): Promise<boolean> {
    const scope = { dashboardId: batch.dashboardId, environment: batch.environment };
    return await this.db.transaction().execute(async (trx) => {
      if (batch.once) {
        await sql`insert into ingest_dedupe (dashboard_id, environment, source, key, created_at)
          values (${scope.dashboardId}, ${scope.environment}, ${batch.once.source}, ${batch.once.key}, ${batch.receivedAt})
          on conflict do nothing`.execute(trx);
      }
      const keys = dedupeKeys(batch);
      if (batch.dedupe && keys.length > 0) {
        const owners = dedupeOwners(batch);
        for (let i = 0; i < keys.length; i += 500) {
          const values = keys
            .slice(i, i + 500)
            .map(
              (key) =>
                sql`(${scope.dashboardId}, ${scope.environment}, ${batch.dedupe!.source}, ${key}, ${batch.receivedAt}, ${owners.get(key) ?? null})`,
            );
          await sql`insert into ingest_dedupe (dashboard_id, environment, source, key, created_at, user_id)
            values ${sql.join(values)} on conflict do nothing`.execute(trx);
        }
      }
      if (!batch.idempotency) return true;
      const { key, requestHash, response, notBefore } = batch.idempotency;
      // A live key wins; an expired one is replaced (as on the SQL store).
      const result =
        await sql`insert into idempotency_keys (dashboard_id, environment, key, request_hash, response, created_at)
        values (${scope.dashboardId}, ${scope.environment}, ${key}, ${requestHash}, ${response}, ${batch.receivedAt})
        on conflict (dashboard_id, environment, key) do update set request_hash = excluded.request_hash,
          response = excluded.response, created_at = excluded.created_at
        where idempotency_keys.created_at < ${notBefore}`.execute(trx);
      return Number(result.numAffectedRows ?? 0) > 0;
    });
  }

  /** The deletion marker, and the dedupe keys the player's events left. */
  async markDeleted(scope: EventScope, userId: string, userHash: string, at: number): Promise<number> {
    return await this.db.transaction().execute(async (trx) => {
      await sql`insert into deleted_players (dashboard_id, environment, user_hash, deleted_at)
        values (${scope.dashboardId}, ${scope.environment}, ${userHash}, ${at})
        on conflict (dashboard_id, environment, user_hash) do update set deleted_at = excluded.deleted_at`.execute(
        trx,
      );
      const removed = await sql`delete from ingest_dedupe
        where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and user_id = ${userId}`.execute(
        trx,
      );
      return Number(removed.numAffectedRows ?? 0);
    });
  }
}
