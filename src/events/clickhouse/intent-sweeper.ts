import { setTimeout as sleep } from 'node:timers/promises';
import type { AbandonedIntent, ControlPlaneKeys } from './control-plane.js';
import { mutationsRunning } from './deletion-tracker.js';
import type { ClickHouseShard } from './http-client.js';
import { chSql, identifier, inList, join, raw, type SqlFragment } from './literal.js';
import { BATCH_ID, EVENT_DEFS, PLAYER_TABLES, RANK_BASE, stampsOf, tableOf } from './schema.js';

/** Intents taken over per round: their event ids travel as literals (a batch holds up to 10,000). */
const ROUND = 20;

export interface IntentSweeperOptions {
  /**
   * An intent older than this is abandoned: no write runs that long (its INSERT may wait behind
   * one grouped insert, then run itself, each within the shard timeout; then the keys).
   */
  abandonAfterMs: number;
  /** How long one sweep waits for its mutations before leaving them to the next (ms). */
  waitMs?: number;
  pollMs?: number;
  now?: () => number;
}

/**
 * Rolls back the batches whose write never finished (the process died, or a shard refused its
 * part): docs/clickhouse.md, "What a crash leaves". For each round of abandoned intents, on every
 * shard: the other copies of their event ids are stamped again and the players they touched are
 * recorded again from the rows that stay (the replacing engines may have merged those copies into
 * the abandoned ones), then `ALTER TABLE … DELETE WHERE batch_id IN (…)` removes their rows and
 * stamps; once `system.mutations` says done and no row of theirs is left (a write that outlived
 * the delay lands after the mutation: the next sweep deletes it again), the intents are forgotten.
 * Every step is idempotent: a sweeper that dies leaves the intents to the next.
 */
export class IntentSweeper {
  readonly #now: () => number;

  constructor(
    private readonly shards: readonly ClickHouseShard[],
    private readonly keys: ControlPlaneKeys,
    private readonly options: IntentSweeperOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** Rolls back the abandoned batches; returns how many were forgotten (done). */
  async sweep(): Promise<number> {
    let done = 0;
    for (;;) {
      const now = this.#now();
      const intents = await this.keys.abandonedIntents(now - this.options.abandonAfterMs, now, ROUND);
      if (intents.length === 0) return done;
      if (!(await this.#rollBack(intents))) return done;
      await this.keys.forgetIntents(intents);
      done += intents.length;
    }
  }

  /** Whether the intents' rows are gone from every shard (false: try again at the next sweep). */
  async #rollBack(intents: readonly AbandonedIntent[]): Promise<boolean> {
    const batches = inList(intents.map((i) => i.batchId));
    await Promise.all(this.shards.map((shard) => this.#rollBackOn(shard, batches)));
    const deadline = this.#now() + (this.options.waitMs ?? 60_000);
    while (await mutationsRunning(this.shards, [...PLAYER_TABLES, 'event_stamps'])) {
      if (this.#now() >= deadline) return false;
      await sleep(this.options.pollMs ?? 200);
    }
    const left = await Promise.all(this.shards.map((shard) => rowsOf(shard, batches)));
    return left.every((tables) => tables.length === 0);
  }

  async #rollBackOn(shard: ClickHouseShard, batches: SqlFragment): Promise<void> {
    const tables = await rowsOf(shard, batches);
    if (tables.length === 0) return;
    const notThem = chSql`${raw(BATCH_ID)} NOT IN ${batches}`;
    const events = EVENT_DEFS.filter((def) => tables.includes(tableOf(def)));
    const copies = await Promise.all(
      events.map(async (def) => {
        const rows = await shard.select<{ id: string; inserted_at: number }>(
          chSql`SELECT id, inserted_at FROM ${identifier(tableOf(def))} WHERE ${raw(BATCH_ID)} IN ${batches}`,
        );
        const ids = inList([...new Set(rows.map((r) => r.id))]);
        // The copies that stay keep a stamp of their own (the abandoned copy's may hold theirs).
        await shard.command(
          chSql`INSERT INTO event_stamps ${stampsOf(def)} WHERE id IN ${ids} AND ${notThem}`,
        );
        return { ids, times: inList([...new Set(rows.map((r) => r.inserted_at))]) };
      }),
    );
    if (tables.includes('players')) await this.#recordPlayersAgain(shard, batches, notThem);
    await Promise.all([
      ...tables.map((table) =>
        shard.command(chSql`ALTER TABLE ${identifier(table)} DELETE WHERE ${raw(BATCH_ID)} IN ${batches}`),
      ),
      ...copies.map(({ ids, times }) =>
        shard.command(chSql`ALTER TABLE event_stamps DELETE WHERE id IN ${ids} AND inserted_at IN ${times}`),
      ),
    ]);
  }

  /**
   * The players the abandoned batches wrote, recorded again from their rows written by other
   * batches (first seen: the earliest of those): `players` keeps the earliest sighting on merge,
   * which may be the abandoned batch's row that the retry's row was folded into.
   */
  async #recordPlayersAgain(shard: ClickHouseShard, batches: SqlFragment, notThem: SqlFragment) {
    const players = await shard.select<{ dashboard_id: string; environment: string; user_id: string }>(
      chSql`SELECT DISTINCT dashboard_id, environment, user_id FROM players WHERE ${raw(BATCH_ID)} IN ${batches}`,
    );
    if (players.length === 0) return;
    const key = (p: { dashboard_id: string; environment: string; user_id: string }) =>
      `${p.dashboard_id}\u0000${p.environment}\u0000${p.user_id}`;
    const wanted = new Set(players.map(key));
    const users = inList([...new Set(players.map((p) => p.user_id))]);
    const rows = EVENT_DEFS.map(
      (def) =>
        chSql`SELECT dashboard_id, environment, user_id, received_at FROM ${identifier(tableOf(def))}
          WHERE user_id IN ${users} AND ${notThem}`,
    );
    const seen = await shard.select<{
      dashboard_id: string;
      environment: string;
      user_id: string;
      first_seen_at: number;
    }>(
      chSql`SELECT dashboard_id, environment, user_id, min(received_at) AS first_seen_at
        FROM (${join(rows, '\nUNION ALL\n')}) GROUP BY dashboard_id, environment, user_id`,
    );
    const again = seen
      .filter((p) => wanted.has(key(p)))
      .map((p) => ({ ...p, seen_rank: RANK_BASE - p.first_seen_at }));
    await shard.insert('players', again);
  }
}

/** The tables of a shard holding rows of these batches. */
async function rowsOf(shard: ClickHouseShard, batches: SqlFragment): Promise<string[]> {
  const counts = PLAYER_TABLES.map(
    (table) =>
      chSql`SELECT ${table} AS t, count() AS n FROM ${identifier(table)} WHERE ${raw(BATCH_ID)} IN ${batches}`,
  );
  const rows = await shard.select<{ t: string; n: number }>(join(counts, '\nUNION ALL\n'));
  return rows.filter((r) => r.n > 0).map((r) => r.t);
}
