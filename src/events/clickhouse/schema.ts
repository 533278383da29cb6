import {
  ALL_RECORD_TYPE_DEFS,
  type AnyRecordType,
  type ColumnKind,
  type RecordTypeDef,
} from '../../domain/records.js';
import type { ClickHouseShard } from './http-client.js';
import { chSql, identifier, join, raw, type SqlFragment } from './literal.js';
import { copyInChunks } from './table-copy.js';

/** Column types: the same values the SQL backends store (epoch ms, dates as text, JSON as text). */
const COLUMN_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: 'Nullable(String)',
  int: 'Nullable(Int64)',
  float: 'Nullable(Float64)',
  json: 'Nullable(String)',
  timestamp: 'Nullable(Int64)',
  date: 'Nullable(String)',
};

/**
 * The table holding a player-scoped type's rows on every shard: sorted by player and event id
 * (migration `0003-sort-by-id`, which replaced the time-sorted tables of `0001-events`).
 */
export const eventTableOf = (type: AnyRecordType): string => `events_${type}_by_id`;

/** The table holding a record type's rows on every shard. */
export function tableOf(def: RecordTypeDef): string {
  return def.userScoped ? eventTableOf(def.type) : def.type;
}

/** An event table as `0001-events` made it (sorted by time): `0003-sort-by-id` copies and drops it. */
const timeSortedTableOf = (def: RecordTypeDef): string => `events_${def.type}`;

/** The player-scoped event types (every type but the item catalogue). */
export const EVENT_DEFS: readonly RecordTypeDef[] = Object.values(ALL_RECORD_TYPE_DEFS).filter(
  (d) => d.userScoped,
);

/**
 * A year, in ms, as a partition of the time-sorted tables of `0001-events`: integer arithmetic
 * only, because `toDateTime` stops at 2106 and event times run to 2200.
 */
const YEAR_MS = 365 * 86_400_000;

function typedColumns(def: RecordTypeDef): SqlFragment {
  return join(
    def.columns.map((c) => raw(`${identifier(c.name).text} ${COLUMN_TYPES[c.kind]}`)),
    ',\n  ',
  );
}

/** The column every event row carries for insights: when its INSERT left the writer (epoch ms). */
export const INSERTED_AT = 'inserted_at';

/** `inserted_at` (since `0002-insert-stamps`): rows written before it get their arrival time. */
const INSERTED_AT_TYPE = 'Int64 DEFAULT received_at';

/**
 * An event table. `id` is the event's deterministic id (see event-ids.ts): a retried batch
 * writes the same ids, and ReplacingMergeTree keeps one row per sorting key, which ends in `id`.
 * Merges happen in the background, so reads deduplicate too (`FINAL`, see reads).
 * - `time-sorted` (0001-events): sorted by player, then `ts`, partitioned by year of `ts`. Two
 *   copies of an id whose `ts` differ (a record without a timestamp takes its arrival time) have
 *   different sorting keys, even partitions: both were kept and counted.
 * - `id-sorted` (0003-sort-by-id): sorted by player, then `id`, not partitioned, so every copy of
 *   an id shares one sorting key whatever its times; `inserted_at` is a column from the start.
 */
function eventTable(def: RecordTypeDef, layout: 'time-sorted' | 'id-sorted'): SqlFragment {
  const idSorted = layout === 'id-sorted';
  const name = idSorted ? tableOf(def) : timeSortedTableOf(def);
  const insertedAt = idSorted ? raw(`,\n  ${INSERTED_AT} ${INSERTED_AT_TYPE}`) : raw('');
  const layoutClauses = idSorted
    ? raw('ORDER BY (dashboard_id, environment, user_id, id)')
    : raw(`PARTITION BY intDiv(ts, ${YEAR_MS})\nORDER BY (dashboard_id, environment, user_id, ts, id)`);
  return chSql`CREATE TABLE IF NOT EXISTS ${identifier(name)} (
  id String,
  dashboard_id String,
  environment String,
  user_id String,
  ts Int64,
  received_at Int64,
  ${typedColumns(def)},
  extra Nullable(String)${insertedAt}
) ENGINE = ReplacingMergeTree()
${layoutClauses}`;
}

/** The item catalogue: one row per item id, the highest `version` (the latest write) wins. */
function itemsTable(def: RecordTypeDef): SqlFragment {
  return chSql`CREATE TABLE IF NOT EXISTS ${identifier(tableOf(def))} (
  dashboard_id String,
  environment String,
  item_id String,
  version UInt64,
  ts Int64,
  received_at Int64,
  ${typedColumns({ ...def, columns: def.columns.filter((c) => c.name !== 'item_id') })},
  extra Nullable(String)
) ENGINE = ReplacingMergeTree(version)
ORDER BY (dashboard_id, environment, item_id)`;
}

/**
 * Players seen, one row per player once merged. The engine keeps the row of highest version; the
 * version is the complement of the first-seen time, so the earliest sighting survives.
 */
const PLAYERS = chSql`CREATE TABLE IF NOT EXISTS players (
  dashboard_id String,
  environment String,
  user_id String,
  first_seen_at Int64,
  seen_rank UInt64
) ENGINE = ReplacingMergeTree(seen_rank)
ORDER BY (dashboard_id, environment, user_id)`;

/**
 * A statement that cannot say `IF NOT EXISTS` on 18.16 (`ADD COLUMN`): run again, it fails with
 * `exists` (ClickHouse's error code), which means it ran before.
 */
export interface GuardedStatement {
  readonly statement: SqlFragment;
  readonly exists: number;
}

/** A step that chooses its statements from what the shard holds (a copy in chunks). */
export interface ShardStep {
  readonly run: (shard: ClickHouseShard) => Promise<void>;
}

export type MigrationStep = SqlFragment | GuardedStatement | ShardStep;

export interface ClickHouseMigration {
  readonly name: string;
  /** Idempotent steps: a migration interrupted on one shard is run again from its first step. */
  readonly statements: readonly MigrationStep[];
}

/** ClickHouse's ILLEGAL_COLUMN: answered to an `ADD COLUMN` of a column the table has. */
const COLUMN_EXISTS = 44;

/** The complement base of the `rank` versions (players, event_stamps): safe in a JSON number. */
export const RANK_BASE = Number.MAX_SAFE_INTEGER;

/**
 * The first insert time of every event id (docs/insights.md, "On ClickHouse"): one row per copy
 * written, filled by a materialized view per event table in the INSERT itself; the engine keeps
 * the row of highest `rank`, the complement of the insert time, so the earliest copy's time
 * survives every merge (the event tables keep the latest copy). No user id: nothing personal.
 */
const EVENT_STAMPS = chSql`CREATE TABLE IF NOT EXISTS event_stamps (
  dashboard_id String,
  environment String,
  type String,
  id String,
  inserted_at Int64,
  rank UInt64
) ENGINE = ReplacingMergeTree(rank)
ORDER BY (dashboard_id, environment, type, id)`;

/** The stamps of an event table's rows (`table`: its time-sorted or id-sorted table). */
export const stampsOf = (def: RecordTypeDef, table: string = tableOf(def)) =>
  chSql`SELECT dashboard_id, environment, ${def.type} AS type, id, inserted_at,
    toUInt64(${RANK_BASE} - inserted_at) AS rank FROM ${identifier(table)}`;

/** The materialized view filling `event_stamps` from an event table's inserts. */
const stampsView = (def: RecordTypeDef, layout: 'time-sorted' | 'id-sorted') =>
  identifier(layout === 'id-sorted' ? `event_stamps_${def.type}_by_id` : `event_stamps_${def.type}`);

/**
 * Event rows get their insert time (rows written before: their arrival time, the closest
 * known), and every insert of an event table records its ids' first insert time. The backfill
 * of the rows already there may run twice (an interrupted migration): it writes the same times.
 */
function insertStamps(): MigrationStep[] {
  return [
    ...EVENT_DEFS.map((def) => ({
      statement: chSql`ALTER TABLE ${identifier(timeSortedTableOf(def))} ADD COLUMN ${identifier(INSERTED_AT)} ${raw(INSERTED_AT_TYPE)}`,
      exists: COLUMN_EXISTS,
    })),
    EVENT_STAMPS,
    ...EVENT_DEFS.map(
      (def) =>
        chSql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${stampsView(def, 'time-sorted')} TO event_stamps AS ${stampsOf(def, timeSortedTableOf(def))}`,
    ),
    ...EVENT_DEFS.map((def) => chSql`INSERT INTO event_stamps ${stampsOf(def, timeSortedTableOf(def))}`),
  ];
}

/**
 * Every event table re-created sorted by id (docs/clickhouse.md, "Schema"), one type after the
 * other (the disk holds two copies of one table at most): the id-sorted table, the rows of the
 * time-sorted one copied in (the columns named: later migrations add columns), its stamps view,
 * then the time-sorted table and its view dropped. The stamps of the copied rows are in
 * `event_stamps` already, so the view comes after the copy. Each step may run again, after an
 * interruption or in a second process starting at once: a second copy writes the same ids, which
 * collapse; a copy finding the time-sorted table gone ran before it was dropped, and a DROP waits
 * for a copy's statement still reading the table, so none is cut short.
 */
function sortById(): MigrationStep[] {
  return EVENT_DEFS.flatMap((def) => {
    const columns = ['id', 'dashboard_id', 'environment', 'user_id', 'ts', 'received_at']
      .concat(def.columns.map((c) => c.name))
      .concat(['extra', INSERTED_AT]);
    const from = timeSortedTableOf(def);
    return [
      eventTable(def, 'id-sorted'),
      { run: (shard: ClickHouseShard) => copyInChunks(shard, from, tableOf(def), columns) },
      chSql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${stampsView(def, 'id-sorted')} TO event_stamps AS ${stampsOf(def, tableOf(def))}`,
      chSql`DROP TABLE IF EXISTS ${stampsView(def, 'time-sorted')}`,
      chSql`DROP TABLE IF EXISTS ${identifier(from)}`,
    ];
  });
}

/** The column naming the batch a row was written by (its write intent, docs/clickhouse.md). */
export const BATCH_ID = 'batch_id';

/** The tables holding a player's rows on a shard (what a batch writes, and a deletion removes). */
export const PLAYER_TABLES: readonly string[] = [...EVENT_DEFS.map(tableOf), 'players'];

/**
 * Every row of an event table or `players` names its batch: reads hide the rows of batches whose
 * write intent is open, and the sweeper deletes those of abandoned ones. Rows written before carry
 * '' (no intent: committed).
 */
const writeIntents = (): GuardedStatement[] =>
  PLAYER_TABLES.map((table) => ({
    statement: chSql`ALTER TABLE ${identifier(table)} ADD COLUMN ${identifier(BATCH_ID)} String DEFAULT ''`,
    exists: COLUMN_EXISTS,
  }));

/** Every ClickHouse migration, in order, run on every shard. Names are permanent. */
export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    name: '0001-events',
    statements: [
      ...Object.values(ALL_RECORD_TYPE_DEFS).map((def) =>
        def.userScoped ? eventTable(def, 'time-sorted') : itemsTable(def),
      ),
      PLAYERS,
    ],
  },
  { name: '0002-insert-stamps', statements: insertStamps() },
  { name: '0003-sort-by-id', statements: sortById() },
  { name: '0004-write-intents', statements: writeIntents() },
];
