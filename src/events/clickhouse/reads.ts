import { utcDay } from '../../domain/timestamp.js';
import type { Environment, RecordTypeDef } from '../../domain/records.js';
import type {
  DailyCount,
  EventScope,
  IdPage,
  PlayerAggregates,
  RecordPage,
  RecordQuery,
  SegmentCriteria,
  StoredCount,
  StoredRecord,
  TypeTotal,
} from '../event-store.js';
import type { ClickHouseShard } from './http-client.js';
import { chSql, identifier, inList, join, raw, type SqlFragment } from './literal.js';
import { BATCH_ID, EVENT_DEFS, eventTableOf, tableOf } from './schema.js';
import {
  addAggregateRow,
  aggregateColumns,
  noAggregates,
  type AggregateDialect,
} from '../player-aggregates.js';
import { ALL_RECORD_TYPE_DEFS } from '../../domain/records.js';

/**
 * The reads of the ClickHouse event store. Every read runs on every shard at once and the
 * answers are merged here: events are sharded by player, so per-player figures live on one
 * shard and every total is a sum of the shards' totals. Every read of an event table says
 * `FINAL`, which merges rows of the same id at read time (a retried batch's second copy, before
 * the background merge removes it): measured against `GROUP BY id` on 18.16, see
 * docs/clickhouse.md.
 */

const DAY_MS = 86_400_000;

/** A deletion still running: its rows stay hidden from every read until the mutations end. */
export interface PendingDeletion {
  environment: Environment;
  userId: string;
  requestedAt: number;
}

/** What the reads of a scope must not show (one control-plane lookup per read, usually empty). */
export interface Hidden {
  deletions: readonly PendingDeletion[];
  /** The batches whose write intent is open: being written, or abandoned and not rolled back yet. */
  batches: readonly string[];
  /** When the earliest of those intents was opened (undefined: none). */
  openSince?: number;
}

export const NOTHING_HIDDEN: Hidden = { deletions: [], batches: [] };

type TableKind = 'events' | 'players' | 'items';

/**
 * The rows of open batches, hidden: a PREWHERE, which 18.16 (and later releases) applies before
 * `FINAL` merges the copies of an id, so a committed copy stays visible beside an open batch's copy
 * of the same id, whichever was inserted last (a WHERE would see only the last copy, then drop it).
 * Goes right after `FROM table [FINAL]`. The item catalogue carries no batch.
 */
export function visible(hidden: Hidden, table: TableKind): SqlFragment {
  if (hidden.batches.length === 0 || table === 'items') return raw('');
  return chSql`PREWHERE ${raw(BATCH_ID)} NOT IN ${inList(hidden.batches)}`;
}

/**
 * The condition hiding the rows of pending deletions (usually none: an empty fragment). Rows that
 * arrived after the deletion (the player came back) stay visible. `players` rows are dated by
 * `first_seen_at`, event rows by `received_at`; the item catalogue holds no player.
 */
export function hide(hidden: Hidden, table: TableKind): SqlFragment {
  if (hidden.deletions.length === 0 || table === 'items') return raw('');
  const time = raw(table === 'players' ? 'first_seen_at' : 'received_at');
  const each = hidden.deletions.map(
    (d) => chSql`(environment = ${d.environment} AND user_id = ${d.userId} AND ${time} <= ${d.requestedAt})`,
  );
  return chSql`AND NOT (${join(each, ' OR ')})`;
}

const tableKind = (def: RecordTypeDef) => (def.userScoped ? 'events' : 'items');

async function everyShard<T>(shards: readonly ClickHouseShard[], statement: SqlFragment): Promise<T[]> {
  return (await Promise.all(shards.map((shard) => shard.select<T>(statement)))).flat();
}

const inScope = (scope: EventScope) =>
  chSql`dashboard_id = ${scope.dashboardId} AND environment = ${scope.environment}`;

interface Cursor {
  ts: number;
  receivedAt: number;
  id: string;
}

function readCursor(text: string | undefined): Cursor | undefined {
  if (text === undefined) return undefined;
  try {
    const [ts, receivedAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof ts === 'number' && typeof receivedAt === 'number' && typeof id === 'string')
      return { ts, receivedAt, id };
  } catch {
    // an unreadable cursor reads from the start, as a missing one
  }
  return undefined;
}

const writeCursor = (c: Cursor) =>
  Buffer.from(JSON.stringify([c.ts, c.receivedAt, c.id])).toString('base64url');

/** Newest first: event time, then arrival, then id (items: their id). */
function newestFirst(a: Cursor, b: Cursor): number {
  return b.ts - a.ts || b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export async function listRecords(
  shards: readonly ClickHouseShard[],
  scope: EventScope,
  def: RecordTypeDef,
  query: RecordQuery,
  hidden: Hidden = NOTHING_HIDDEN,
): Promise<RecordPage> {
  const cursor = readCursor(query.cursor);
  const idColumn = def.userScoped ? 'id' : 'item_id';
  const after = cursor
    ? chSql`AND (ts < ${cursor.ts} OR (ts = ${cursor.ts} AND (received_at < ${cursor.receivedAt}
        OR (received_at = ${cursor.receivedAt} AND ${raw(idColumn)} < ${cursor.id}))))`
    : raw('');
  const byUser =
    def.userScoped && query.userId !== undefined ? chSql`AND user_id = ${query.userId}` : raw('');
  const columns = join(
    def.columns.filter((c) => def.userScoped || c.name !== 'item_id').map((c) => identifier(c.name)),
  );
  const rows = await everyShard<
    Record<string, unknown> & { ts: number; received_at: number; cursor_id: string }
  >(
    shards,
    chSql`SELECT ts, received_at, ${raw(idColumn)} AS cursor_id, extra, ${raw(def.userScoped ? 'user_id, ' : '')}${
      def.userScoped ? raw('') : raw('item_id, ')
    }${columns}
      FROM ${identifier(tableOf(def))} FINAL ${visible(hidden, tableKind(def))}
      WHERE ${inScope(scope)} ${byUser} ${after} ${hide(hidden, tableKind(def))}
      ORDER BY ts DESC, received_at DESC, ${raw(idColumn)} DESC LIMIT ${query.limit}`,
  );
  const keyOf = (r: (typeof rows)[number]): Cursor => ({
    ts: r.ts,
    receivedAt: r.received_at,
    id: r.cursor_id,
  });
  rows.sort((a, b) => newestFirst(keyOf(a), keyOf(b)));
  const page = rows.slice(0, query.limit);
  const records = page.map((row) => {
    const record: Record<string, unknown> = { ts: row.ts, extra: row.extra ?? null };
    if (def.userScoped) record.user_id = row.user_id;
    for (const column of def.columns) record[column.name] = row[column.name] ?? null;
    return record as StoredRecord;
  });
  const last = page.at(-1);
  return page.length === query.limit && last ? { records, next: writeCursor(keyOf(last)) } : { records };
}

/** Per type and environment of a dashboard: rows (items: distinct item ids). */
export async function storedCounts(
  shards: readonly ClickHouseShard[],
  dashboardId: string,
  hidden: Hidden = NOTHING_HIDDEN,
): Promise<StoredCount[]> {
  const parts = Object.values(ALL_RECORD_TYPE_DEFS).map(
    (def) =>
      chSql`SELECT ${def.type} AS type, environment, count() AS count FROM ${identifier(tableOf(def))} FINAL ${visible(hidden, tableKind(def))}
        WHERE dashboard_id = ${dashboardId} ${hide(hidden, tableKind(def))} GROUP BY environment`,
  );
  const rows = await everyShard<StoredCount>(shards, join(parts, '\nUNION ALL\n'));
  return sumBy(rows, (r) => `${r.type}\u0000${r.environment}`);
}

function sumBy<T extends { count: number }>(rows: readonly T[], key: (row: T) => string): T[] {
  const sums = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    const seen = sums.get(k);
    if (seen) seen.count += row.count;
    else sums.set(k, { ...row, count: row.count });
  }
  return [...sums.values()];
}

/**
 * Records per arrival day, computed from the deduplicated rows: ClickHouse has no transaction
 * to keep a rollup exact with the rows (a retried batch would count twice), and a grouped count
 * over the sorted, compressed columns is what it is fast at.
 */
export async function dailyCounts(
  shards: readonly ClickHouseShard[],
  dashboardId: string,
  query: { environment?: Environment; sinceDay: string },
  hidden: Hidden = NOTHING_HIDDEN,
): Promise<DailyCount[]> {
  const since = Date.parse(`${query.sinceDay}T00:00:00Z`);
  const env = query.environment === undefined ? raw('') : chSql`AND environment = ${query.environment}`;
  const parts = Object.values(ALL_RECORD_TYPE_DEFS).map(
    (def) =>
      chSql`SELECT ${def.type} AS type, environment, intDiv(received_at, ${DAY_MS}) AS day_number, count() AS count
        FROM ${identifier(tableOf(def))} FINAL ${visible(hidden, tableKind(def))}
        WHERE dashboard_id = ${dashboardId} ${env} AND received_at >= ${Number.isNaN(since) ? 0 : since}
          ${hide(hidden, tableKind(def))}
        GROUP BY environment, day_number`,
  );
  const rows = await everyShard<{
    type: string;
    environment: Environment;
    day_number: number;
    count: number;
  }>(shards, join(parts, '\nUNION ALL\n'));
  const counts = sumBy(
    rows.map((r) => ({
      day: utcDay(r.day_number * DAY_MS),
      environment: r.environment,
      type: r.type,
      count: r.count,
    })),
    (r) => `${r.day}\u0000${r.environment}\u0000${r.type}`,
  );
  return counts.sort(
    (a, b) =>
      (a.day < b.day ? 1 : a.day > b.day ? -1 : 0) ||
      a.environment.localeCompare(b.environment) ||
      (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
  );
}

export async function totals(
  shards: readonly ClickHouseShard[],
  scope: EventScope,
  hidden: Hidden = NOTHING_HIDDEN,
): Promise<TypeTotal[]> {
  const parts = Object.values(ALL_RECORD_TYPE_DEFS).map(
    (def) =>
      chSql`SELECT ${def.type} AS type, count() AS count FROM ${identifier(tableOf(def))} FINAL ${visible(hidden, tableKind(def))} WHERE ${inScope(scope)} ${hide(hidden, tableKind(def))}`,
  );
  const rows = await everyShard<TypeTotal>(shards, join(parts, '\nUNION ALL\n'));
  return sumBy(rows, (r) => r.type)
    .filter((r) => r.count > 0)
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

export async function hasPlayer(
  shard: ClickHouseShard,
  scope: EventScope,
  userId: string,
  hidden: Hidden = NOTHING_HIDDEN,
): Promise<boolean> {
  const [row] = await shard.select<{ n: number }>(
    chSql`SELECT count() AS n FROM players ${visible(hidden, 'players')} WHERE ${inScope(scope)} AND user_id = ${userId} ${hide(hidden, 'players')}`,
  );
  return (row?.n ?? 0) > 0;
}

/** A player's login profile and real-money purchases: what segments filter on. */
interface PlayerProfile {
  user_id: string;
  first_seen_at: number;
  country: string | null;
  platform: string | null;
  language: string | null;
  level: number | null;
  register_date: string | null;
  last_login_at: number | null;
  purchases: number;
  spend: number;
}

/**
 * Each field of the profile is the latest login's value carrying it, as the SQL store's merge
 * keeps it (`argMaxIf` by event time over the deduplicated logins).
 */
const PROFILE = (scope: EventScope, hidden: Hidden) => chSql`
  SELECT user_id,
    argMaxIf(country, ts, isNotNull(country)) AS country,
    argMaxIf(platform, ts, isNotNull(platform)) AS platform,
    argMaxIf(language, ts, isNotNull(language)) AS language,
    argMaxIf(level, ts, isNotNull(level)) AS level,
    argMaxIf(register_date, ts, isNotNull(register_date)) AS register_date,
    max(ts) AS last_login_at
  FROM ${identifier(eventTableOf('logins'))} FINAL ${visible(hidden, 'events')} WHERE ${inScope(scope)} ${hide(hidden, 'events')} GROUP BY user_id`;

async function profiles(
  shards: readonly ClickHouseShard[],
  scope: EventScope,
  hidden: Hidden,
): Promise<PlayerProfile[]> {
  const perShard = await Promise.all(
    shards.map(async (shard) => {
      const [players, logins, purchases] = await Promise.all([
        shard.select<{ user_id: string; first_seen: number }>(
          chSql`SELECT user_id, min(first_seen_at) AS first_seen FROM players ${visible(hidden, 'players')} WHERE ${inScope(scope)} ${hide(hidden, 'players')} GROUP BY user_id`,
        ),
        shard.select<Omit<PlayerProfile, 'first_seen_at' | 'purchases' | 'spend'>>(PROFILE(scope, hidden)),
        shard.select<{ user_id: string; purchases: number; spend: number }>(
          chSql`SELECT user_id, count() AS purchases, sum(price) AS spend FROM ${identifier(eventTableOf('purchases'))} FINAL ${visible(hidden, 'events')}
            WHERE ${inScope(scope)} ${hide(hidden, 'events')} GROUP BY user_id`,
        ),
      ]);
      const byUser = new Map<string, PlayerProfile>();
      for (const p of players)
        byUser.set(p.user_id, {
          user_id: p.user_id,
          first_seen_at: p.first_seen,
          country: null,
          platform: null,
          language: null,
          level: null,
          register_date: null,
          last_login_at: null,
          purchases: 0,
          spend: 0,
        });
      for (const l of logins) {
        const p = byUser.get(l.user_id);
        if (p) Object.assign(p, l, { user_id: p.user_id });
      }
      for (const b of purchases) {
        const p = byUser.get(b.user_id);
        if (p) Object.assign(p, { purchases: b.purchases, spend: b.spend ?? 0 });
      }
      return [...byUser.values()];
    }),
  );
  return perShard.flat();
}

export async function segmentMembers(
  shards: readonly ClickHouseShard[],
  scope: EventScope,
  criteria: SegmentCriteria,
  page?: IdPage,
  hidden: Hidden = NOTHING_HIDDEN,
): Promise<string[]> {
  const registeredDay =
    criteria.registeredFrom === undefined
      ? undefined
      : new Date(criteria.registeredFrom).toISOString().slice(0, 10);
  const matches = (p: PlayerProfile) =>
    (criteria.countries === undefined ||
      (p.country !== null && criteria.countries.includes(p.country.toUpperCase()))) &&
    (criteria.platforms === undefined ||
      (p.platform !== null && criteria.platforms.includes(p.platform.toLowerCase()))) &&
    (criteria.languages === undefined ||
      (p.language !== null &&
        criteria.languages.some((tag) => {
          const language = p.language!.toLowerCase();
          return language === tag || language.startsWith(`${tag}-`);
        }))) &&
    (criteria.levelMin === undefined || (p.level !== null && p.level >= criteria.levelMin)) &&
    (criteria.levelMax === undefined || (p.level !== null && p.level <= criteria.levelMax)) &&
    (criteria.payer === undefined || criteria.payer === p.purchases > 0) &&
    (criteria.spendMin === undefined || p.spend >= criteria.spendMin) &&
    (criteria.spendMax === undefined || p.spend <= criteria.spendMax) &&
    (criteria.lastLoginFrom === undefined ||
      (p.last_login_at !== null && p.last_login_at >= criteria.lastLoginFrom)) &&
    (registeredDay === undefined ||
      (p.register_date !== null
        ? p.register_date >= registeredDay
        : p.first_seen_at >= (criteria.registeredFrom ?? 0)));
  // JavaScript's string order is the code-unit order the port promises (ClickHouse sorts bytes).
  let ids = (await profiles(shards, scope, hidden)).filter(matches).map((p) => p.user_id);
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (page) {
    if (page.after !== undefined) ids = ids.filter((id) => id > page.after!);
    ids = ids.slice(0, page.limit);
  }
  return ids;
}

/** ClickHouse's count and exact distinct count. */
const CH_DIALECT: AggregateDialect = { count: 'count()', distinct: (column) => `uniqExact(${column})` };

/** One grouped scan per event table and shard (every table for the span); only per-player totals leave ClickHouse. */
export async function playerAggregates(
  shards: readonly ClickHouseShard[],
  scope: EventScope,
  hidden: Hidden = NOTHING_HIDDEN,
): Promise<PlayerAggregates[]> {
  const players = await profiles(shards, scope, hidden);
  const byUser = new Map<string, PlayerAggregates>();
  for (const p of players) byUser.set(p.user_id, noAggregates(p.user_id, p.level));
  await Promise.all(
    EVENT_DEFS.map(async (def) => {
      const rows = await everyShard<Record<string, number | string | null>>(
        shards,
        chSql`SELECT user_id, ${raw(aggregateColumns(def.type, CH_DIALECT))} FROM ${identifier(tableOf(def))} FINAL ${visible(hidden, 'events')} WHERE ${inScope(scope)} ${hide(hidden, 'events')} GROUP BY user_id`,
      );
      for (const row of rows) {
        const aggregates = byUser.get(String(row.user_id));
        if (aggregates) addAggregateRow(aggregates, def.type, row);
      }
    }),
  );
  return [...byUser.values()];
}
