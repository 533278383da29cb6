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
