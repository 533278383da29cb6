import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { utcDay } from '../../domain/timestamp.js';
import type { Database } from '../database.js';
import { migrate } from '../migrations/index.js';
import { SQLITE_MIGRATION_DIALECT } from '../migrations/dialect.js';
import type { Store, WriteBatch, WriteResult } from '../store.js';
import {
  distinctUsers,
  eventColumns,
  eventValues,
  itemUpdateSql,
  lastItemPerId,
  profileMergeSql,
  profileUpdates,
  PROFILE_COLUMNS,
} from '../write-plan.js';

type Sqlite = BetterSqlite3.Database;

/** The embedded backend: one SQLite file in WAL mode, every commit fsynced (synchronous=FULL). */
export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  readonly db: Kysely<Database>;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private constructor(private readonly raw: Sqlite) {
    this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  }

  static open(file: string): SqliteStore {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    return new SqliteStore(raw);
  }

  migrate(): Promise<string[]> {
    return migrate(this.db as unknown as Kysely<unknown>, SQLITE_MIGRATION_DIALECT);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private statement(text: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.raw.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  async writeBatch(batch: WriteBatch): Promise<WriteResult> {
    // Hold Kysely's single connection so no Kysely transaction can interleave with ours.
    return this.db
      .connection()
      .execute(() => Promise.resolve(this.raw.transaction(() => this.writeInTransaction(batch)).immediate()));
  }

  private writeInTransaction(batch: WriteBatch): WriteResult {
    const { dashboardId, environment, def } = batch;
    if (batch.idempotency) {
      const { key, requestHash, response, notBefore } = batch.idempotency;
      this.statement(
        'DELETE FROM idempotency_keys WHERE dashboard_id = ? AND environment = ? AND key = ? AND created_at < ?',
      ).run(dashboardId, environment, key, notBefore);
      const inserted = this.statement(
        `INSERT INTO idempotency_keys (dashboard_id, environment, key, request_hash, response, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(dashboardId, environment, key, requestHash, response, batch.receivedAt);
      if (inserted.changes === 0) return { duplicate: true };
    }

    const playerIds = def.type === 'logins' ? this.upsertProfiles(batch) : this.internPlayers(batch);
    const columns = eventColumns(batch);
    const placeholders = columns.map(() => '?').join(', ');
    if (def.userScoped) {
      const insert = this.statement(
        `INSERT INTO ${def.type} (${columns.join(', ')}) VALUES (${placeholders})`,
      );
      for (const row of batch.rows) insert.run(eventValues(batch, row, playerIds.get(row.userId ?? '')));
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
    return { duplicate: false };
  }

  private internPlayers(batch: WriteBatch): Map<string, number> {
    const ids = new Map<string, number>();
    const find = this.statement(
      'SELECT id FROM players WHERE dashboard_id = ? AND environment = ? AND user_id = ?',
    );
    const create = this.statement(
      'INSERT INTO players (dashboard_id, environment, user_id, first_seen_at) VALUES (?, ?, ?, ?) RETURNING id',
    );
    for (const userId of distinctUsers(batch.rows)) {
      const found = find.get(batch.dashboardId, batch.environment, userId) as { id: number } | undefined;
      const row =
        found ??
        (create.get(batch.dashboardId, batch.environment, userId, batch.receivedAt) as { id: number });
      ids.set(userId, row.id);
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
    for (const p of profileUpdates(batch.rows)) {
      const row = upsert.get(
        batch.dashboardId,
        batch.environment,
        p.userId,
        batch.receivedAt,
        p.loginAt,
        ...p.values,
      ) as {
        id: number;
      };
      ids.set(p.userId, row.id);
    }
    return ids;
  }
}
