import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { call, halfSentPost } from '../support/http-calls.js';
import { storage } from '../support/storage.js';
import { ensureBuilt, startAndFail, startServer, type ServerProcess } from '../support/server-process.js';

const ADMIN_TOKEN = 'processes-test-admin-token-0123456789';
const HAS_POSTGRES = Boolean(process.env.TRAITFORGE_TEST_DATABASE_URL);

/** The live child processes of a pid, as the operating system lists them. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0)
      .sort();
  } catch {
    return []; // ps exits 1 when there is none
  }
}

const readyPids = (server: ServerProcess) =>
  new Set(server.logs.filter((l) => l.msg === 'traitforge ready').map((l) => l.pid as number));

/** Which process answered each request, from the request log every worker writes. */
const servingPids = (server: ServerProcess, path: string) =>
  new Set(
    server.logs
      .filter((l) => l.msg === 'incoming request' && (l.req as { path?: string } | undefined)?.path === path)
      .map((l) => l.pid as number),
  );

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe('TRAITFORGE_PROCESSES: a bad value stops the start', () => {
  it.each([
    [
      '0',
      /invalid setting TRAITFORGE_PROCESSES: it must be a whole number of HTTP processes from 1 to 1024 \(got "0"\)/,
    ],
    ['two', /TRAITFORGE_PROCESSES must be a whole number, got "two"/],
    ['2', /TRAITFORGE_PROCESSES: 2 processes need PostgreSQL \(TRAITFORGE_DATABASE_URL\)/],
  ])('refuses TRAITFORGE_PROCESSES=%s on SQLite with a message naming it', async (value, message) => {
    const database = await createTestDatabase('sqlite');
    try {
      const { code, stderr, logs } = await startAndFail({
        TRAITFORGE_PORT: '0',
        TRAITFORGE_DATA_DIR: database.dataDir,
        TRAITFORGE_PROCESSES: value,
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(logs.some((l) => l.msg === 'traitforge ready')).toBe(false);
    } finally {
      await database.drop();
    }
  });
});

describe.skipIf(!HAS_POSTGRES)('TRAITFORGE_PROCESSES=2 on PostgreSQL', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    server = startServer({
      TRAITFORGE_PORT: '0',
      TRAITFORGE_HOST: '127.0.0.1',
      TRAITFORGE_DATA_DIR: database.dataDir,
      TRAITFORGE_DATABASE_URL: database.databaseUrl!,
      TRAITFORGE_ADMIN_TOKEN: ADMIN_TOKEN,
      TRAITFORGE_SECRET_KEY: 'ab'.repeat(32),
      TRAITFORGE_LOG_LEVEL: 'info',
      TRAITFORGE_PROCESSES: '2',
    });
    base = await server.url();
    await server.waitForLog(() => readyPids(server).size === 2, 'two workers ready');
  }, 120_000);

  afterAll(async () => {
    server.kill('SIGKILL');
    await server.exited;
    await database.drop();
  });

  it('serves one port from two worker processes, children of a primary that serves nothing', async () => {
    const workers = childrenOf(server.child.pid!);
    expect(workers).toHaveLength(2);
    expect([...readyPids(server)].sort()).toEqual(workers);
    expect(workers).not.toContain(server.child.pid);
    // One connection per request: the primary hands connections to the workers in turn.
    for (let i = 0; i < 20; i++) expect((await call(base, 'GET', '/healthz')).status).toBe(200);
    await server.waitForLog(() => servingPids(server, '/healthz').size === 2, 'both workers answering');
    expect([...servingPids(server, '/healthz')].sort()).toEqual(workers);
  }, 60_000);

  it('replaces a worker killed with SIGKILL while the other keeps the port serving', async () => {
    const [victim, survivor] = childrenOf(server.child.pid!);
    process.kill(victim!, 'SIGKILL');
    // Once the primary has seen the death (a connection handed over in the same instant would be
    // lost with the victim, as with any crashed server), the survivor takes every connection.
    const replaced = await server.waitForLog(
      (l) => l.msg === 'worker exited; replacing it',
      'the replacement',
    );
    expect(replaced).toMatchObject({ worker_pid: victim, signal: 'SIGKILL' });
    for (let i = 0; i < 10; i++) expect((await call(base, 'GET', '/readyz')).status).toBe(200);
    await server.waitForLog(() => readyPids(server).size === 3, 'a third worker ready');
    const now = childrenOf(server.child.pid!);
    expect(now).toHaveLength(2);
    expect(now).toContain(survivor);
    expect(now).not.toContain(victim);
  }, 60_000);

  it('drains every worker on SIGTERM: in-flight batches commit, then it exits 0', async () => {
    const created = await call(base, 'POST', '/admin/v1/dashboards', {
      token: ADMIN_TOKEN,
      body: { name: 'Processes game' },
    });
    expect(created.status).toBe(201);
    const dash = JSON.parse(created.body) as { id: string; keys: { production: string } };
    const agent = new http.Agent({ keepAlive: true });
    const batch = {
      actions: Array.from({ length: 200 }, (_, i) => ({
        timestamp: '2024-03-01 12:00:00',
        user_id: `p-${i % 20}`,
        action_id: `p-${i}`,
        action_name: 'level_start',
      })),
    };
    const posts = [1, 2, 3, 4].map(() =>
      halfSentPost(base, '/v1/actions', dash.keys.production, batch, agent),
    );
    const inFlight = () =>
      server.logs.filter(
        (l) => l.msg === 'incoming request' && (l.req as { path?: string }).path === '/v1/actions',
      ).length;
    await server.waitForLog(() => inFlight() >= 4, 'four requests in flight');
    const workers = childrenOf(server.child.pid!);
    server.kill('SIGTERM');
    await server.waitForLog(
      () => server.logs.filter((l) => l.msg === 'shutting down: finishing in-flight requests').length === 2,
      'both workers draining',
    );
    for (const post of posts) post.finish();
    for (const answer of await Promise.all(posts.map((p) => p.answer))) {
      expect(answer.status).toBe(201);
      expect(answer.headers.connection).toBe('close');
    }
    expect(await server.exited).toBe(0);
    agent.destroy();
    expect(server.logs.filter((l) => l.level >= 50 && l.msg !== 'worker exited; replacing it')).toEqual([]);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();

    // Committed: every record is in the database.
    const store = database.openStore();
    try {
      const row = await storage(store)
        .selectFrom('daily_counts')
        .select((eb) => eb.fn.sum<string>('count').as('n'))
        .where('dashboard_id', '=', dash.id)
        .executeTakeFirstOrThrow();
      expect(Number(row.n)).toBe(800);
    } finally {
      await store.close();
    }
  }, 60_000);
});
