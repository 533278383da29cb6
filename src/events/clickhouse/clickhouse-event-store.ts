import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { RecordTypeDef } from '../../domain/records.js';
import { playerHash } from '../../privacy/player-hash.js';
import type {
  DailyCount,
  EventCapabilities,
  EventScope,
  EventStore,
  IdPage,
  IdempotentAnswer,
  PlayerAggregates,
  PlayerDeletion,
  RecordPage,
  RecordQuery,
  SegmentCriteria,
  StoredCount,
  TypeTotal,
  WriteBatch,
  WriteResult,
} from '../event-store.js';
import { earliestEntry, lastItemPerId, withoutDeletedPlayers } from '../write-plan.js';
import { ControlPlaneKeys } from './control-plane.js';
import { eventIds } from './event-ids.js';
import { GroupedInserter } from './grouped-insert.js';
import type { ClickHouseShard } from './http-client.js';
import { migrateShards } from './migrate.js';
import * as reads from './reads.js';
import { BATCH_ID, EVENT_DEFS, INSERTED_AT, RANK_BASE, tableOf } from './schema.js';
import { shardOf } from './shards.js';
import { DeletionTracker } from './deletion-tracker.js';
import { ClickHouseInsightsReads } from './insights-reads.js';
import { IntentSweeper } from './intent-sweeper.js';
import type { Database } from '../../store/database.js';
import {
  DeletionLedger,
  deletionJobHandler,
  type DeletionJobOptions,
  type LedgerStatus,
} from './deletion-jobs.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { JobHandler } from '../../jobs/job-worker.js';

/**
 * The SQL tables refuse a row without a required field (NOT NULL); ClickHouse's Nullable columns
 * would store it. Ingestion never sends one; a caller that does fails the whole batch here, before
 * any shard is written, as the SQL store's transaction would.
 */
function checkRequired(batch: WriteBatch): void {
  const required = new Set(batch.def.schema.required ?? []);
  const columns = batch.def.columns
    .map((c, i) => [c.name, i] as const)
    .filter(([name]) => required.has(name));
  for (const row of batch.rows) {
    for (const [name, i] of columns) {
      if (row.values[i] === null || row.values[i] === undefined)
        throw new RangeError(`${batch.def.type}: a row lacks its required ${name}`);
    }
  }
}

/**
 * How far insights' cursor stays behind now by default: the shard timeout (an INSERT is visible
 * within it, or failed) plus a minute of clock skew between writer processes.
 */
export const INSIGHTS_LAG_MS = 120_000;

/**
 * When an open write intent counts as abandoned (the sweeper rolls its rows back): a write's
 * INSERT may wait behind one grouped insert and then run itself, each within the shard timeout
 * (60 s), and its keys are recorded after; half a minute of margin.
 */
export const ABANDON_AFTER_MS = 150_000;

/** How often the sweeper of abandoned intents runs (and once at a worker's start). */
export const SWEEP_EVERY_MS = 30_000;

export interface ClickHouseStoreOptions {
  /** Insights fold the rows inserted up to this long ago (tests: 0, nothing runs concurrently). */
  insightsLagMs?: number;
  /** When an open write intent is abandoned (default `ABANDON_AFTER_MS`; tests shorten it). */
  abandonAfterMs?: number;
}

/**
 * The events port on ClickHouse: event rows on N shards (by player), keys, deletion markers and
 * write intents in the control-plane database. Order of a write: its intent opened (control
 * plane) → rows into ClickHouse with deterministic ids, tagged with the intent's batch id → keys
 * recorded and the intent closed in one transaction → the caller answers 201. Reads hide the
 * rows of open intents, so a batch is visible whole or not at all; a crash leaves an open intent,
 * which the sweeper rolls back (docs/clickhouse.md). The client's retry writes the same ids, which
 * the replacing engine and the `FINAL` reads count once.
 */
export class ClickHouseEventStore implements EventStore {
  readonly capabilities: EventCapabilities = { synchronousDelete: false, overwritesDeleted: false };
  readonly #keys: ControlPlaneKeys;
  readonly #inserter: GroupedInserter;
  readonly #deletions: DeletionTracker;
  #itemVersion = 0;

  readonly #ledger: DeletionLedger;
  readonly #sweeper: IntentSweeper;
  readonly insights: ClickHouseInsightsReads;

  constructor(
    readonly shards: readonly ClickHouseShard[],
    controlPlane: Kysely<unknown>,
    jobs: JobQueue,
    options: ClickHouseStoreOptions = {},
  ) {
    if (shards.length === 0) throw new Error('ClickHouse event store: no shard');
    this.#keys = new ControlPlaneKeys(controlPlane);
    this.#inserter = new GroupedInserter(shards, {
      column: INSERTED_AT,
      tables: new Set(EVENT_DEFS.map(tableOf)),
    });
    this.#deletions = new DeletionTracker(shards);
    this.#ledger = new DeletionLedger(controlPlane, jobs);
    this.#sweeper = new IntentSweeper(shards, this.#keys, {
      abandonAfterMs: options.abandonAfterMs ?? ABANDON_AFTER_MS,
    });
    this.insights = new ClickHouseInsightsReads(
      shards,
      controlPlane as Kysely<Database>,
      (scope) => this.#hidden(scope),
      {
        lagMs: options.insightsLagMs ?? INSIGHTS_LAG_MS,
      },
    );
  }

  /** The handler of the deletion jobs this store queues (registered by the composition root). */
  deletionJobHandler(options?: DeletionJobOptions): JobHandler {
    return deletionJobHandler(this.#ledger, this.#deletions, options);
  }

  /** Rolls back the batches whose write was abandoned; returns how many (a periodic task). */
  sweepAbandonedWrites(): Promise<number> {
    return this.#sweeper.sweep();
  }

  /** Creates the database and tables on every shard (idempotent); returns what was applied. */
  migrate(): Promise<string[]> {
    return migrateShards(this.shards);
  }

  async write(sent: WriteBatch): Promise<WriteResult> {
    const scope = { dashboardId: sent.dashboardId, environment: sent.environment };
    const nothing = (duplicate: boolean): WriteResult => ({ duplicate, written: 0, withheld: 0 });
    if (sent.idempotency) {
      const { key, notBefore } = sent.idempotency;
      if (await this.#keys.replayed(scope, key, notBefore)) return nothing(true);
    }
    if (sent.once && (await this.#keys.recordedKeys(scope, sent.once.source, [sent.once.key])).size > 0)
      return nothing(false);
    const kept = withoutDeletedPlayers(sent, await this.#keys.deletionsSince(scope, earliestEntry(sent)));
    const batch = kept.batch;
    const ids = eventIds(batch);
    const keep = await this.#newRows(batch);
    const rows = batch.rows.filter((_, i) => keep[i]);
    const rowIds = ids.filter((_, i) => keep[i]);
    checkRequired(batch);
    // The batch's rows stay hidden from every read until its intent is closed with its keys; a
    // ClickHouse error leaves the intent open, for the sweeper to roll back what did land.
    const batchId = randomUUID();
    await this.#keys.openIntent(scope, batchId, Date.now());
    if (rows.length > 0) await this.#insert({ ...batch, rows }, rowIds, batchId);
    // Another request may have recorded a live key first: the same request wrote the same ids,
    // counted once; a different request under the same key (a client bug) leaves its intent open,
    // so its rows stay hidden until the sweeper removes them.
    if (!(await this.#keys.record(batch, batchId))) return nothing(true);
    return { duplicate: false, written: rows.length, withheld: kept.withheld };
  }

  /** Which rows to write: without a dedupe key, or the first row of a key not recorded before. */
  async #newRows(batch: WriteBatch): Promise<boolean[]> {
    if (!batch.dedupe) return batch.rows.map(() => true);
    const keys = batch.dedupe.keys;
    const scope = { dashboardId: batch.dashboardId, environment: batch.environment };
    const named = [...new Set(keys.filter((k): k is string => k !== null))];
    const before = await this.#keys.recordedKeys(scope, batch.dedupe.source, named);
    const taken = new Set<string>();
    return batch.rows.map((_, i) => {
      const key = keys[i] ?? null;
      if (key === null) return true;
      if (before.has(key) || taken.has(key)) return false;
      taken.add(key);
      return true;
    });
  }

  async #insert(batch: WriteBatch, ids: readonly string[], batchId: string): Promise<void> {
    const n = this.shards.length;
    const { dashboardId, environment, def } = batch;
    if (!def.userScoped) {
      const byShard = new Map<number, object[]>();
      for (const row of lastItemPerId(batch.rows)) {
        const itemId = String(row.values[0]);
        const shard = shardOf(dashboardId, environment, itemId, n);
        const record: Record<string, unknown> = {
          dashboard_id: dashboardId,
          environment,
          item_id: itemId,
          // The latest write wins: milliseconds, then a counter within this process.
          version: Date.now() * 1000 + (this.#itemVersion = (this.#itemVersion + 1) % 1000),
          ts: row.ts,
          received_at: batch.receivedAt,
          extra: row.extra,
        };
        def.columns.forEach((c, i) => {
          if (c.name !== 'item_id') record[c.name] = row.values[i] ?? null;
        });
        (byShard.get(shard) ?? byShard.set(shard, []).get(shard)!).push(record);
      }
      await this.#inserter.insert(tableOf(def), byShard);
      return;
    }
    const events = new Map<number, object[]>();
    const players = new Map<number, Map<string, object>>();
    batch.rows.forEach((row, i) => {
      const userId = row.userId!;
      const shard = shardOf(dashboardId, environment, userId, n);
      const record: Record<string, unknown> = {
        id: ids[i],
        dashboard_id: dashboardId,
        environment,
        user_id: userId,
        ts: row.ts,
        received_at: batch.receivedAt,
        extra: row.extra,
        [BATCH_ID]: batchId,
      };
      def.columns.forEach((c, j) => (record[c.name] = row.values[j] ?? null));
      (events.get(shard) ?? events.set(shard, []).get(shard)!).push(record);
      const seen = players.get(shard) ?? players.set(shard, new Map()).get(shard)!;
      if (!seen.has(userId))
        seen.set(userId, {
          dashboard_id: dashboardId,
          environment,
          user_id: userId,
          first_seen_at: batch.receivedAt,
          seen_rank: RANK_BASE - batch.receivedAt,
          [BATCH_ID]: batchId,
        });
    });
    await Promise.all([
      this.#inserter.insert(tableOf(def), events),
      this.#inserter.insert('players', new Map([...players].map(([shard, m]) => [shard, [...m.values()]]))),
    ]);
  }

  replayed(scope: EventScope, key: string, notBefore: number): Promise<IdempotentAnswer | undefined> {
    return this.#keys.replayed(scope, key, notBefore);
  }

  hasDedupeKey(scope: EventScope, source: string, prefix: string): Promise<boolean> {
    return this.#keys.hasDedupeKey(scope, source, prefix);
  }

  // Every read hides the rows of deletions still running and of open batches (usually none: one
  // indexed lookup).
  async listRecords(scope: EventScope, def: RecordTypeDef, query: RecordQuery): Promise<RecordPage> {
    return reads.listRecords(this.shards, scope, def, query, await this.#hidden(scope));
  }

  async storedCounts(dashboardId: string): Promise<StoredCount[]> {
    return reads.storedCounts(this.shards, dashboardId, await this.#keys.hidden(dashboardId));
  }

  async dailyCounts(
    dashboardId: string,
    query: Parameters<EventStore['dailyCounts']>[1],
  ): Promise<DailyCount[]> {
    const hidden = await this.#keys.hidden(dashboardId, query.environment);
    return reads.dailyCounts(this.shards, dashboardId, query, hidden);
  }

  async totals(scope: EventScope): Promise<TypeTotal[]> {
    return reads.totals(this.shards, scope, await this.#hidden(scope));
  }

  async hasPlayer(scope: EventScope, userId: string): Promise<boolean> {
    return reads.hasPlayer(this.#shardOfPlayer(scope, userId), scope, userId, await this.#hidden(scope));
  }

  async playerAggregates(scope: EventScope): Promise<PlayerAggregates[]> {
    return reads.playerAggregates(this.shards, scope, await this.#hidden(scope));
  }

  async segmentMembers(scope: EventScope, criteria: SegmentCriteria, page?: IdPage): Promise<string[]> {
    return reads.segmentMembers(this.shards, scope, criteria, page, await this.#hidden(scope));
  }

  #hidden(scope: EventScope) {
    return this.#keys.hidden(scope.dashboardId, scope.environment);
  }

  /**
   * Leaves the marker and removes the player's dedupe keys (control plane, at once), then asks
   * every shard to delete the player's rows: `ALTER TABLE … DELETE` mutations, which ClickHouse
   * runs in the background. `complete` is false while they run; `deletionStatus` follows them.
   */
  async deletePlayer(scope: EventScope, userId: string, at: number): Promise<PlayerDeletion> {
    if (userId.includes('\u0000')) return { records: 0, complete: true };
    const keys = await this.#keys.markDeleted(scope, userId, playerHash(userId), at);
    // Batches that read the markers before this one was written finish within a request's time:
    // their rows are caught by the deletion tracker's final check, not lost to the mutation.
    // What the SQL store counts: event rows, the dedupe keys they left, and the player row.
    const rows = await this.#deletions.countRows(scope, userId);
    const player = (await this.hasPlayer(scope, userId)) ? 1 : 0;
    const records = rows + keys + player;
    if (rows + player === 0) {
      await this.#ledger.completedAtOnce(scope, userId, at);
      return { records, complete: true };
    }
    await this.#deletions.start(scope, userId);
    await this.#ledger.started(scope, userId, records, at);
    return { records, complete: false };
  }

  /** Where the player's last deletion in the scope stands (undefined: never deleted). */
  deletionStatus(scope: EventScope, userId: string): Promise<LedgerStatus | undefined> {
    return this.#ledger.status(scope, userId);
  }

  purgeDeleted(): Promise<void> {
    // Mutations rewrite the parts without the rows; the old parts are removed by ClickHouse
    // after its own delay (docs/clickhouse.md): nothing to push here.
    return Promise.resolve();
  }

  async ping(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.ping()));
  }

  async close(): Promise<void> {
    await this.#inserter.idle();
  }

  #shardOfPlayer(scope: EventScope, userId: string): ClickHouseShard {
    return this.shards[shardOf(scope.dashboardId, scope.environment, userId, this.shards.length)]!;
  }
}
