import { sql, type Kysely } from 'kysely';
import type { EventScope, IdempotentAnswer, WriteBatch } from '../event-store.js';
import { dedupeKeys, dedupeOwners } from '../write-plan.js';
import type { Hidden, PendingDeletion } from './reads.js';

/**
 * The sweeper began rolling back this batch's rows (its write outlived the abandonment delay): it
 * must not be acknowledged. A 503: the client retries it.
 */
export class BatchRolledBackError extends Error {
  override name = 'BatchRolledBackError';
  readonly statusCode = 503;
  constructor() {
    super('the batch took longer than the abandonment delay and is being rolled back; retry it');
  }
}

/** An open write intent the sweeper took over. */
export interface AbandonedIntent {
  dashboardId: string;
  environment: EventScope['environment'];
  batchId: string;
}

/**
 * The keys, markers and write intents of the ClickHouse event store, kept in the control-plane
 * database (SQLite or PostgreSQL; the keys in the tables the SQL event store uses): they need
 * uniqueness and transactions, which ClickHouse does not have. A batch's intent is opened here,
 * its rows go to ClickHouse with deterministic ids, then its keys are recorded and its intent
 * closed in one transaction (docs/clickhouse.md, "The write protocol").
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

  /** Opens a batch's write intent, before any of its rows reaches a shard. */
  async openIntent(scope: EventScope, batchId: string, at: number): Promise<void> {
    await sql`insert into event_write_intents (dashboard_id, environment, batch_id, created_at)
      values (${scope.dashboardId}, ${scope.environment}, ${batchId}, ${at})`.execute(this.db);
  }

  /**
   * What reads hide, in one lookup: the dashboard's deletions still running (`event_deletions`) and
   * its open write intents (one environment, or both). Usually nothing.
   */
  async hidden(dashboardId: string, environment?: EventScope['environment']): Promise<Hidden> {
    const env = environment === undefined ? sql`` : sql`and environment = ${environment}`;
    const { rows } = await sql<{
      kind: 'deletion' | 'batch';
      environment: EventScope['environment'];
      name: string;
      at: number | string;
    }>`
      select 'deletion' as kind, environment, pending_user_id as name, requested_at as at from event_deletions
      where dashboard_id = ${dashboardId} ${env} and completed_at is null and pending_user_id is not null
      union all
      select 'batch' as kind, environment, batch_id as name, created_at as at from event_write_intents
      where dashboard_id = ${dashboardId} ${env}`.execute(this.db);
    const deletions: PendingDeletion[] = [];
    const batches: string[] = [];
    let openSince: number | undefined;
    for (const row of rows) {
      const at = Number(row.at);
      if (row.kind === 'deletion')
        deletions.push({ environment: row.environment, userId: row.name, requestedAt: at });
      else {
        batches.push(row.name);
        openSince = Math.min(openSince ?? at, at);
      }
    }
    return openSince === undefined ? { deletions, batches } : { deletions, batches, openSince };
  }

  /**
   * Takes over the intents opened before `before` (abandoned: no write runs that long) and any a
   * sweeper took over before without finishing: marks them rolled back, so their writers can no
   * longer acknowledge them, and returns up to `limit` of them.
   */
  async abandonedIntents(before: number, at: number, limit: number): Promise<AbandonedIntent[]> {
    await sql`update event_write_intents set rolled_back_at = ${at}
      where created_at < ${before} and rolled_back_at is null`.execute(this.db);
    const { rows } = await sql<{
      dashboard_id: string;
      environment: EventScope['environment'];
      batch_id: string;
    }>`select dashboard_id, environment, batch_id from event_write_intents
      where rolled_back_at is not null order by created_at limit ${limit}`.execute(this.db);
    return rows.map((r) => ({
      dashboardId: r.dashboard_id,
      environment: r.environment,
      batchId: r.batch_id,
    }));
  }

  /** Forgets intents whose rows were rolled back on every shard. */
  async forgetIntents(intents: readonly AbandonedIntent[]): Promise<void> {
    for (let i = 0; i < intents.length; i += 500) {
      const ids = intents.slice(i, i + 500).map((intent) => intent.batchId);
      await sql`delete from event_write_intents where batch_id in (${sql.join(ids)})`.execute(this.db);
    }
  }

  /**
   * After the batch's rows are in ClickHouse (written under `batchId`): records its dedupe keys,
   * once key and idempotency key and closes its write intent, in one transaction; throws
   * `BatchRolledBackError`, recording nothing, when the sweeper took the intent over (a loser of
   * a key race with another request's hash leaves it to the sweeper anyway). Returns
   * false when another request recorded a live idempotency key first (this one is then the
   * duplicate: its intent stays open, for the sweeper, unless it is the same request, whose rows
   * are copies of the winner's).
   */
  async record(batch: WriteBatch, batchId: string): Promise<boolean> {
    const scope = { dashboardId: batch.dashboardId, environment: batch.environment };
    const intent = sql`dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and batch_id = ${batchId}`;
    return await this.db.transaction().execute(async (trx) => {
      // Closing the intent takes its row (a sweeper marking it waits for this transaction, then
      // finds it gone); one the sweeper marked first is not closed, and nothing is recorded.
      const close = async () => {
        const closed = await sql`delete from event_write_intents
          where ${intent} and rolled_back_at is null`.execute(trx);
        if (Number(closed.numAffectedRows ?? 0) === 0) throw new BatchRolledBackError();
      };
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
      if (!batch.idempotency) {
        await close();
        return true;
      }
      const { key, requestHash, response, notBefore } = batch.idempotency;
      // A live key wins; an expired one is replaced (as on the SQL store).
      const result =
        await sql`insert into idempotency_keys (dashboard_id, environment, key, request_hash, response, created_at)
        values (${scope.dashboardId}, ${scope.environment}, ${key}, ${requestHash}, ${response}, ${batch.receivedAt})
        on conflict (dashboard_id, environment, key) do update set request_hash = excluded.request_hash,
          response = excluded.response, created_at = excluded.created_at
        where idempotency_keys.created_at < ${notBefore}`.execute(trx);
      if (Number(result.numAffectedRows ?? 0) > 0) {
        await close();
        return true;
      }
      const { rows } = await sql<{ request_hash: string }>`select request_hash from idempotency_keys
        where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and key = ${key}`.execute(
        trx,
      );
      if (rows[0]?.request_hash === requestHash) await close();
      return false;
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
