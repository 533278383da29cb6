import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Backend, Store } from '../../src/store/store.js';
import { ClickHouseEventStore } from '../../src/events/clickhouse/clickhouse-event-store.js';
import { chSql, identifier } from '../../src/events/clickhouse/literal.js';
import { migrateShards } from '../../src/events/clickhouse/migrate.js';
import { openShards } from '../../src/events/clickhouse/shards.js';
import type { EventStore } from '../../src/events/event-store.js';
import { sqlEventStore } from '../../src/events/sql/sql-event-store.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TenancyRepository } from '../../src/tenancy/tenancy.repository.js';
import { TenancyService } from '../../src/tenancy/tenancy.service.js';

/** What a bench runs on: a control-plane backend, or ClickHouse for events beside one. */
export type BenchBackend = Backend | 'clickhouse';

/** Where a bench phase's fresh database lives: made by the parent, opened by the phase's process. */
export interface BenchDatabase {
  backend: Backend;
  /** SQLite: the database file; PostgreSQL: the URL of a database made for this phase. */
  location: string;
  /** Events on ClickHouse: the shard URLs, each naming a database made for this phase. */
  clickhouse?: string[];
}

/** The ClickHouse test cluster's shard URLs (`TRAITFORGE_TEST_CLICKHOUSE_URL`), or none. */
export const BENCH_CLICKHOUSE_URLS: readonly string[] = (process.env.TRAITFORGE_TEST_CLICKHOUSE_URL ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/** The control plane beside ClickHouse: PostgreSQL when the bench has one, else SQLite. */
export const controlPlaneOf = (backend: BenchBackend, adminUrl?: string): Backend =>
  backend === 'clickhouse' ? (adminUrl ? 'postgres' : 'sqlite') : backend;

/** A fresh database name on every shard (created by the migrations); its URLs. */
function freshClickHouse(): string[] {
  if (BENCH_CLICKHOUSE_URLS.length === 0) throw new Error('TRAITFORGE_TEST_CLICKHOUSE_URL is not set');
  const name = `tf_bench_${randomBytes(6).toString('hex')}`;
  return BENCH_CLICKHOUSE_URLS.map((url) => {
    checkLocalUrl(url);
    return `${new URL(url).origin}/${name}`;
  });
}

async function dropClickHouse(urls: readonly string[]): Promise<void> {
  const database = new URL(urls[0]!).pathname.slice(1);
  await Promise.all(
    openShards(urls).map((shard) =>
      shard.command(chSql`DROP DATABASE IF EXISTS ${identifier(database)}`, { inDatabase: false }),
    ),
  );
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
    throw new Error(`the bench only talks to 127.0.0.1; a test server URL points at ${host}`);
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

/**
 * Runs `run` on a fresh database (a copy of `template` when given), dropped afterwards; on
 * ClickHouse, a fresh database on every shard too.
 */
export async function withBenchDatabase<T>(
  backend: BenchBackend,
  adminUrl: string | undefined,
  run: (database: BenchDatabase) => Promise<T>,
  template?: BenchDatabase,
): Promise<T> {
  const database = await createBenchDatabase(controlPlaneOf(backend, adminUrl), adminUrl, template);
  if (backend === 'clickhouse') database.clickhouse = freshClickHouse();
  try {
    return await run(database);
  } finally {
    await dropBenchDatabase(database, adminUrl);
    if (database.clickhouse) await dropClickHouse(database.clickhouse);
  }
}

/**
 * The event store of the phase's database, as the composition root would open it (`timeoutMs`:
 * the ClickHouse request timeout, the server's default when not given).
 */
export function benchEventStore(store: Store, database: BenchDatabase, timeoutMs?: number): EventStore {
  if (!database.clickhouse) return sqlEventStore(store);
  return new ClickHouseEventStore(
    openShards(database.clickhouse, timeoutMs),
    store.db as never,
    new JobQueue(store.db, store.capabilities),
  );
}

/** A fresh, migrated store with one dashboard (and its keys). */
export async function prepareDashboard(
  database: BenchDatabase,
): Promise<{ store: Store; dashboardId: string; apiKey: string }> {
  const store = openBenchStore(database);
  await store.migrate();
  if (database.clickhouse) await migrateShards(openShards(database.clickhouse));
  const tenancy = new TenancyService(new TenancyRepository(store.db));
  const dashboard = await tenancy.createDashboard('Bench game', 'bench');
  return { store, dashboardId: dashboard.id, apiKey: dashboard.keys.production.key };
}
