import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { utcDay } from '../../domain/timestamp.js';
import type { Database } from '../database.js';
import { migrate } from '../migrations/index.js';
import { POSTGRES_MIGRATION_DIALECT } from '../migrations/dialect.js';
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
import { csvLine } from './copy-csv.js';

const INT8_OID = 20;
/** Epoch-ms columns are bigint: read them as numbers (exact below 2^53). */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number): ((value: string) => unknown) =>
    oid === INT8_OID
      ? Number
      : (pg.types.getTypeParser(oid) as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

const PROFILE_SQL_TYPES = ['text', 'int', 'text', 'text', 'text', 'text', 'text'] as const;

/** The production backend: PostgreSQL through a pool; batches go in with COPY. */
export class PostgresStore implements Store {
  readonly backend = 'postgres';
  readonly db: Kysely<Database>;

  private constructor(private readonly pool: pg.Pool) {
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }

  static open(url: string, poolSize = 10): PostgresStore {
    const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
    // An idle client's error (server restart) must not crash the process: the pool replaces it.
    pool.on('error', () => undefined);
    return new PostgresStore(pool);
  }

  async migrate(): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      // Several servers may start at once: one migrates, the others wait and find nothing to do.
      await client.query('SELECT pg_advisory_lock(727274)');
      return await migrate(this.db as unknown as Kysely<unknown>, POSTGRES_MIGRATION_DIALECT);
    } finally {
      await client.query('SELECT pg_advisory_unlock(727274)').catch(() => undefined);
      client.release();
    }
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async writeBatch(batch: WriteBatch): Promise<WriteResult> {
    const client = await this.pool.connect();
    let healthy = true;
    try {
      await client.query('BEGIN');
      const result = await this.writeInTransaction(client, batch);
      await client.query(result.duplicate ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        healthy = false;
      });
      throw error;
    } finally {
      client.release(!healthy);
    }
  }

  private async writeInTransaction(client: pg.PoolClient, batch: WriteBatch): Promise<WriteResult> {
    const { dashboardId, environment, def } = batch;
    if (batch.idempotency) {
      const { key, requestHash, response, notBefore } = batch.idempotency;
      await client.query(
        'DELETE FROM idempotency_keys WHERE dashboard_id = $1 AND environment = $2 AND key = $3 AND created_at < $4',
        [dashboardId, environment, key, notBefore],
      );
      const inserted = await client.query(
        `INSERT INTO idempotency_keys (dashboard_id, environment, key, request_hash, response, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [dashboardId, environment, key, requestHash, response, batch.receivedAt],
      );
      if (inserted.rowCount === 0) return { duplicate: true };
    }

    const columns = eventColumns(batch);
    if (def.userScoped) {
      const playerIds =
        def.type === 'logins'
          ? await this.upsertProfiles(client, batch)
          : await this.internPlayers(client, batch);
      const lines = batch.rows.map((row) =>
        csvLine(eventValues(batch, row, playerIds.get(row.userId ?? ''))),
      );
      await pipeline(
        Readable.from([lines.join('')]),
        client.query(copyFrom(`COPY ${def.type} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`)),
      );
    } else {
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

    await client.query(
      `INSERT INTO daily_counts (dashboard_id, environment, record_type, day, count) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (dashboard_id, environment, record_type, day) DO UPDATE SET count = daily_counts.count + excluded.count`,
      [dashboardId, environment, def.type, utcDay(batch.receivedAt), batch.rows.length],
    );
    return { duplicate: false };
  }

  private async internPlayers(client: pg.PoolClient, batch: WriteBatch): Promise<Map<string, number>> {
    const users = distinctUsers(batch.rows);
    const scope = [batch.dashboardId, batch.environment];
    const select =
      'SELECT id, user_id FROM players WHERE dashboard_id = $1 AND environment = $2 AND user_id = ANY($3::text[])';
    const ids = new Map<string, number>();
    const collect = (rows: { id: number; user_id: string }[]) => {
      for (const r of rows) ids.set(r.user_id, r.id);
    };
    collect((await client.query<{ id: number; user_id: string }>(select, [...scope, users])).rows);
    const missing = users.filter((u) => !ids.has(u));
    if (missing.length > 0) {
      // ON CONFLICT DO NOTHING takes no lock on existing players; a row another writer created
      // meanwhile is then read back by the second select.
      collect(
        (
          await client.query<{ id: number; user_id: string }>(
            `INSERT INTO players (dashboard_id, environment, user_id, first_seen_at)
             SELECT $1, $2, u, $4 FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING RETURNING id, user_id`,
            [...scope, missing, batch.receivedAt],
          )
        ).rows,
      );
      const stillMissing = missing.filter((u) => !ids.has(u));
      if (stillMissing.length > 0)
        collect((await client.query<{ id: number; user_id: string }>(select, [...scope, stillMissing])).rows);
    }
    return ids;
  }

  private async upsertProfiles(client: pg.PoolClient, batch: WriteBatch): Promise<Map<string, number>> {
    const updates = profileUpdates(batch.rows);
    const columns = ['user_id', 'last_login_at', ...PROFILE_COLUMNS];
    const arrays = [
      updates.map((p) => p.userId),
      updates.map((p) => p.loginAt),
      ...PROFILE_COLUMNS.map((_, i) => updates.map((p) => p.values[i] ?? null)),
    ];
    const casts = ['text', 'int8', ...PROFILE_SQL_TYPES];
    const result = await client.query<{ id: number; user_id: string }>(
      `INSERT INTO players (dashboard_id, environment, first_seen_at, ${columns.join(', ')})
       SELECT $1, $2, $3, * FROM unnest(${casts.map((t, i) => `$${i + 4}::${t}[]`).join(', ')})
       ON CONFLICT (dashboard_id, environment, user_id) DO UPDATE SET ${profileMergeSql()}
       RETURNING id, user_id`,
      [batch.dashboardId, batch.environment, batch.receivedAt, ...arrays],
    );
    return new Map(result.rows.map((r) => [r.user_id, r.id]));
  }
}
