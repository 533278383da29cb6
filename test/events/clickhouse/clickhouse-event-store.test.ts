import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { RECORD_TYPE_DEFS } from '../../../src/domain/records.js';
import { ClickHouseEventStore } from '../../../src/events/clickhouse/clickhouse-event-store.js';
import { chSql } from '../../../src/events/clickhouse/literal.js';
import type { WriteBatch } from '../../../src/events/event-store.js';
import type { Store } from '../../../src/store/store.js';
import { JobQueue } from '../../../src/jobs/job-queue.js';
import { JobWorker } from '../../../src/jobs/job-worker.js';
import { DELETION_JOB } from '../../../src/events/clickhouse/deletion-jobs.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../../support/backends.js';
import { CLICKHOUSE_URLS, createTestClickHouse, type TestClickHouse } from '../../support/clickhouse.js';

const scope = { dashboardId: 'dash', environment: 'production' } as const;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 12);

function purchases(users: readonly string[], extra: Partial<WriteBatch> = {}): WriteBatch {
  return {
    ...scope,
    def: RECORD_TYPE_DEFS.purchases,
    receivedAt: T0,
    rows: users.map((userId, i) => ({
      userId,
      ts: T0 - i,
      values: [`item-${i}`, 1, 2.5, 'ios'],
      extra: null,
    })),
    ...extra,
  };
}

describe.skipIf(CLICKHOUSE_URLS.length === 0).each(BACKENDS)(
  'ClickHouse event store on a 2-shard cluster, control plane on %s',
  (backend) => {
    let cluster: TestClickHouse;
    let control: TestDatabase;
    let store: Store;
    let events: ClickHouseEventStore;
    let queue: JobQueue;

    beforeEach(async () => {
      cluster = createTestClickHouse();
      control = await createTestDatabase(backend);
      store = control.openStore();
      await store.migrate();
      queue = new JobQueue(store.db, store.capabilities);
      events = new ClickHouseEventStore(cluster.shards, store.db as never, queue);
      await events.migrate();
    });
    afterEach(async () => {
      await events.close();
      await store.close();
      await control.drop();
      await cluster.drop();
    });

    const total = async () => (await events.totals(scope)).find((t) => t.type === 'purchases')?.count ?? 0;

    it('writes players across the shards and reads every shard back', async () => {
      const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
      expect(await events.write(purchases(users))).toEqual({ duplicate: false, written: 40, withheld: 0 });
      const perShard = await Promise.all(
        cluster.shards.map(
          async (shard) =>
            (await shard.select<{ n: number }>(chSql`SELECT count() AS n FROM events_purchases_by_id`))[0]!.n,
        ),
      );
      expect(perShard.every((n) => n > 0)).toBe(true);
      expect(perShard.reduce((a, b) => a + b)).toBe(40);
      expect(await total()).toBe(40);
      expect(await events.dailyCounts('dash', { sinceDay: '2026-11-01' })).toEqual([
        { day: '2026-11-02', environment: 'production', type: 'purchases', count: 40 },
      ]);
      expect(await events.hasPlayer(scope, 'u7')).toBe(true);
      expect(await events.hasPlayer(scope, 'nobody')).toBe(false);
      const first = await events.listRecords(scope, RECORD_TYPE_DEFS.purchases, { limit: 25 });
      expect(first.records).toHaveLength(25);
      expect(first.records[0]).toMatchObject({ user_id: 'u0', ts: T0, item_id: 'item-0', price: 2.5 });
      const second = await events.listRecords(scope, RECORD_TYPE_DEFS.purchases, {
        limit: 25,
        cursor: first.next,
      });
      expect(second.records.map((r) => r.user_id)).toEqual(users.slice(25));
      expect(second.next).toBeUndefined();
      const members = await events.segmentMembers(scope, { payer: true }, { limit: 3, after: 'u1' });
      expect(members).toEqual(['u10', 'u11', 'u12']);
    });

    it('refuses a whole batch with a row lacking a required field, as the SQL tables do', async () => {
      const broken = purchases(['ok', 'bad']);
      const rows = [broken.rows[0]!, { ...broken.rows[1]!, values: [null, 1, 2.5, 'ios'] }];
      await expect(events.write({ ...broken, rows })).rejects.toThrow(/required item_id/);
      expect(await total()).toBe(0);
      expect(await events.hasPlayer(scope, 'ok')).toBe(false);
    });

    it('counts a batch once when a crash lost its idempotency key after the rows were written', async () => {
      const batch = purchases(['a', 'b', 'c'], {
        idempotency: { key: 'k1', requestHash: 'h', response: '{}', notBefore: T0 - DAY },
      });
      expect((await events.write(batch)).written).toBe(3);
      // The retry of an answered request is a duplicate…
      expect((await events.write({ ...batch, receivedAt: T0 + 1000 })).duplicate).toBe(true);
      // …and after a crash between the ClickHouse insert and the key (no key recorded), the
      // retry writes the same ids again: stored twice, counted once.
      await sql`delete from idempotency_keys`.execute(store.db);
      expect((await events.write({ ...batch, receivedAt: T0 + 2000 })).written).toBe(3);
      expect(await total()).toBe(3);
      expect(
        (await events.listRecords(scope, RECORD_TYPE_DEFS.purchases, { limit: 10 })).records,
      ).toHaveLength(3);
      expect(await events.playerAggregates(scope)).toContainEqual(
        expect.objectContaining({ userId: 'a', purchases: 1, spend: 2.5 }),
      );
      expect(await events.replayed(scope, 'k1', T0 - DAY)).toEqual({ requestHash: 'h', response: '{}' });
    });

    it('skips rows whose dedupe key was recorded before, and a chunk stored before', async () => {
      const keyed = (keys: (string | null)[]) =>
        purchases(
          keys.map((_, i) => `p${i}`),
          { dedupe: { source: 'playfab', keys } },
        );
      expect((await events.write(keyed(['e1', 'e2', 'e2', null]))).written).toBe(3);
      expect((await events.write(keyed(['e1', 'e3']))).written).toBe(1);
      expect(await total()).toBe(4);
      expect(await events.hasDedupeKey(scope, 'playfab', 'e')).toBe(true);
      expect(await events.hasDedupeKey(scope, 'playfab', '%')).toBe(false);
      const chunk = purchases(['x', 'y'], { once: { source: 'file:1', key: 'chunk-0' } });
      expect((await events.write(chunk)).written).toBe(2);
      expect((await events.write(chunk)).written).toBe(0);
      expect(await total()).toBe(6);
    });

    it('groups concurrent batches into one INSERT per shard and table', async () => {
      const inserts = cluster.shards.map((shard) => vi.spyOn(shard, 'insert'));
      await Promise.all(
        Array.from({ length: 30 }, (_, b) => events.write(purchases([`b${b}-1`, `b${b}-2`, `b${b}-3`]))),
      );
      expect(await total()).toBe(90);
      // Two tables (events, players) per shard: the first batch alone, the rest grouped behind it
      // in a few rounds (more when the batches' control-plane reads spread their arrival, on a
      // busy machine, or inserts are quick). Without grouping: at least 2 per batch, 60.
      const statements = inserts.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
      expect(statements).toBeLessThanOrEqual(2 * 2 * 5);
    });

    it('deletes a player on every shard: pending until system.mutations is done', async () => {
      await events.write(purchases(['gone', 'kept']));
      const at = Date.now();
      const deletion = await events.deletePlayer(scope, 'gone', at);
      expect(deletion).toEqual({ records: 2, complete: false });
      // Pending, yet no read shows the player any more: the ledger hides their rows until the end.
      expect(await events.hasPlayer(scope, 'gone')).toBe(false);
      expect(await total()).toBe(1);
      expect(await events.segmentMembers(scope, {})).toEqual(['kept']);
      expect(await events.deletionStatus(scope, 'gone')).toEqual({
        requestedAt: at,
        completedAt: null,
        records: 2,
      });
      // A batch that read the markers just before the deletion lands after the mutation began, on
      // any shard: the job's final check finds its rows and deletes them too.
      for (const shard of cluster.shards)
        await shard.insert('events_purchases_by_id', [
          {
            id: `late-${shard.address.endpoint}`,
            dashboard_id: 'dash',
            environment: 'production',
            user_id: 'gone',
            ts: T0,
            received_at: T0,
            item_id: 'i',
            count: 1,
            price: 1,
            platform: null,
            extra: null,
          },
        ]);
      // The durable job follows the mutations to the end (no grace: nothing else writes here).
      const worker = new JobWorker(
        queue,
        new Map([[DELETION_JOB, events.deletionJobHandler({ graceMs: 0, pollMs: 100 })]]),
        { baseBackoffMs: 10 },
      );
      await vi.waitFor(
        async () => {
          await worker.runOnce();
          expect((await events.deletionStatus(scope, 'gone'))?.completedAt).toBeGreaterThanOrEqual(at);
        },
        { timeout: 30_000, interval: 100 },
      );
      const ledger = await sql<{
        pending_user_id: string | null;
      }>`select pending_user_id from event_deletions`.execute(store.db);
      expect(ledger.rows).toEqual([{ pending_user_id: null }]);
      expect(await events.hasPlayer(scope, 'gone')).toBe(false);
      expect(await total()).toBe(1);
      // A record of the player that entered before the deletion and arrives later is withheld.
      expect(await events.write(purchases(['gone'], { entered: { at: T0 } }))).toEqual({
        duplicate: false,
        written: 0,
        withheld: 1,
      });
      expect(await events.deletePlayer(scope, 'nobody', T0 + 20)).toEqual({ records: 0, complete: true });
      expect(await events.deletionStatus(scope, 'nobody')).toEqual({
        requestedAt: T0 + 20,
        completedAt: T0 + 20,
        records: 0,
      });
      expect(await events.deletionStatus(scope, 'never-deleted')).toBeUndefined();
    });
  },
);
