import pg from 'pg';

/**
 * With TRAITFORGE_TEST_DATABASE_URL set, every storage and API test also runs on PostgreSQL:
 * an unreachable server fails the run here, at once, instead of skipping anything.
 */
export default async function setup(): Promise<void> {
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
