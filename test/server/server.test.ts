import http from 'node:http';
import https from 'node:https';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { ensureBuilt, startAndFail, startServer, type ServerProcess } from '../support/server-process.js';
import { HAS_OPENSSL, generateCertificate } from '../support/tls.js';
import { call, collect, halfSentPost, type Answer } from '../support/http-calls.js';

const ADMIN_TOKEN = 'server-test-admin-token-0123456789';

function actions(count: number, tag: string) {
  return {
    actions: Array.from({ length: count }, (_, i) => ({
      timestamp: '2024-03-01 12:00:00',
      user_id: `${tag}-user-${i % 50}`,
      action_id: `${tag}-${i}`,
      action_name: 'level_start',
      action_params: [{ key: 'i', value: String(i) }],
      note: 'x'.repeat(64),
    })),
  };
}

async function stopped(server: ServerProcess): Promise<number | null> {
  server.kill('SIGTERM');
  return server.exited;
}

function settingsFor(database: TestDatabase, dataDir: string): Record<string, string> {
  return {
    TRAITFORGE_PORT: '0',
    TRAITFORGE_HOST: '127.0.0.1',
    TRAITFORGE_DATA_DIR: dataDir,
    TRAITFORGE_ADMIN_TOKEN: ADMIN_TOKEN,
    TRAITFORGE_LOG_LEVEL: 'info',
    ...(database.databaseUrl ? { TRAITFORGE_DATABASE_URL: database.databaseUrl } : {}),
  };
}

beforeAll(() => {
  // `npm test` builds first (pretest); run alone, this file compiles a stale dist/ itself.
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('node dist/src/server.js on %s', (backend) => {
  let database: TestDatabase;
  let dataDir: string;
  const running: ServerProcess[] = [];
  const start = (extra: Record<string, string> = {}) => {
    const server = startServer({ ...settingsFor(database, dataDir), ...extra });
    running.push(server);
    return server;
  };

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    // A data dir that does not exist yet, as ./data on a first start.
    dataDir = join(database.dataDir, 'srv', 'data');
  });
  afterAll(async () => {
    for (const server of running) server.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    await database.drop();
  });

  it('starts, logs its real URL, answers the probes, and finishes in-flight batches on SIGTERM', async () => {
    const server = start({ TRAITFORGE_REQUIRE_HTTP: 'true' });
    const base = await server.url();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(base).not.toMatch(/:0$/);
    const ready = server.logs.find((l) => l.msg === 'traitforge ready')!;
    expect(ready).toMatchObject({ backend, admin_api: 'enabled' });
    // A misspelt setting is reported, not silently ignored.
    expect(server.logs).toContainEqual(
      expect.objectContaining({ level: 40, setting: 'TRAITFORGE_REQUIRE_HTTP' }),
    );
    if (backend === 'sqlite') expect(existsSync(join(dataDir, 'traitforge.sqlite'))).toBe(true);

    expect(await call(base, 'GET', '/healthz')).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    const readyz = await call(base, 'GET', '/readyz');
    expect(readyz.status).toBe(200);
    expect(JSON.parse(readyz.body)).toEqual({ status: 'ready', backend });

    const created = await call(base, 'POST', '/admin/v1/dashboards', {
      token: ADMIN_TOKEN,
      body: { name: 'Shutdown game' },
    });
    expect(created.status).toBe(201);
    const dash = JSON.parse(created.body) as { id: string; keys: { production: string } };

    // Three 1000-record batches in flight (keep-alive connections, as a load balancer's) when SIGTERM arrives.
    const agent = new http.Agent({ keepAlive: true });
    const posts = ['a', 'b', 'c'].map((tag) =>
      halfSentPost(base, '/v1/actions', dash.keys.production, actions(1000, tag), agent),
    );
    const inFlight = () =>
      server.logs.filter(
        (l) => l.msg === 'incoming request' && (l.req as { path?: string }).path === '/v1/actions',
      ).length;
    await Promise.all(
      [1, 2, 3].map((n) => server.waitForLog(() => inFlight() >= n, `${n} requests in flight`)),
    );
    server.kill('SIGTERM');
    await server.waitForLog((l) => l.msg === 'shutting down: finishing in-flight requests');
    for (const post of posts) post.finish();
    const answers = await Promise.all(posts.map((p) => p.answer));
    for (const answer of answers) {
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.body)).toEqual({
        code: 201,
        message: '1000 actions have been successfully ingested',
        data: null,
      });
      // The answer tells keep-alive clients the connection ends, so they cannot hold the server open.
      expect(answer.headers.connection).toBe('close');
    }
    expect(await server.exited).toBe(0);
    // 'stopped' is logged once the store is closed; a request's own 'request completed' line may
    // land just after it (pino writes asynchronously), so order is not asserted, errors are.
    expect(server.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(server.logs.filter((l) => l.level >= 50)).toEqual([]);
    agent.destroy();

    // Committed: a new server on the same database has every record.
    const again = start();
    const base2 = await again.url();
    const stats = await call(base2, 'GET', `/admin/v1/dashboards/${dash.id}/stats`, { token: ADMIN_TOKEN });
    expect(stats.status).toBe(200);
    expect(
      (JSON.parse(stats.body) as { records: { production: { actions: number } } }).records.production.actions,
    ).toBe(3000);
    const some = await call(
      base2,
      'GET',
      `/admin/v1/dashboards/${dash.id}/records/actions?user_id=c-user-7&limit=1000`,
      {
        token: ADMIN_TOKEN,
      },
    );
    expect(JSON.parse(some.body)).toHaveLength(20);
    expect(await stopped(again)).toBe(0);
  });

  it('refuses to start on a database migrated by a newer version', async () => {
    const newer = await createTestDatabase(backend);
    try {
      const store = newer.openStore();
      await store.migrate();
      await sql`insert into traitforge_migrations (name, applied_at) values (${'9999-from-the-future'}, ${Date.now()})`.execute(
        store.db,
      );
      await store.close();
      const { code, stderr, logs } = await startAndFail(settingsFor(newer, newer.dataDir));
      expect(code).toBe(1);
      expect(stderr).toMatch(/^traitforge: cannot start: the database was migrated by a newer Traitforge/);
      expect(stderr).toContain('9999-from-the-future');
      expect(stderr).toContain('upgrade this server');
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(logs.some((l) => l.msg === 'traitforge ready')).toBe(false);
    } finally {
      await newer.drop();
    }
  });
});

describe.skipIf(!HAS_OPENSSL)('node dist/src/server.js with TRAITFORGE_TLS_CERT/KEY', () => {
  it('serves HTTPS and logs an https URL', async () => {
    const cert = generateCertificate();
    const database = await createTestDatabase('sqlite');
    const server = startServer({
      ...settingsFor(database, database.dataDir),
      TRAITFORGE_TLS_CERT: cert.certFile,
      TRAITFORGE_TLS_KEY: cert.keyFile,
      TRAITFORGE_REQUIRE_HTTPS: 'true',
    });
    try {
      const base = await server.url();
      expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await new Promise<Answer>((resolve, reject) => {
        https
          .get(new URL('/readyz', base), { ca: cert.cert, agent: false }, (res) => {
            collect(res).then(resolve, reject);
          })
          .on('error', reject);
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ status: 'ready', backend: 'sqlite' });
      expect(await stopped(server)).toBe(0);
    } finally {
      server.kill('SIGKILL');
      await server.exited;
      cert.remove();
      await database.drop();
    }
  });
});
