import { ALL_RECORD_TYPE_DEFS, type ColumnKind, type RecordTypeDef } from '../../domain/records.js';
import { chSql, identifier, join, raw, type SqlFragment } from './literal.js';

/** Column types: the same values the SQL backends store (epoch ms, dates as text, JSON as text). */
const COLUMN_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: 'Nullable(String)',
  int: 'Nullable(Int64)',
  float: 'Nullable(Float64)',
  json: 'Nullable(String)',
  timestamp: 'Nullable(Int64)',
  date: 'Nullable(String)',
};

/** The table holding a record type's rows on every shard. */
export function tableOf(def: RecordTypeDef): string {
  return def.userScoped ? `events_${def.type}` : def.type;
}

/** The player-scoped event types (every type but the item catalogue). */
export const EVENT_DEFS: readonly RecordTypeDef[] = Object.values(ALL_RECORD_TYPE_DEFS).filter(
  (d) => d.userScoped,
);

/**
 * A year, in ms, as a partition: integer arithmetic only, because `toDateTime` stops at 2106 and
 * event times run to 2200. Yearly parts stay few even for back-filled history.
 */
const YEAR_MS = 365 * 86_400_000;

function typedColumns(def: RecordTypeDef): SqlFragment {
  return join(
    def.columns.map((c) => raw(`${identifier(c.name).text} ${COLUMN_TYPES[c.kind]}`)),
    ',\n  ',
  );
}

/**
 * An event table. `id` is the event's deterministic id (see event-ids.ts): a retried batch
 * writes the same ids, and ReplacingMergeTree keeps one row per sorting key, which ends in `id`.
 * Merges happen in the background, so reads deduplicate too (`FINAL`, see reads).
 */
function eventTable(def: RecordTypeDef): SqlFragment {
  return chSql`CREATE TABLE IF NOT EXISTS ${identifier(tableOf(def))} (
  id String,
  dashboard_id String,
  environment String,
  user_id String,
  ts Int64,
  received_at Int64,
  ${typedColumns(def)},
  extra Nullable(String)
) ENGINE = ReplacingMergeTree()
PARTITION BY intDiv(ts, ${YEAR_MS})
ORDER BY (dashboard_id, environment, user_id, ts, id)`;
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

export interface ClickHouseMigration {
  readonly name: string;
  /** Idempotent statements (`IF NOT EXISTS`): a migration interrupted on one shard is run again. */
  readonly statements: readonly SqlFragment[];
}

/** Every ClickHouse migration, in order, run on every shard. Names are permanent. */
export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    name: '0001-events',
    statements: [
      ...Object.values(ALL_RECORD_TYPE_DEFS).map((def) =>
        def.userScoped ? eventTable(def) : itemsTable(def),
      ),
      PLAYERS,
    ],
  },
];
