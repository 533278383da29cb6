import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServices, type Services } from '../../src/services.js';
import { BACKENDS } from '../support/backends.js';
import { receiver, type Receiver } from '../support/receiver.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { storage } from '../support/storage.js';

const action = (user: number, name = 'play') =>
  JSON.stringify({
    timestamp: '2024-01-01 10:00:00',
    user_id: String(user),
    action_id: '1',
    action_name: name,
  });

interface Connection {
  id: string;
  status: string;
  files_ingested: number;
  next_sync_at: string | null;
  last_sync: Record<string, unknown> | null;
}

describe.each(BACKENDS)('connection status, schedules and notifications on %s', (backend) => {
  let t: TestApp;
  /** A second set of services on the same database: drives jobs and the scheduler directly. */
  let services: Services;
  let dashboardId: string;
  const dirs: string[] = [];
  const base = () => `/dashboards/${dashboardId}/storage-connections`;
  const bucketDir = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'traitforge-sync-'));
    dirs.push(dir);
    for (const [key, text] of Object.entries(files)) {
      mkdirSync(join(dir, key, '..'), { recursive: true });
      writeFileSync(join(dir, key), text);
    }
    return dir;
  };
  const connect = async (body: Record<string, unknown>) => {
    const res = await t.admin('POST', base(), { provider: 'local', ...body });
    expect(res.statusCode).toBe(201);
    return res.json<Connection>();
  };
  const actions = async () =>
    Number(
      (
        await storage(t.store)
          .selectFrom('actions')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await createTestApp(backend, { webhookAllow: ['127.0.0.1'] });
    services = buildServices(t.config, t.store, { jobWorker: { baseBackoffMs: 1 } });
    dashboardId = (await t.createDashboard('Sync game')).id;
  });
  afterEach(async () => {
    await t.admin('PUT', `/dashboards/${dashboardId}/notifications`, { webhook_url: null });
  });
  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('tests a connection without storing: bad JSON, bad CSV and invalid records by file and line', async () => {
    const dir = bucketDir({
      'actions/date=2024-01-01/a.ndjson': `${action(1)}\n{"user_id": \n${JSON.stringify({ user_id: '2' })}\n`,
      'purchases/p.csv': 'user_id,,price\n1,2,3\n',
      'logins/l.csv': 'user_id,level\n1,2\n',
      'notes/readme.txt': 'not data',
    });
    const { id } = await connect({ path: dir });
    const before = await actions();
    const tested = await t.admin('POST', `${base()}/${id}/test`);
    expect(tested.statusCode).toBe(200);
    const body = tested.json<{ ok: boolean; files: number; errors: unknown[] }>();
    expect(body.ok).toBe(false);
    expect(body.files).toBe(3);
    expect(body.errors).toEqual([
      { file: 'actions/date=2024-01-01/a.ndjson', line: 2, message: expect.stringMatching(/^invalid JSON/) },
      { file: 'actions/date=2024-01-01/a.ndjson', line: 3, message: 'action_id: is required' },
      { file: 'actions/date=2024-01-01/a.ndjson', line: 3, message: 'action_name: is required' },
      { file: 'purchases/p.csv', line: 1, message: 'the header has an empty column name' },
    ]);
    expect(await actions()).toBe(before);
  });

  it('an unreachable source: "unable to connect" in the test, the status, and the webhook (retried)', async () => {
    const hook: Receiver = await receiver(1);
    try {
      const put = await t.admin('PUT', `/dashboards/${dashboardId}/notifications`, { webhook_url: hook.url });
      expect(put.json()).toMatchObject({ webhook_url: hook.url });
      const { id } = await connect({ path: join(tmpdir(), 'traitforge-no-such-dir-4711') });
      const tested = (await t.admin('POST', `${base()}/${id}/test`)).json<{ ok: boolean; message: string }>();
      expect(tested.ok).toBe(false);
      expect(tested.message).toMatch(/^unable to connect: unable to read .*traitforge-no-such-dir-4711/);

      const sync = await t.admin('POST', `${base()}/${id}/sync`);
      expect(sync.statusCode).toBe(200);
      expect(sync.json()).toMatchObject({
        files_ingested: 0,
        errors: [{ file: null, line: null, message: expect.stringMatching(/^unable to connect/) }],
      });
      const got = (await t.admin('GET', `${base()}/${id}`)).json<Connection>();
      expect(got.status).toBe('unreachable');
      expect(got.last_sync).toMatchObject({
        errors: [{ message: expect.stringMatching(/^unable to connect/) }],
      });

      // The first delivery fails (500) and is queued again; the second arrives.
      await services.jobs.runOnce();
      await new Promise((r) => setTimeout(r, 20));
      await services.jobs.runOnce();
      expect(hook.attempts()).toBe(2);
      expect(hook.bodies).toEqual([
        expect.objectContaining({
          event: 'storage_sync.failed',
          dashboard_id: dashboardId,
          connection_id: id,
          status: 'unreachable',
          message: expect.stringMatching(/^unable to connect/),
        }),
      ]);
    } finally {
      await hook.close();
    }
  });

  it('a file whose ETag changed is ingested again as a new version and reported', async () => {
    const dir = bucketDir({ 'actions/a.ndjson': `${action(1)}\n` });
    const { id } = await connect({ path: dir });
    const before = await actions();
    expect((await t.admin('POST', `${base()}/${id}/sync`)).json()).toMatchObject({
      files_ingested: 1,
      files_updated: 0,
    });
    writeFileSync(join(dir, 'actions/a.ndjson'), `${action(1)}\n${action(2, 'win')}\n`);
    const second = (await t.admin('POST', `${base()}/${id}/sync`)).json();
    expect(second).toMatchObject({
      files_seen: 1,
      files_ingested: 1,
      files_updated: 1,
      updated_files: ['actions/a.ndjson'],
      records_ingested: 2,
    });
    expect(await actions()).toBe(before + 3);
    const got = (await t.admin('GET', `${base()}/${id}`)).json<Connection>();
    expect(got).toMatchObject({ status: 'ok', files_ingested: 1, last_sync: { files_updated: 1 } });
  });

  it('a scheduled connection is synced by a job once per due time; lists and deletes', async () => {
    const dir = bucketDir({ 'actions/x/a.json': `${action(7)}\n${action(8)}\n` });
    const created = await connect({ path: dir, schedule_minutes: 5 });
    expect(created.status).toBe('never_synced');
    expect(created.next_sync_at).not.toBeNull();
    const before = await actions();

    expect(await services.storageConnections.enqueueDue()).toBe(1);
    // Claimed: another scheduler tick (or server process) does not queue it again.
    expect(await services.storageConnections.enqueueDue()).toBe(0);
    expect(await services.jobs.runOnce()).toBe(1);
    expect(await actions()).toBe(before + 2);
    const got = (await t.admin('GET', `${base()}/${created.id}`)).json<Connection>();
    expect(got.status).toBe('ok');
    expect(Date.parse(got.next_sync_at!) - Date.now()).toBeGreaterThan(4 * 60_000);

    const listed = (await t.admin('GET', base())).json<Connection[]>();
    expect(listed.map((c) => c.id)).toContain(created.id);
    expect((await t.admin('DELETE', `${base()}/${created.id}`)).statusCode).toBe(204);
    expect((await t.admin('GET', `${base()}/${created.id}`)).statusCode).toBe(404);
    expect((await t.admin('DELETE', `${base()}/${created.id}`)).statusCode).toBe(404);
    const files = await t.store.db
      .selectFrom('storage_files')
      .select('key')
      .where('connection_id', '=', created.id)
      .execute();
    expect(files).toEqual([]);
  });

  it('notification settings: http(s) URLs only, null removes, unknown dashboards 404', async () => {
    const url = `/dashboards/${dashboardId}/notifications`;
    for (const webhook_url of ['not a url', 'ftp://example.com/x', 'http://10.0.0.8/x']) {
      const res = await t.admin('PUT', url, { webhook_url });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(/webhook_url/);
    }
    expect(
      (await t.admin('PUT', url, { webhook_url: 'https://example.com/hooks/tf?token=abc' })).statusCode,
    ).toBe(200);
    // The token is sealed at rest and never answered.
    expect((await t.admin('GET', url)).json()).toEqual({
      webhook_url: 'https://example.com/hooks/tf?token=***',
    });
    expect((await t.admin('PUT', url, { webhook_url: null })).json()).toEqual({ webhook_url: null });
    expect((await t.admin('GET', url)).json()).toEqual({ webhook_url: null });
    expect((await t.admin('PUT', url, {})).statusCode).toBe(400);
    expect((await t.admin('GET', '/dashboards/dsh_nope/notifications')).statusCode).toBe(404);
  });

  it('sweeps upload pieces that no ingestion will read once they are old', async () => {
    const old = Date.now() - 2 * 60 * 60_000;
    await t.store.db
      .insertInto('upload_chunks')
      .values([
        { ingestion_id: 'abandoned', seq: 0, data: Buffer.from('a,b\n'), created_at: old },
        { ingestion_id: 'in-flight', seq: 0, data: Buffer.from('a,b\n'), created_at: Date.now() },
      ])
      .execute();
    expect(await services.files.sweepAbandonedUploads()).toBe(1);
    const left = await t.store.db.selectFrom('upload_chunks').select('ingestion_id').execute();
    expect(left.map((r) => r.ingestion_id)).toEqual(['in-flight']);
  });
});
