import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Backend, Store } from '../../src/store/store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TenancyRepository } from '../../src/tenancy/tenancy.repository.js';
import { TenancyService } from '../../src/tenancy/tenancy.service.js';

/** Where a bench phase's fresh database lives: made by the parent, opened by the phase's process. */
export interface BenchDatabase {
  backend: Backend;
  /** SQLite: the database file; PostgreSQL: the URL of a database made for this phase. */
  location: string;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Refuses anything but a server on this machine: the bench never talks to another host. */
export function checkLocalUrl(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`the bench only talks to 127.0.0.1; TRAITFORGE_TEST_DATABASE_URL points at ${host}`);
  }
}

/**
 * A fresh database; with `template`, a copy of that one (closed by then): a file copy on SQLite,
 * `CREATE DATABASE … TEMPLATE` on PostgreSQL.
 */
export async function createBenchDatabase(
  backend: Backend,
  adminUrl?: string,
  template?: BenchDatabase,
): Promise<BenchDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'traitforge-bench-'));
    const location = join(dir, 'traitforge.sqlite');
    if (template) {
      copyFileSync(template.location, location);
      // Closed cleanly, a WAL database has no -wal file left; copy it if one is.
      if (existsSync(`${template.location}-wal`)) copyFileSync(`${template.location}-wal`, `${location}-wal`);
    }
    return { backend, location };
  }
  if (!adminUrl) throw new Error('TRAITFORGE_TEST_DATABASE_URL is not set');
  checkLocalUrl(adminUrl);
  const name = `tf_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const from = template ? ` TEMPLATE ${new URL(template.location).pathname.slice(1)}` : '';
    await admin.query(`CREATE DATABASE ${name}${from}`);
  } finally {
    await admin.end();
  }
  return { backend, location: withDatabase(adminUrl, name) };
}

export async function dropBenchDatabase(database: BenchDatabase, adminUrl?: string): Promise<void> {
  if (database.backend === 'sqlite') {
    rmSync(join(database.location, '..'), { recursive: true, force: true });
    return;
  }
  const name = new URL(database.location).pathname.slice(1);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export function openBenchStore(database: BenchDatabase): Store {
  return database.backend === 'sqlite'
    ? SqliteStore.open(database.location)
    : PostgresStore.open(database.location);
}

/** Runs `run` on a fresh database (a copy of `template` when given), dropped afterwards. */
export async function withBenchDatabase<T>(
  backend: Backend,
  adminUrl: string | undefined,
  run: (database: BenchDatabase) => Promise<T>,
  template?: BenchDatabase,
): Promise<T> {
  const database = await createBenchDatabase(backend, adminUrl, template);
  try {
    return await run(database);
  } finally {
    await dropBenchDatabase(database, adminUrl);
  }
}

/** A fresh, migrated store with one dashboard (and its keys). */
export async function prepareDashboard(
  database: BenchDatabase,
): Promise<{ store: Store; dashboardId: string; apiKey: string }> {
  const store = openBenchStore(database);
  await store.migrate();
  const tenancy = new TenancyService(new TenancyRepository(store.db));
  const dashboard = await tenancy.createDashboard('Bench game', 'bench');
  return { store, dashboardId: dashboard.id, apiKey: dashboard.keys.production.key };
}
