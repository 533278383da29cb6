import pg from 'pg';
import { openShards } from '../../src/events/clickhouse/shards.js';

/**
 * With TRAITFORGE_TEST_DATABASE_URL set, every storage and API test also runs on PostgreSQL:
 * an unreachable server fails the run here, at once, instead of skipping anything.
 */
export default async function setup(): Promise<void> {
  await checkClickHouse();
  const url = process.env.TRAITFORGE_TEST_DATABASE_URL;
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(`TRAITFORGE_TEST_DATABASE_URL is set but PostgreSQL does not answer: ${String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Likewise TRAITFORGE_TEST_CLICKHOUSE_URL: every shard listed must answer, or the run fails. */
async function checkClickHouse(): Promise<void> {
  const urls = process.env.TRAITFORGE_TEST_CLICKHOUSE_URL;
  if (!urls) return;
  const shards = openShards(urls.split(',').map((s) => s.trim()));
  for (const shard of shards) {
    try {
      await shard.ping();
    } catch (error) {
      throw new Error(
        `TRAITFORGE_TEST_CLICKHOUSE_URL is set but ${shard.name} does not answer: ${String(error)}`,
      );
    }
  }
}
