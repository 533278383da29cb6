import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { AnyRecordType } from '../../domain/records.js';
import type { EventScope, WriteBatch, WriteResult } from '../event-store.js';
import {
  compareText,
  dailyCounts,
  eventColumns,
  eventValues,
  itemUpdateSql,
  lastItemPerId,
  profileMergeSql,
  profileRounds,
  keepNewRows,
  dedupeKeys,
  earliestEntry,
  withoutDeletedPlayers,
  dedupeOwners,
  PROFILE_COLUMNS,
  scopeKey,
  usersByScope,
  type ScopeUsers,
} from '../write-plan.js';
import type { BatchWriter } from './batch-writer.js';
import { copyField } from './copy-csv.js';
import type { EventDatabase } from './schema.js';

const PROFILE_SQL_TYPES = ['text', 'int', 'text', 'text', 'text', 'text', 'text'] as const;

interface Pending {
  batch: WriteBatch;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

type Attempt =
  | { ok: true; results: WriteResult[] }
  /** `atCommit`: COMMIT itself failed, so whether the group is stored is unknown. */
  | { ok: false; error: unknown; atCommit: boolean };

/** Batches that wait while the writer is busy are committed together, up to this many rows. */
const MAX_GROUP_ROWS = 16_000;
/** Transactions writing batches at once: one keeps the server's other core for HTTP and COPY parsing. */
const WRITERS = 1;

/** The advisory-lock namespace (first key) of scope locks between batch writes and deletions. */
const SCOPE_LOCK_SPACE = 727275;

/** A scope's advisory lock (second key): 32 bits of a hash; two scopes sharing one only wait more. */
function scopeLockKey(dashboardId: string, environment: string): number {
  return createHash('sha256').update(scopeKey({ dashboardId, environment })).digest().readInt32BE(0);
}

/** Player ids of a group, per scope (dashboard and environment), per user id. */
type PlayerIds = Map<string, Map<string, number>>;

/**
 * The PostgreSQL half of the SQL event store: batches go in with COPY through the store's pool.
 *
 * Batches are written by one writer: those that arrive while it is busy are committed together
 * in its next transaction (one COPY per record type, one commit), so the commit and round-trip
 * costs are shared and concurrent batches never wait on each other's row locks. Each batch's
 * promise settles after that commit. When a group fails before COMMIT, its batches are written
 * again one per transaction, so a bad batch fails alone, as if it had been sent alone.
 */
export class PostgresBatchWriter implements BatchWriter {
  /** Dead tuples stay until VACUUM reuses their space (see docs/api.md). */
  readonly overwritesDeleted = false;
  private readonly queue: Pending[] = [];
  private active = 0;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;

  constructor(private readonly pool: pg.Pool) {}

  /** Dead tuples are PostgreSQL's to reclaim (autovacuum, or VACUUM by the operator). */
  purgeDeleted(): Promise<void> {
    return Promise.resolve();
  }

  drain(): Promise<void> {
    return this.idle;
  }

  write(batch: WriteBatch): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.drainQueue();
    });
  }

  private drainQueue(): void {
    while (this.active < WRITERS && this.queue.length > 0) {
      if (this.active === 0) this.idle = new Promise((resolve) => (this.markIdle = resolve));
      this.active++;
      void this.commitGroup(this.takeGroup()).finally(() => {
        this.active--;
        this.drainQueue();
        if (this.active === 0) this.markIdle();
      });
    }
  }

  private takeGroup(): Pending[] {
    let rows = 0;
    let take = 0;
    while (
      take < this.queue.length &&
      (take === 0 || rows + this.queue[take]!.batch.rows.length <= MAX_GROUP_ROWS)
    ) {
      rows += this.queue[take]!.batch.rows.length;
      take++;
    }
    return this.queue.splice(0, take);
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    const attempt = await this.transact(group.map((p) => p.batch));
    if (attempt.ok) {
      group.forEach((pending, i) => {
        pending.resolve(attempt.results[i]!);
      });
      return;
    }
    if (group.length === 1 || attempt.atCommit) {
      for (const pending of group) pending.reject(attempt.error);
      return;
    }
    // Nothing was stored: one batch may have failed the group, so each goes in on its own.
    for (const pending of group) {
      const single = await this.transact([pending.batch]);
      if (single.ok) pending.resolve(single.results[0]!);
      else pending.reject(single.error);
    }
  }

  /** One transaction for the batches: all of them are stored, or none. */
  private async transact(batches: readonly WriteBatch[]): Promise<Attempt> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      return { ok: false, error, atCommit: false };
    }
    let healthy = true;
    let committing = false;
    try {
      await client.query(this.beginSql(batches));
      const results = await this.writeGroup(client, batches);
      committing = true;
      await client.query(results.every((r) => r.duplicate) ? 'ROLLBACK' : 'COMMIT');
      return { ok: true, results };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        healthy = false;
      });
      return { ok: false, error, atCommit: committing };
    } finally {
      client.release(!healthy);
    }
  }

  /**
   * BEGIN, then a shared lock on each scope the group writes players' rows in (sorted), in one
   * round trip: a deletion of the scope (`excludeWriters`) waits for the group, or the group for
   * it, and then reads its marker. Lock keys are integers made here: nothing to escape.
   */
  private beginSql(batches: readonly WriteBatch[]): string {
    const keys = [
      ...new Set(
        batches.filter((b) => b.def.userScoped).map((b) => scopeLockKey(b.dashboardId, b.environment)),
      ),
    ].sort((a, b) => a - b);
    if (keys.length === 0) return 'BEGIN';
    return `BEGIN; SELECT ${keys.map((k) => `pg_advisory_xact_lock_shared(${SCOPE_LOCK_SPACE}, ${k})`).join(', ')}`;
  }

  async excludeWriters(trx: Kysely<EventDatabase>, { dashboardId, environment }: EventScope): Promise<void> {
    await sql`select pg_advisory_xact_lock(${SCOPE_LOCK_SPACE}::int4, ${scopeLockKey(dashboardId, environment)}::int4)`.execute(
      trx,
    );
  }

  /**
   * Per scope of the group, the players deleted after the earliest record of the group's batches
   * in that scope entered: one query, as a rule answering nothing.
   */
  private async deletionsSince(
    client: pg.PoolClient,
    batches: readonly WriteBatch[],
  ): Promise<Map<string, Map<string, number>>> {
    const since = new Map<string, { dashboardId: string; environment: string; at: number }>();
    for (const batch of batches) {
      if (!batch.def.userScoped) continue;
      const key = scopeKey(batch);
      const at = earliestEntry(batch);
      const scope = since.get(key);
      if (!scope) since.set(key, { dashboardId: batch.dashboardId, environment: batch.environment, at });
      else scope.at = Math.min(scope.at, at);
    }
    const deletions = new Map<string, Map<string, number>>();
    if (since.size === 0) return deletions;
    const scopes = [...since.values()];
    const { rows } = await client.query<{ d: string; e: string; user_hash: string; deleted_at: number }>(
      `SELECT m.dashboard_id AS d, m.environment AS e, m.user_hash, m.deleted_at
       FROM unnest($1::text[], $2::text[], $3::int8[]) AS s(d, e, t)
       JOIN deleted_players m ON m.dashboard_id = s.d AND m.environment = s.e AND m.deleted_at > s.t`,
      [scopes.map((s) => s.dashboardId), scopes.map((s) => s.environment), scopes.map((s) => s.at)],
    );
    for (const row of rows) {
      const key = scopeKey({ dashboardId: row.d, environment: row.e });
      const scope = deletions.get(key) ?? new Map<string, number>();
      scope.set(row.user_hash, row.deleted_at);
      deletions.set(key, scope);
    }
    return deletions;
  }

  private async writeGroup(client: pg.PoolClient, batches: readonly WriteBatch[]): Promise<WriteResult[]> {
    const results: WriteResult[] = [];
    const live: WriteBatch[] = [];
    const deletions = await this.deletionsSince(client, batches);
    const none = new Map<string, number>();
    for (const sent of batches) {
      const duplicate = sent.idempotency ? !(await this.recordKey(client, sent)) : false;
      // Batch by batch, in order: a key two batches of the group share goes to the first.
      const storedBefore = !duplicate && sent.once ? !(await this.recordOnceKey(client, sent)) : false;
      const kept =
        duplicate || storedBefore
          ? { batch: sent, withheld: 0 }
          : withoutDeletedPlayers(sent, deletions.get(scopeKey(sent)) ?? none);
      const batch = storedBefore
        ? { ...sent, rows: [] }
        : !duplicate && kept.batch.dedupe
          ? keepNewRows(kept.batch, await this.recordDedupeKeys(client, kept.batch))
          : kept.batch;
      results.push({ duplicate, written: duplicate ? 0 : batch.rows.length, withheld: kept.withheld });
      if (!duplicate && batch.rows.length > 0) live.push(batch);
    }
    if (live.length === 0) return results;

    // Every named player exists from here on (first seen: the earliest batch naming it); logins
    // then merge their profiles batch by batch, in arrival order, as separate commits would.
    const playerIds = await this.internPlayers(client, live);
    for (const batch of live) {
      if (batch.def.type === 'logins') await this.upsertProfiles(client, batch);
    }

    const byType = new Map<AnyRecordType, WriteBatch[]>();
    for (const batch of live) {
      if (!batch.def.userScoped) continue;
      const list = byType.get(batch.def.type);
      if (list) list.push(batch);
      else byType.set(batch.def.type, [batch]);
    }
    for (const [type, list] of byType) await this.copyEvents(client, type, list, playerIds);
    for (const batch of live) if (!batch.def.userScoped) await this.upsertItems(client, batch);

    const counts = dailyCounts(live);
    await client.query(
      `INSERT INTO daily_counts (dashboard_id, environment, record_type, day, count)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[])
       ON CONFLICT (dashboard_id, environment, record_type, day) DO UPDATE SET count = daily_counts.count + excluded.count`,
      [
        counts.map((c) => c.dashboardId),
        counts.map((c) => c.environment),
        counts.map((c) => c.recordType),
        counts.map((c) => c.day),
        counts.map((c) => c.count),
      ],
    );
    return results;
  }

  /**
   * Records the batch's own key; false when it was recorded before (the batch is stored). A
   * concurrent transaction recording the same key makes this wait for its outcome.
   */
  private async recordOnceKey(client: pg.PoolClient, batch: WriteBatch): Promise<boolean> {
    const { source, key } = batch.once!;
    const recorded = await client.query(
      `INSERT INTO ingest_dedupe (dashboard_id, environment, source, key, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [batch.dashboardId, batch.environment, source, key, batch.receivedAt],
    );
    return recorded.rowCount !== 0;
  }

  /** Records the batch's dedupe keys; returns those recorded now (not stored before). */
  private async recordDedupeKeys(client: pg.PoolClient, batch: WriteBatch): Promise<Set<string>> {
    const keys = dedupeKeys(batch).sort(compareText);
    if (keys.length === 0) return new Set();
    const owners = dedupeOwners(batch);
    const inserted = await client.query<{ key: string }>(
      `INSERT INTO ingest_dedupe (dashboard_id, environment, source, key, created_at, user_id)
       SELECT $1, $2, $3, k, $5, u FROM unnest($4::text[], $6::text[]) AS t(k, u)
       ON CONFLICT DO NOTHING RETURNING key`,
      [
        batch.dashboardId,
        batch.environment,
        batch.dedupe!.source,
        keys,
        batch.receivedAt,
        keys.map((k) => owners.get(k) ?? null),
      ],
    );
    return new Set(inserted.rows.map((r) => r.key));
  }

  /** Records the batch's idempotency key unless a live one exists (an expired one is replaced). */
  private async recordKey(client: pg.PoolClient, batch: WriteBatch): Promise<boolean> {
    const { key, requestHash, response, notBefore } = batch.idempotency!;
    const recorded = await client.query(
      `INSERT INTO idempotency_keys (dashboard_id, environment, key, request_hash, response, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (dashboard_id, environment, key) DO UPDATE SET request_hash = excluded.request_hash,
         response = excluded.response, created_at = excluded.created_at
       WHERE idempotency_keys.created_at < $7`,
      [batch.dashboardId, batch.environment, key, requestHash, response, batch.receivedAt, notBefore],
    );
    return recorded.rowCount !== 0;
  }

  /** The id of every player the batches name, creating the players not seen before. */
  private async internPlayers(client: pg.PoolClient, batches: readonly WriteBatch[]): Promise<PlayerIds> {
    const ids: PlayerIds = new Map();
    const scopes = [...usersByScope(batches).entries()].sort(([a], [b]) => compareText(a, b));
    for (const [key, scope] of scopes) ids.set(key, await this.internScope(client, scope));
    return ids;
  }

  private async internScope(client: pg.PoolClient, scope: ScopeUsers): Promise<Map<string, number>> {
    const users = [...scope.firstSeen.keys()];
    const params = [scope.dashboardId, scope.environment];
    const select =
      'SELECT id, user_id FROM players WHERE dashboard_id = $1 AND environment = $2 AND user_id = ANY($3::text[])';
    const ids = new Map<string, number>();
    const collect = (rows: { id: number; user_id: string }[]) => {
      for (const r of rows) ids.set(r.user_id, r.id);
    };
    collect((await client.query<{ id: number; user_id: string }>(select, [...params, users])).rows);
    if (ids.size < users.length) {
      // Sorted, so concurrent writers (other server processes) lock new players in one order.
      const missing = users.filter((u) => !ids.has(u)).sort(compareText);
      // ON CONFLICT DO NOTHING takes no lock on existing players; a row another writer created
      // meanwhile is then read back by the second select.
      collect(
        (
          await client.query<{ id: number; user_id: string }>(
            `INSERT INTO players (dashboard_id, environment, user_id, first_seen_at)
             SELECT $1, $2, u, f FROM unnest($3::text[], $4::int8[]) AS t(u, f)
             ON CONFLICT DO NOTHING RETURNING id, user_id`,
            [...params, missing, missing.map((u) => scope.firstSeen.get(u)!)],
          )
        ).rows,
      );
      const stillMissing = missing.filter((u) => !ids.has(u));
      if (stillMissing.length > 0)
        collect(
          (await client.query<{ id: number; user_id: string }>(select, [...params, stillMissing])).rows,
        );
    }
    return ids;
  }

  private async upsertProfiles(client: pg.PoolClient, batch: WriteBatch): Promise<void> {
    const columns = ['user_id', 'last_login_at', ...PROFILE_COLUMNS];
    const casts = ['text', 'int8', ...PROFILE_SQL_TYPES];
    // Round by round (usually one): each field's newest login decides it against the stored profile.
    for (const updates of profileRounds(batch.rows)) {
      const arrays = [
        updates.map((p) => p.userId),
        updates.map((p) => p.loginAt),
        ...PROFILE_COLUMNS.map((_, i) => updates.map((p) => p.values[i] ?? null)),
      ];
      await client.query(
        `INSERT INTO players (dashboard_id, environment, first_seen_at, ${columns.join(', ')})
         SELECT $1, $2, $3, * FROM unnest(${casts.map((t, i) => `$${i + 4}::${t}[]`).join(', ')})
         ON CONFLICT (dashboard_id, environment, user_id) DO UPDATE SET ${profileMergeSql()}`,
        [batch.dashboardId, batch.environment, batch.receivedAt, ...arrays],
      );
    }
  }

  /** The batches' rows of one event type, in one COPY. */
  private async copyEvents(
    client: pg.PoolClient,
    type: AnyRecordType,
    batches: readonly WriteBatch[],
    playerIds: PlayerIds,
  ): Promise<void> {
    const chunks: string[] = [];
    for (const batch of batches) {
      const ids = playerIds.get(scopeKey(batch))!;
      const head = `${copyField(batch.dashboardId)}\t${copyField(batch.environment)}\t`;
      const received = `\t${batch.receivedAt}`;
      const lines = new Array<string>(batch.rows.length);
      batch.rows.forEach((row, i) => {
        let line = head + String(ids.get(row.userId!)) + '\t' + String(row.ts) + received;
        for (const value of row.values) line += '\t' + copyField(value);
        lines[i] = line + '\t' + copyField(row.extra) + '\n';
      });
      chunks.push(lines.join(''));
    }
    const columns = eventColumns(batches[0]!);
    await pipeline(
      Readable.from(chunks),
      client.query(copyFrom(`COPY ${type} (${columns.join(', ')}) FROM STDIN`)),
    );
  }

  private async upsertItems(client: pg.PoolClient, batch: WriteBatch): Promise<void> {
    const columns = eventColumns(batch);
    const rows = lastItemPerId(batch.rows).map((row) => eventValues(batch, row, undefined));
    const params = columns.map((_, c) => rows.map((r) => r[c] ?? null));
    const casts = ['text', 'text', 'int8', 'int8', 'text', 'float8', 'text', 'text', 'text', 'text'];
    await client.query(
      `INSERT INTO items (${columns.join(', ')})
       SELECT * FROM unnest(${casts.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
       ON CONFLICT (dashboard_id, environment, item_id) DO UPDATE SET ${itemUpdateSql(batch)}`,
      params,
    );
  }
}
