import type { FastifyInstance, InjectOptions, LightMyRequestResponse, RouteOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { parseConfig, type Config } from '../../src/config/config.js';
import { migrateShards } from '../../src/events/clickhouse/migrate.js';
import type { Store } from '../../src/store/store.js';
import { controlPlaneOf, createTestDatabase, type TestBackend, type TestDatabase } from './backends.js';
import { createTestClickHouse } from './clickhouse.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestDashboard {
  id: string;
  keys: { production: string; sandbox: string };
  key_ids: { production: string; sandbox: string };
}

export interface TestApp {
  backend: TestBackend;
  app: FastifyInstance;
  store: Store;
  database: TestDatabase;
  config: Config;
  /** Every route the app registered (their schemas as finally registered, `hide` included). */
  routes: RouteOptions[];
  /** POST/GET with a 12traits key. */
  call(
    method: InjectOptions['method'],
    url: string,
    key: string | undefined,
    body?: unknown,
  ): Promise<LightMyRequestResponse>;
  admin(method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse>;
  createDashboard(name?: string, slug?: string): Promise<TestDashboard>;
  close(): Promise<void>;
}

/**
 * An app on a fresh database of the backend (for `clickhouse`, a fresh control-plane database and
 * a fresh database on every test shard), migrated, answering through `inject` (no port).
 */
export async function createTestApp(
  backend: TestBackend,
  overrides: Record<string, unknown> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(controlPlaneOf(backend));
  const cluster = backend === 'clickhouse' ? createTestClickHouse() : undefined;
  const config = parseConfig({
    adminToken: ADMIN_TOKEN,
    dataDir: database.dataDir,
    logLevel: 'silent',
    ...(cluster && { clickhouseUrls: cluster.urls }),
    ...overrides,
  });
  const store = database.openStore();
  await store.migrate();
  if (cluster) await migrateShards(cluster.shards);
  const routes: RouteOptions[] = [];
  const app = await buildApp(config, store, { logger: false, onRoute: (route) => routes.push(route) });
  await app.ready();
  const call: TestApp['call'] = (method, url, key, body) =>
    app.inject({
      method,
      url,
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { payload: body as string | object }),
    });
  const admin: TestApp['admin'] = (method, url, body) => call(method, `/admin/v1${url}`, ADMIN_TOKEN, body);
  return {
    backend,
    app,
    store,
    database,
    config,
    routes,
    call,
    admin,
    async createDashboard(name = 'Test game', slug) {
      const res = await admin('POST', '/dashboards', slug === undefined ? { name } : { name, slug });
      if (res.statusCode !== 201) throw new Error(`dashboard create failed: ${res.body}`);
      return res.json<TestDashboard>();
    },
    async close() {
      await app.close();
      await store.close();
      await database.drop();
      await cluster?.drop();
    },
  };
}
