import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { utcDay } from '../../domain/timestamp.js';
import type { WriteBatch, WriteResult } from '../event-store.js';
import {
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
} from '../write-plan.js';
import type { BatchWriter } from './batch-writer.js';
import type { EventDatabase } from './schema.js';

type Sqlite = BetterSqlite3.Database;

interface Pending {
  batch: WriteBatch;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

type Outcome = { result: WriteResult } | { error: unknown };

/** A group stops growing at this many rows: one commit then blocks the event loop ~100 ms at most. */
const MAX_GROUP_ROWS = 8_000;

/**
 * The SQLite half of the SQL event store: prepared statements on the store's one connection.
 *
 * Batches that arrive while the event loop is busy are committed together: one transaction,
 * each batch in its own savepoint (so one failing batch still fails alone), one fsync. Every
 * batch's promise settles only after that commit.
 */
export class SqliteBatchWriter implements BatchWriter {
  /** `secure_delete` is on (see `SqliteStore.open`) and `purgeDeleted` truncates the WAL. */
  readonly overwritesDeleted = true;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly queue: Pending[] = [];
  private flushScheduled = false;
  private writing: Promise<void> = Promise.resolve();
  /** Runs one batch inside the group's transaction: as a savepoint. */
  private readonly writeOne: (batch: WriteBatch) => WriteResult;

  constructor(
    private readonly raw: Sqlite,
    /** Kysely over the same connection: a group holds it so no Kysely transaction interleaves. */
    private readonly db: Kysely<EventDatabase>,
  ) {
    this.writeOne = raw.transaction((batch: WriteBatch) => this.writeInTransaction(batch));
  }

  async purgeDeleted(): Promise<void> {
    // Through Kysely's one connection, so never inside a write group. TRUNCATE waits for readers
    // of other processes (busy_timeout); one still reading leaves the WAL as it is.
    await sql`pragma wal_checkpoint(truncate)`.execute(this.db);
  }

  /** One writer at a time: a batch commits wholly before or after the deletion's transaction. */
  excludeWriters(): Promise<void> {
    return Promise.resolve();
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushScheduled) await this.writing;
    await this.writing;
  }

  private statement(text: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.raw.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  write(batch: WriteBatch): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** After the current I/O callbacks: every batch they hand over joins the same commit. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const previous = this.writing;
    this.writing = new Promise<void>((resolve) => {
      setImmediate(() => {
        void previous.then(() => this.flush()).then(resolve, resolve);
      });
    });
  }

  private async flush(): Promise<void> {
    // Hold Kysely's single connection so no Kysely transaction can interleave with ours.
    await this.db
      .connection()
      .execute(() => {
        this.flushScheduled = false;
        let rows = 0;
        let take = 0;
        while (
          take < this.queue.length &&
          (take === 0 || rows + this.queue[take]!.batch.rows.length <= MAX_GROUP_ROWS)
        ) {
          rows += this.queue[take]!.batch.rows.length;
          take++;
        }
        const group = this.queue.splice(0, take);
        if (this.queue.length > 0) this.scheduleFlush();
        this.commitGroup(group);
        return Promise.resolve();
      })
      .catch((error: unknown) => {
        // No connection to be had (the store is closed): nothing queued can be written.
        this.flushScheduled = false;
        for (const pending of this.queue.splice(0)) pending.reject(error);
      });
  }

  private commitGroup(group: Pending[]): void {
    if (group.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      this.raw
        .transaction(() => {
          for (const { batch } of group) {
            try {
              outcomes.push({ result: this.writeOne(batch) });
            } catch (error) {
              outcomes.push({ error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the group is stored.
      for (const pending of group) pending.reject(error);
      return;
    }
    group.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) pending.reject(outcome.error);
      else pending.resolve(outcome.result);
    });
  }

  private writeInTransaction(sent: WriteBatch): WriteResult {
    const { dashboardId, environment, def } = sent;
    if (sent.idempotency) {
      const { key, requestHash, response, notBefore } = sent.idempotency;
      // Records the key unless a live one exists; an expired one is replaced.
      const recorded = this.statement(
        `INSERT INTO idempotency_keys (dashboard_id, environment, key, request_hash, response, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (dashboard_id, environment, key) DO UPDATE SET request_hash = excluded.request_hash,
           response = excluded.response, created_at = excluded.created_at
         WHERE idempotency_keys.created_at < ?`,
      ).run(dashboardId, environment, key, requestHash, response, sent.receivedAt, notBefore);
      if (recorded.changes === 0) return { duplicate: true, written: 0, withheld: 0 };
    }
    if (sent.once && !this.recordOnceKey(sent)) return { duplicate: false, written: 0, withheld: 0 };
    const { batch: live, withheld } = withoutDeletedPlayers(sent, this.deletionsSince(sent));
    const batch = live.dedupe ? keepNewRows(live, this.recordDedupeKeys(live)) : live;
    if (batch.rows.length === 0) return { duplicate: false, written: 0, withheld };

    const columns = eventColumns(batch);
    const placeholders = columns.map(() => '?').join(', ');
    if (def.userScoped) {
      const playerIds = def.type === 'logins' ? this.upsertProfiles(batch) : this.internPlayers(batch);
      const insert = this.statement(
        `INSERT INTO ${def.type} (${columns.join(', ')}) VALUES (${placeholders})`,
      );
      for (const row of batch.rows) {
        insert.run(
          dashboardId,
          environment,
          playerIds.get(row.userId!),
          row.ts,
          batch.receivedAt,
          ...row.values,
          row.extra,
        );
      }
    } else {
      const upsert = this.statement(
        `INSERT INTO items (${columns.join(', ')}) VALUES (${placeholders})
         ON CONFLICT (dashboard_id, environment, item_id) DO UPDATE SET ${itemUpdateSql(batch)}`,
      );
      for (const row of lastItemPerId(batch.rows)) upsert.run(eventValues(batch, row, undefined));
    }

    this.statement(
      `INSERT INTO daily_counts (dashboard_id, environment, record_type, day, count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (dashboard_id, environment, record_type, day) DO UPDATE SET count = daily_counts.count + excluded.count`,
    ).run(dashboardId, environment, def.type, utcDay(batch.receivedAt), batch.rows.length);
    return { duplicate: false, written: batch.rows.length, withheld };
  }

  /** The scope's players deleted after the batch's earliest record entered: as a rule none. */
  private deletionsSince(batch: WriteBatch): Map<string, number> {
    if (!batch.def.userScoped) return new Map();
    const rows = this.statement(
      'SELECT user_hash, deleted_at FROM deleted_players WHERE dashboard_id = ? AND environment = ? AND deleted_at > ?',
    ).all(batch.dashboardId, batch.environment, earliestEntry(batch)) as {
      user_hash: string;
      deleted_at: number;
    }[];
    return new Map(rows.map((r) => [r.user_hash, r.deleted_at]));
  }

  /** Records the batch's own key; false when it was recorded before (the batch is stored). */
  private recordOnceKey(batch: WriteBatch): boolean {
    const { source, key } = batch.once!;
    return (
      this.statement(
        `INSERT INTO ingest_dedupe (dashboard_id, environment, source, key, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ).run(batch.dashboardId, batch.environment, source, key, batch.receivedAt).changes > 0
    );
  }

  /** Records the batch's dedupe keys; returns those recorded now (not stored before). */
  private recordDedupeKeys(batch: WriteBatch): Set<string> {
    const record = this.statement(
      `INSERT INTO ingest_dedupe (dashboard_id, environment, source, key, created_at, user_id)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const recorded = new Set<string>();
    const owners = dedupeOwners(batch);
    for (const key of dedupeKeys(batch)) {
      const inserted = record.run(
        batch.dashboardId,
        batch.environment,
        batch.dedupe!.source,
        key,
        batch.receivedAt,
        owners.get(key) ?? null,
      );
      if (inserted.changes > 0) recorded.add(key);
    }
    return recorded;
  }

  private internPlayers(batch: WriteBatch): Map<string, number> {
    const { dashboardId, environment, receivedAt } = batch;
    const ids = new Map<string, number>();
    const find = this.statement(
      'SELECT id FROM players WHERE dashboard_id = ? AND environment = ? AND user_id = ?',
    ).pluck();
    const create = this.statement(
      'INSERT INTO players (dashboard_id, environment, user_id, first_seen_at) VALUES (?, ?, ?, ?) RETURNING id',
    ).pluck();
    // One writer at a time (SQLite): no lock order to keep, so no sorting.
    for (const row of batch.rows) {
      const userId = row.userId!;
      if (ids.has(userId)) continue;
      const id = (find.get(dashboardId, environment, userId) ??
        create.get(dashboardId, environment, userId, receivedAt)) as number;
      ids.set(userId, id);
    }
    return ids;
  }

  private upsertProfiles(batch: WriteBatch): Map<string, number> {
    const ids = new Map<string, number>();
    const columns = [
      'dashboard_id',
      'environment',
      'user_id',
      'first_seen_at',
      'last_login_at',
      ...PROFILE_COLUMNS,
    ];
    const upsert = this.statement(
      `INSERT INTO players (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
       ON CONFLICT (dashboard_id, environment, user_id) DO UPDATE SET ${profileMergeSql()} RETURNING id`,
    );
    // Round by round: each field's newest login decides it against the stored profile.
    for (const round of profileRounds(batch.rows)) {
      for (const p of round) {
        const row = upsert.get(
          batch.dashboardId,
          batch.environment,
          p.userId,
          batch.receivedAt,
          p.loginAt,
          ...p.values,
        ) as { id: number };
        ids.set(p.userId, row.id);
      }
    }
    return ids;
  }
}
