import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Backend, Store } from '../../src/store/store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** SQLite always; PostgreSQL as well when TRAITFORGE_TEST_DATABASE_URL is set (as in CI). */
export const BACKENDS: readonly Backend[] = process.env.TRAITFORGE_TEST_DATABASE_URL
  ? ['sqlite', 'postgres']
  : ['sqlite'];

/** The shard URLs of the test cluster (`scripts/clickhouse-cluster.sh`), or none: ClickHouse tests skip. */
export const CLICKHOUSE_URLS: readonly string[] = (process.env.TRAITFORGE_TEST_CLICKHOUSE_URL ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/**
 * What an API test runs on: a control-plane backend with events in the same database, or
 * `clickhouse`: events on the test ClickHouse cluster, the control plane on PostgreSQL when
 * TRAITFORGE_TEST_DATABASE_URL is set, else SQLite.
 */
export type TestBackend = Backend | 'clickhouse';

/**
 * The backends of suites that read or write events: `BACKENDS`, and `clickhouse` when
 * TRAITFORGE_TEST_CLICKHOUSE_URL is set (as in CI). Suites that touch only the control plane
 * keep `BACKENDS`: ClickHouse would run them a third time over the same control plane.
 */
export const EVENT_BACKENDS: readonly TestBackend[] =
  CLICKHOUSE_URLS.length > 0 ? [...BACKENDS, 'clickhouse'] : BACKENDS;

/** The control plane's backend of a test backend. */
export function controlPlaneOf(backend: TestBackend): Backend {
  if (backend !== 'clickhouse') return backend;
  return process.env.TRAITFORGE_TEST_DATABASE_URL ? 'postgres' : 'sqlite';
}

export interface TestDatabase {
  backend: Backend;
  /** For SQLite the data dir; for PostgreSQL the URL of a database made for this test. */
  dataDir: string;
  databaseUrl: string | undefined;
  openStore(): Store;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh, empty database of the given backend: its own SQLite file or PostgreSQL database. */
export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'traitforge-test-'));
  if (backend === 'sqlite') {
    return {
      backend,
      dataDir,
      databaseUrl: undefined,
      openStore: () => SqliteStore.open(join(dataDir, 'traitforge.sqlite')),
      drop: () => {
        rmSync(dataDir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  }
  const adminUrl = process.env.TRAITFORGE_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TRAITFORGE_TEST_DATABASE_URL is not set');
  const name = `tf_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = withDatabase(adminUrl, name);
  return {
    backend,
    dataDir,
    databaseUrl,
    openStore: () => PostgresStore.open(databaseUrl),
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
