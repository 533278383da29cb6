import type { ClickHouseShard } from './http-client.js';

interface Group {
  readonly rows: object[];
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Group commit for ClickHouse, which wants few large inserts rather than many small ones: rows
 * for one table of one shard that arrive while an insert into it is running wait and go out
 * together in the next single INSERT. A lone batch is sent at once (no timer, no added latency);
 * under load the inserts grow with the load. Each caller's promise settles with the INSERT that
 * carried its rows, synchronously acknowledged by the shard (the HTTP answer comes after the part
 * is written), so a batch spread over shards is acknowledged when every shard has answered.
 */
export class GroupedInserter {
  readonly #pending = new Map<string, Group>();
  readonly #running = new Map<string, Promise<void>>();

  constructor(
    private readonly shards: readonly ClickHouseShard[],
    /**
     * The rows of these tables get the time their INSERT leaves (epoch ms) in this column: a row
     * stamped t is visible by t + the shard timeout, or its insert failed (insights' cursor).
     */
    private readonly stamp?: { column: string; tables: ReadonlySet<string> },
  ) {}

  /** Inserts rows into a table of several shards (shard index → rows); resolves when all acknowledged. */
  async insert(table: string, byShard: ReadonlyMap<number, readonly object[]>): Promise<void> {
    await Promise.all([...byShard].map(([shard, rows]) => this.#enqueue(shard, table, rows)));
  }

  /** Resolves when nothing is queued or running (shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  #enqueue(shard: number, table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const key = `${shard}\u0000${table}`;
    let group = this.#pending.get(key);
    if (!group) this.#pending.set(key, (group = { rows: [], waiters: [] }));
    for (const row of rows) group.rows.push(row);
    const settled = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    if (!this.#running.has(key)) this.#run(key, shard, table);
    return settled;
  }

  #run(key: string, shard: number, table: string): void {
    const running = (async () => {
      // Batches arriving in the same tick join this insert.
      await Promise.resolve();
      while (this.#pending.has(key)) {
        const group = this.#pending.get(key)!;
        this.#pending.delete(key);
        try {
          if (this.stamp?.tables.has(table)) {
            const now = Date.now();
            for (const row of group.rows) (row as Record<string, unknown>)[this.stamp.column] = now;
          }
          await this.shards[shard]!.insert(table, group.rows);
          for (const waiter of group.waiters) waiter.resolve();
        } catch (error) {
          for (const waiter of group.waiters) waiter.reject(error);
        }
      }
    })().finally(() => this.#running.delete(key));
    this.#running.set(key, running);
  }
}
