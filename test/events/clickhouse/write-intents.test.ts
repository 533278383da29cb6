import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { RECORD_TYPE_DEFS } from '../../../src/domain/records.js';
import { ClickHouseEventStore } from '../../../src/events/clickhouse/clickhouse-event-store.js';
import { BatchRolledBackError, ControlPlaneKeys } from '../../../src/events/clickhouse/control-plane.js';
import { ClickHouseError, ClickHouseShard } from '../../../src/events/clickhouse/http-client.js';
import { chSql, identifier, raw } from '../../../src/events/clickhouse/literal.js';
import { eventTableOf } from '../../../src/events/clickhouse/schema.js';
import type { WriteBatch } from '../../../src/events/event-store.js';
import { JobQueue } from '../../../src/jobs/job-queue.js';
import type { Store } from '../../../src/store/store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../../support/backends.js';
import { CLICKHOUSE_URLS, createTestClickHouse, type TestClickHouse } from '../../support/clickhouse.js';
import { tcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

const scope = { dashboardId: 'dash', environment: 'production' } as const;
const T0 = Date.UTC(2026, 10, 2, 12);
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);

/** One batch of purchases by 40 players (both shards), under an Idempotency-Key. */
function keyed(receivedAt: number): WriteBatch {
  return {
    ...scope,
    def: RECORD_TYPE_DEFS.purchases,
    receivedAt,
    rows: USERS.map((userId, i) => ({
      userId,
      ts: T0 - i,
      values: [`item-${i}`, 1, 2.5, 'ios'],
      extra: null,
    })),
    idempotency: { key: 'k1', requestHash: 'h1', response: '{}', notBefore: T0 - 86_400_000 },
  };
}

describe.skipIf(CLICKHOUSE_URLS.length === 0).each(BACKENDS)(
  'ClickHouse write intents, control plane on %s',
  (backend) => {
    let cluster: TestClickHouse;
    let control: TestDatabase;
    let store: Store;
    let events: ClickHouseEventStore;
    let proxy: TcpProxy;

    beforeEach(async () => {
      cluster = createTestClickHouse();
      control = await createTestDatabase(backend);
      store = control.openStore();
      await store.migrate();
      // The second shard is reached through the proxy, which a test stops mid-write.
      const second = cluster.shards[1]!;
      proxy = tcpProxy(new URL(second.address.endpoint));
      const port = await proxy.listen();
      const shards = [
        cluster.shards[0]!,
        new ClickHouseShard({ endpoint: `http://127.0.0.1:${port}`, database: second.address.database }),
      ];
      // Every open intent is abandoned at once: nothing else writes here.
      events = new ClickHouseEventStore(
        shards,
        store.db as never,
        new JobQueue(store.db, store.capabilities),
        {
          abandonAfterMs: 0,
        },
      );
      await events.migrate();
    });
    afterEach(async () => {
      await events.close();
      await proxy.close();
      await store.close();
      await control.drop();
      await cluster.drop();
    });

    /** Rows stored on each shard (every copy, hidden or not). */
    const stored = (table: string) =>
      Promise.all(
        cluster.shards.map(
          async (shard) =>
            (await shard.select<{ n: number }>(chSql`SELECT count() AS n FROM ${identifier(table)}`))[0]!.n,
        ),
      );
    const total = async () => (await events.totals(scope)).find((t) => t.type === 'purchases')?.count ?? 0;
    const listed = async () =>
      (await events.listRecords(scope, RECORD_TYPE_DEFS.purchases, { limit: 1000 })).records.length;
    const intents = async () =>
      (await sql<{ n: number | string }>`select count(*) as n from event_write_intents`.execute(store.db))
        .rows[0]!.n;

    /** A batch written while the second shard is stopped: its first shard's part lands, alone. */
    async function partialWrite(): Promise<void> {
      proxy.stop();
      await expect(events.write(keyed(T0))).rejects.toThrow(ClickHouseError);
      proxy.resume();
      // The first shard's INSERT may still be running when the second's failure rejects the write.
      await vi.waitFor(async () => {
        const [first, second] = await stored(eventTableOf('purchases'));
        expect(first).toBeGreaterThan(0);
        expect(second).toBe(0);
      });
    }

    it('shows nothing of a partly written batch, rolls it back, and stores its retry once', async () => {
      await partialWrite();
      // Nothing of it in any read a user has.
      expect(await total()).toBe(0);
      expect(await listed()).toBe(0);
      expect(await events.storedCounts('dash')).toEqual([]);
      expect(await events.dailyCounts('dash', { sinceDay: '2026-11-01' })).toEqual([]);
      expect(await events.segmentMembers(scope, {})).toEqual([]);
      expect(await events.playerAggregates(scope)).toEqual([]);
      for (const user of USERS) expect(await events.hasPlayer(scope, user)).toBe(false);

      // The sweeper removes what landed, stamps included, and forgets the intent.
      expect(await events.sweepAbandonedWrites()).toBe(1);
      expect(await stored(eventTableOf('purchases'))).toEqual([0, 0]);
      expect(await stored('players')).toEqual([0, 0]);
      expect(await stored('event_stamps')).toEqual([0, 0]);
      expect(Number(await intents())).toBe(0);
      expect(await events.sweepAbandonedWrites()).toBe(0);

      // The client's retry (same key, same ids) is stored once.
      expect(await events.write(keyed(T0 + 1000))).toEqual({ duplicate: false, written: 40, withheld: 0 });
      expect(await total()).toBe(40);
      expect(await listed()).toBe(40);
      expect((await stored(eventTableOf('purchases'))).reduce((a, b) => a + b)).toBe(40);
      expect(Number(await intents())).toBe(0);
    });

    it('rolls back an abandoned copy without removing the retry that rewrote its ids, its player or its stamps', async () => {
      await partialWrite();
      // The retry lands before the sweeper ran: the same ids, a second copy of the first shard's part.
      expect((await events.write(keyed(T0 + 1000))).written).toBe(40);
      expect(await total()).toBe(40);
      // The replacing engines merge the copies of `players` and `event_stamps` into the abandoned
      // batch's (the earliest sighting, the earliest stamp); the event rows stay two copies, the
      // abandoned one removed by the rollback (merged, the engine keeps the retry's: last inserted).
      for (const shard of cluster.shards)
        for (const table of ['players', 'event_stamps'])
          await shard.command(chSql`OPTIMIZE TABLE ${identifier(table)} FINAL`);
      expect(await events.sweepAbandonedWrites()).toBe(1);
      expect(await total()).toBe(40);
      expect(await listed()).toBe(40);
      expect(await events.segmentMembers(scope, {})).toEqual([...USERS].sort());
      for (const user of USERS) expect(await events.hasPlayer(scope, user)).toBe(true);
      expect(await events.playerAggregates(scope)).toContainEqual(
        expect.objectContaining({ userId: 'u3', purchases: 1, spend: 2.5 }),
      );
      // Every id keeps one stamp (what insights fold by).
      const stamps = await Promise.all(
        cluster.shards.map(
          async (shard) =>
            (await shard.select<{ n: number }>(chSql`SELECT uniqExact(id) AS n FROM event_stamps FINAL`))[0]!
              .n,
        ),
      );
      expect(stamps.reduce((a, b) => a + b)).toBe(40);
    });

    it('shows the committed copy of an id while a later copy of it is open, and keeps it at rollback', async () => {
      expect((await events.write(keyed(T0))).written).toBe(40);
      // A second copy of the same ids by a batch still open (inserted after the committed one).
      await sql`insert into event_write_intents (dashboard_id, environment, batch_id, created_at)
        values ('dash', 'production', 'late', ${T0})`.execute(store.db);
      const columns =
        'id, dashboard_id, environment, user_id, ts, received_at, item_id, count, price, platform, extra, inserted_at';
      for (const shard of cluster.shards)
        await shard.command(
          chSql`INSERT INTO ${identifier(eventTableOf('purchases'))} (batch_id, ${raw(columns)}) SELECT 'late', ${raw(columns)} FROM ${identifier(eventTableOf('purchases'))}`,
        );
      expect((await stored(eventTableOf('purchases'))).reduce((a, b) => a + b)).toBe(80);
      // FINAL alone would keep the open copy and a WHERE would then drop it: the PREWHERE keeps 40.
      expect(await total()).toBe(40);
      expect(await listed()).toBe(40);
      expect(await events.sweepAbandonedWrites()).toBe(1);
      expect((await stored(eventTableOf('purchases'))).reduce((a, b) => a + b)).toBe(40);
      expect(await total()).toBe(40);
    });

    it("holds insights' cursor before the oldest open intent of the scope", async () => {
      const lagging = Date.now() - 120_000;
      const opened = lagging - 60_000;
      await sql`insert into event_write_intents (dashboard_id, environment, batch_id, created_at)
        values ('dash', 'production', 'stuck', ${opened})`.execute(store.db);
      const cursor = (await events.insights.activityCursor('dash', 'production')).inserted_at!;
      expect(cursor).toBe(opened - 1);
      // Another scope is not held back; once swept, neither is this one.
      expect((await events.insights.activityCursor('dash', 'sandbox')).inserted_at).toBeGreaterThanOrEqual(
        lagging,
      );
      expect(await events.sweepAbandonedWrites()).toBe(1);
      expect((await events.insights.activityCursor('dash', 'production')).inserted_at).toBeGreaterThanOrEqual(
        lagging,
      );
    });

    it('never acknowledges a batch whose intent the sweeper took over', async () => {
      const keys = new ControlPlaneKeys(store.db as never);
      await keys.openIntent(scope, 'slow', T0);
      // The write outlived the delay: the sweeper marks it before the writer records its keys.
      expect(await keys.abandonedIntents(T0 + 1, T0 + 1, 10)).toEqual([{ ...scope, batchId: 'slow' }]);
      await expect(keys.record(keyed(T0), 'slow')).rejects.toThrow(BatchRolledBackError);
      // Nothing recorded: a retry of the request is not taken for a replay.
      expect(await events.replayed(scope, 'k1', 0)).toBeUndefined();
    });
  },
);
