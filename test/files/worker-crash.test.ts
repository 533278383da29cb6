import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { buildServices } from '../../src/services.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { CLI } from '../support/cli-process.js';
import { ensureBuilt, serverEnv, startServer, type ServerProcess } from '../support/server-process.js';
import { ADMIN_TOKEN } from '../support/test-app.js';
import { storage } from '../support/storage.js';

const ROWS = 60_000;

interface Ingestion {
  status: string;
  rows_accepted: number;
  rows_rejected: number;
}

beforeAll(() => {
  ensureBuilt();
}, 180_000);

/** `traitforge worker` processes on a test database, with a 1 s lease so a takeover is quick. */
function workerProcesses(db: () => TestDatabase) {
  const children: ChildProcess[] = [];
  const settings = () => ({
    TRAITFORGE_DATA_DIR: db().dataDir,
    ...(db().databaseUrl ? { TRAITFORGE_DATABASE_URL: db().databaseUrl } : {}),
    TRAITFORGE_ADMIN_TOKEN: ADMIN_TOKEN,
    TRAITFORGE_JOB_LEASE_MS: '1000',
  });
  return {
    settings,
    start(): ChildProcess {
      const child = spawn(process.execPath, [CLI, 'worker'], { env: serverEnv(settings()), stdio: 'ignore' });
      children.push(child);
      return child;
    },
    /** Kills a worker outright: it gets no chance to give its job back. */
    async crash(child: ChildProcess): Promise<void> {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
    killAll(): void {
      for (const child of children) child.kill('SIGKILL');
    },
  };
}

/** Polls `read` until `done` holds (90 s at most). */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The crash test of the durable jobs: a `traitforge worker` process is killed (SIGKILL) in the
 * middle of a CSV ingestion; a second worker takes the job over once the lease expires and
 * resumes from the checkpoint: every row is stored exactly once.
 */
describe.each(BACKENDS)('a worker killed mid-file on %s', (backend) => {
  let db: TestDatabase;
  let server: ServerProcess;
  let url: string;
  const workers = workerProcesses(() => db);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    server = startServer({ ...workers.settings(), TRAITFORGE_PORT: '0', TRAITFORGE_WORKERS: 'false' });
    url = await server.url();
  }, 60_000);
  afterAll(async () => {
    workers.killAll();
    server?.kill('SIGTERM');
    await server?.exited;
    await db?.drop();
  });

  it('stores every row exactly once after the takeover', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const dashboard = (await (
      await fetch(`${url}/admin/v1/dashboards`, {
        method: 'POST',
        headers: admin,
        body: '{"name":"Crash game"}',
      })
    ).json()) as { id: string; keys: { production: string } };
    const key = { authorization: `Bearer ${dashboard.keys.production}` };

    let csv = 'user_id,kpi_id,value\n';
    for (let i = 0; i < ROWS; i++) csv += `u${i % 5000},k${i},${i}\n`;
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'kpis.csv');
    const upload = await fetch(`${url}/v1/kpis/csv`, { method: 'POST', headers: key, body: form });
    expect(upload.status).toBe(201);
    const id = ((await upload.json()) as { data: { ingestion_id: string } }).data.ingestion_id;
    const status = async () =>
      ((await (await fetch(`${url}/v1/ingestions/${id}`, { headers: key })).json()) as { data: Ingestion })
        .data;
    const until = (done: (s: Ingestion) => boolean, what: string) => waitFor(status, done, what);

    // No worker in the API process: the upload waits for one.
    expect((await status()).status).toBe('queued');
    const first = workers.start();
    const before = await until((s) => s.rows_accepted >= 2000, 'the first chunks');
    await workers.crash(first);
    const atKill = await status();
    expect(atKill.status).toBe('running');
    expect(atKill.rows_accepted).toBeGreaterThanOrEqual(before.rows_accepted);
    expect(atKill.rows_accepted).toBeLessThan(ROWS);

    const second = workers.start();
    const done = await until(
      (s) => s.status !== 'running' && s.status !== 'queued',
      'the takeover to finish',
    );
    expect(done).toMatchObject({ status: 'succeeded', rows_accepted: ROWS, rows_rejected: 0 });
    const stats = (await (
      await fetch(`${url}/admin/v1/dashboards/${dashboard.id}/stats`, { headers: admin })
    ).json()) as { records: { production: Record<string, number> } };
    expect(stats.records.production.kpis).toBe(ROWS);

    // A worker asked to stop (SIGTERM) exits cleanly.
    const exited = new Promise<number | null>((r) => second.once('exit', r));
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});

/**
 * The same for a scheduled bucket sync: the worker dies while reading a large file, the sync
 * job is taken over, and the file's lines are stored exactly once.
 */
describe.each(BACKENDS)('a worker killed mid-sync on %s', (backend) => {
  const LINES = 40_000;
  let db: TestDatabase;
  let dir: string;
  const workers = workerProcesses(() => db);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    dir = mkdtempSync(join(tmpdir(), 'traitforge-crash-sync-'));
    mkdirSync(join(dir, 'actions', 'date=2024-01-01'), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < LINES; i++) {
      lines.push(
        JSON.stringify({
          timestamp: '2024-01-01 10:00:00',
          user_id: `u${i % 997}`,
          action_id: String(i),
          action_name: 'tap',
        }),
      );
    }
    writeFileSync(join(dir, 'actions', 'date=2024-01-01', 'big.ndjson'), `${lines.join('\n')}\n`);
  }, 60_000);
  afterAll(async () => {
    workers.killAll();
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it('stores every line exactly once after the takeover', async () => {
    const store = db.openStore();
    try {
      await store.migrate();
      const services = buildServices(parseConfig({ dataDir: db.dataDir, logLevel: 'silent' }), store);
      const dashboard = await services.tenancy.createDashboard('Sync crash game');
      await services.storageConnections.create(dashboard.id, {
        provider: 'local',
        path: dir,
        schedule_minutes: 60,
      });
      const actions = async () =>
        Number(
          (
            await storage(store)
              .selectFrom('actions')
              .select((eb) => eb.fn.countAll<string | number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const until = (done: (n: number) => boolean, what: string) => waitFor(actions, done, what);

      const first = workers.start();
      await until((n) => n >= 2000, 'the first chunks');
      await workers.crash(first);
      expect(await actions()).toBeLessThan(LINES);

      workers.start();
      await until((n) => n >= LINES, 'the takeover');
      // Finished: the file is recorded once, the connection is ok, and no line was stored twice.
      const deadline = Date.now() + 30_000;
      while ((await services.storageConnections.list(dashboard.id))[0]!.status !== 'ok') {
        if (Date.now() > deadline) throw new Error('the sync did not finish');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await actions()).toBe(LINES);
      const [connection] = await services.storageConnections.list(dashboard.id);
      expect(connection).toMatchObject({ files_ingested: 1, records_ingested: LINES });
    } finally {
      await store.close();
    }
  }, 120_000);
});
