import type { InsightsEventReads } from './insights-reads.js';
import type { Environment, RecordTypeDef } from '../domain/records.js';
import type { NormalizedRow } from './normalize.js';

/**
 * The events module's port: the one owner of player event data (players and their login
 * profiles, the event tables, `kpis` and `survey_answers` rows, dedupe and idempotency keys,
 * deletion markers, `daily_counts`). Nothing outside `src/events/` reads or writes those tables;
 * callers ask this port questions instead. Coarse and backend-neutral: no method takes or returns
 * SQL, so a backend without transactions (ClickHouse) can answer the same calls.
 *
 * Implementations: `sql/` (SQLite and PostgreSQL, over the control plane's connection) and
 * `clickhouse/`. Every implementation passes `test/events/event-store.contract.ts`.
 */
export interface EventStore {
  readonly capabilities: EventCapabilities;

  // --- writing -------------------------------------------------------------------------------

  /**
   * Stores one validated batch, all of it or none of it, durably before it resolves. The
   * partial-success channels (`dedupe`, `once`, `entered`) and the idempotency key are part of
   * the batch so that they are recorded with its rows, never apart from them.
   */
  write(batch: WriteBatch): Promise<WriteResult>;

  /**
   * The answer first given under an idempotency key of the scope, when that key was recorded at
   * or after `notBefore` (older keys have expired): what a repeated request gets back.
   */
  replayed(scope: EventScope, key: string, notBefore: number): Promise<IdempotentAnswer | undefined>;

  /** Whether a dedupe channel of the scope holds a key starting with `prefix` (how it was keyed before). */
  hasDedupeKey(scope: EventScope, source: string, prefix: string): Promise<boolean>;

  // --- reading -------------------------------------------------------------------------------

  /** Stored records of one type, newest first (event time, then arrival), one page at a time. */
  listRecords(scope: EventScope, def: RecordTypeDef, query: RecordQuery): Promise<RecordPage>;

  /** Stored records per record type and environment of a dashboard (items: distinct item ids). */
  storedCounts(dashboardId: string): Promise<StoredCount[]>;

  /**
   * Records received per UTC day (arrival day) and type from `sinceDay` (`YYYY-MM-DD`) on, from
   * the write-time rollup: never a scan of events. One environment, or both when omitted.
   */
  dailyCounts(
    dashboardId: string,
    query: { environment?: Environment; sinceDay: string },
  ): Promise<DailyCount[]>;

  /** All-time records received per type in the scope (the rollup's sums). */
  totals(scope: EventScope): Promise<TypeTotal[]>;

  /** Whether the scope has a player with this user id (any record or login profile). */
  hasPlayer(scope: EventScope, userId: string): Promise<boolean>;

  /**
   * Every player of the scope with their per-player totals (what behavioural features are
   * computed from): one entry per player, players without events included.
   */
  playerAggregates(scope: EventScope): Promise<PlayerAggregates[]>;

  /**
   * User ids of the scope's players matching every condition of `criteria` (an empty criteria
   * is every player); with `page`, one page of them in ascending user id order (code units).
   */
  segmentMembers(scope: EventScope, criteria: SegmentCriteria, page?: IdPage): Promise<string[]>;

  /**
   * The reads player insights (src/insights/) fold into their rollups: new activity per player
   * and day since a cursor, with the players' profiles (insights-reads.ts). Every store of this
   * version answers them; absent, the rollups stay empty.
   */
  readonly insights?: InsightsEventReads;

  // --- deleting ------------------------------------------------------------------------------

  /**
   * `DELETE /v1/userData`'s event half: removes every event-data row of the player in the scope
   * (events, kpis, survey answers, dedupe keys naming them, the player), keeps `daily_counts`
   * right, and leaves a deletion marker dated `at` so records of the player that entered before
   * `at` and reach `write` later are withheld. Deleting an unknown player stores the marker and
   * removes nothing. With `capabilities.synchronousDelete` false the removal may still be
   * running when this resolves (`complete: false`): `records` then counts what will go.
   */
  deletePlayer(scope: EventScope, userId: string, at: number): Promise<PlayerDeletion>;

  /**
   * Where the player's last `deletePlayer` in the scope stands (`GET /v1/userData/deletion`);
   * undefined when the scope has no deletion of this id. With `capabilities.synchronousDelete`
   * a deletion is complete when it is answered: completed at its own time.
   */
  deletionStatus(scope: EventScope, userId: string): Promise<DeletionStatus | undefined>;

  /**
   * After deletions: pushes what the backend keeps of deleted rows out of its files where it can
   * (SQLite: checkpoints and truncates the WAL). Nothing where the backend cannot.
   */
  purgeDeleted(): Promise<void>;

  // --- lifecycle -----------------------------------------------------------------------------

  ping(): Promise<void>;
  /** Waits for the writes in flight; the connection itself belongs to whoever opened it. */
  close(): Promise<void>;
}

/** What differs between event backends, named once here instead of tested for around the code. */
export interface EventCapabilities {
  /** `deletePlayer` has removed everything when it resolves (SQL). ClickHouse: mutations run on. */
  readonly synchronousDelete: boolean;
  /**
   * Deleted rows are overwritten in the backend's own files (SQLite's `secure_delete` plus the
   * WAL checkpoint of `purgeDeleted`), so no byte of them stays readable on disk.
   */
  readonly overwritesDeleted: boolean;
}

/** One dashboard's environment: every event belongs to exactly one. */
export interface EventScope {
  readonly dashboardId: string;
  readonly environment: Environment;
}

/** One validated batch, written in one transaction: all of it or none of it. */
export interface WriteBatch {
  dashboardId: string;
  environment: Environment;
  def: RecordTypeDef;
  rows: readonly NormalizedRow[];
  receivedAt: number;
  /**
   * When set, rows carrying a key already recorded for this source are skipped, and the new
   * keys are recorded in the same transaction (PlayFab's EventId). Parallel to `rows`.
   */
  dedupe?: { source: string; keys: readonly (string | null)[] };
  /**
   * When set, one key for the whole batch (a chunk of a file): recorded for this source in the
   * same transaction as the rows; when it was recorded before, nothing is written (written 0).
   */
  once?: { source: string; key: string };
  /**
   * When the records entered the system; default `receivedAt`. Records of a player deleted
   * (`DELETE /v1/userData`) after they entered are withheld: neither stored nor keyed. With
   * `byEventTime`, each record entered at the earlier of its own event time and `at` (a PlayFab
   * event redelivered: PlayStream had it from its timestamp on).
   */
  entered?: { at: number; byEventTime?: boolean };
  /** When set, the batch is recorded under this key in the same transaction. */
  idempotency?: { key: string; requestHash: string; response: string; notBefore: number };
}

export interface WriteResult {
  /** True when another request already recorded the idempotency key: nothing was written. */
  duplicate: boolean;
  /** Rows written (rows skipped by `dedupe` are not). */
  written: number;
  /** Rows withheld: their player was deleted after they entered (see `WriteBatch.entered`). */
  withheld: number;
}

/** What a batch recorded under an idempotency key: the request's hash and the answer given. */
export interface IdempotentAnswer {
  requestHash: string;
  response: string;
}

export interface RecordQuery {
  /** Only this player's records (user-scoped types). */
  userId?: string | undefined;
  limit: number;
  /** `RecordPage.next` of the previous page: the records after it. */
  cursor?: string | undefined;
}

/** A stored record: its typed columns by name, its event time, unknown fields, its user. */
export type StoredRecord = Record<string, unknown> & { ts: number; extra: string | null; user_id?: string };

export interface RecordPage {
  records: StoredRecord[];
  /** Opaque; present when the page was full (more records may follow). */
  next?: string;
}

export interface StoredCount {
  type: string;
  environment: Environment;
  count: number;
}

export interface DailyCount {
  day: string;
  environment: Environment;
  type: string;
  count: number;
}

export interface TypeTotal {
  type: string;
  count: number;
}

/**
 * One player's totals over the event tables. Counts and sums are 0 when the player has no such
 * event; `firstTs`/`lastTs` span every event of theirs (null: none).
 */
export interface PlayerAggregates {
  userId: string;
  /** The login profile's level. */
  profileLevel: number | null;
  logins: number;
  purchases: number;
  /** Sum of real-money purchase prices. */
  spend: number;
  virtualPurchases: number;
  virtualSpend: number;
  /** Highest level-up level (null: no level-up). */
  maxLevel: number | null;
  social: number;
  /** Distinct target users of their social dynamics. */
  socialTargets: number;
  actions: number;
  /** Distinct action names. */
  actionKinds: number;
  firstTs: number | null;
  lastTs: number | null;
}

/**
 * A segment's conditions in the port's neutral form (personas translate their filter to it);
 * every given condition must hold.
 */
export interface SegmentCriteria {
  /** Login profile country, compared upper-cased: give them upper-cased. */
  countries?: readonly string[];
  /** Login profile platform, compared lower-cased: give them lower-cased. */
  platforms?: readonly string[];
  /** Lower-cased language tags: `en` matches `en` and `en-…`. */
  languages?: readonly string[];
  levelMin?: number;
  levelMax?: number;
  /** Has (true) or has not (false) a real-money purchase. */
  payer?: boolean;
  spendMin?: number;
  spendMax?: number;
  /** Last login at or after this time (epoch ms). */
  lastLoginFrom?: number;
  /** `register_date` on or after this time's UTC day, or (no register date) first seen at or after it. */
  registeredFrom?: number;
}

/** One page of a listing in user id order: ids after `after`, at most `limit`. */
export interface IdPage {
  after?: string | undefined;
  limit: number;
}

/** A player's last deletion in a scope (epoch ms). */
export interface DeletionStatus {
  requestedAt: number;
  /** Null while the backend is still removing the records. */
  completedAt: number | null;
}

export interface PlayerDeletion {
  /** Event-data records removed (or, when pending, to be removed). */
  records: number;
  /** False while the backend is still removing them (see `EventCapabilities.synchronousDelete`). */
  complete: boolean;
}
