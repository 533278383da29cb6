import { ClickHouseEventStore } from '../../src/events/clickhouse/clickhouse-event-store.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { CLICKHOUSE_URLS, createTestDatabase } from './backends.js';
import { randomBytes } from 'node:crypto';
import { ClickHouseShard } from '../../src/events/clickhouse/http-client.js';
import { chSql, identifier } from '../../src/events/clickhouse/literal.js';
import { openShards } from '../../src/events/clickhouse/shards.js';

export { CLICKHOUSE_URLS };

export interface TestClickHouse {
  /** The shard URLs naming this test's database, as `TRAITFORGE_CLICKHOUSE_URL` would. */
  urls: string[];
  shards: ClickHouseShard[];
  drop(): Promise<void>;
}

/** A fresh database name on every shard of the test cluster (created by the migrations). */
export function createTestClickHouse(): TestClickHouse {
  if (CLICKHOUSE_URLS.length === 0) throw new Error('TRAITFORGE_TEST_CLICKHOUSE_URL is not set');
  const database = `tf_test_${randomBytes(6).toString('hex')}`;
  const urls = CLICKHOUSE_URLS.map((url) => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString().replace(/\/$/, '');
  });
  const shards = openShards(urls);
  return {
    urls,
    shards,
    drop: async () => {
      await Promise.all(
        shards.map((shard) =>
          shard.command(chSql`DROP DATABASE IF EXISTS ${identifier(database)}`, { inDatabase: false }),
        ),
      );
    },
  };
}

/**
 * A ClickHouse event store on a fresh database of every test shard, its control plane on a fresh
 * SQLite database, and how to drop both.
 */
export async function openClickHouseEvents(): Promise<{
  events: ClickHouseEventStore;
  close(): Promise<void>;
}> {
  const database = await createTestDatabase('sqlite');
  const store = database.openStore();
  await store.migrate();
  const cluster = createTestClickHouse();
  const events = new ClickHouseEventStore(
    cluster.shards,
    store.db as never,
    new JobQueue(store.db, store.capabilities),
  );
  await events.migrate();
  return {
    events,
    close: async () => {
      await events.close();
      await store.close();
      await database.drop();
      await cluster.drop();
    },
  };
}
