import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const purchase = (user: number) =>
  JSON.stringify({
    timestamp: '2024-01-01 10:00:00',
    user_id: String(user),
    item_id: 'gem',
    count: 1,
    price: 3,
  });

interface Summary {
  files_ingested: number;
  records_ingested: number;
  files_failed: number;
  errors: { file: string; line: number | null; field: string | null; message: string }[];
}

/** A sync's answer when nothing new was found among `seen` files. */
const unchanged = (seen: number) => ({
  files_seen: seen,
  files_ingested: 0,
  files_updated: 0,
  updated_files: [],
  records_ingested: 0,
  records_already_stored: 0,
  records_withheld: 0,
  files_failed: 0,
  errors: [],
});

describe.each(BACKENDS)('storage connections on %s', (backend) => {
  let fauxqs: FauxqsServer;
  let s3: S3Client;
  let t: TestApp;
  let dashboardId: string;
  let endpoint: string;
  const credentials = { access_key_id: 'test', secret_access_key: 'test' };
  const put = (Key: string, Body: string | Buffer) =>
    s3.send(new PutObjectCommand({ Bucket: 'game-exports', Key, Body }));
  const base = () => `/dashboards/${dashboardId}/storage-connections`;
  const count = async (type: string, env = 'production') => {
    const stats = (await t.admin('GET', `/dashboards/${dashboardId}/stats`)).json<{
      records: Record<string, Record<string, number>>;
    }>();
    return stats.records[env]![type];
  };

  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
    endpoint = `http://127.0.0.1:${fauxqs.port}`;
    s3 = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'game-exports' }));
    await put('tf/purchases/date=2024-01-01/load_id=1/a.json', `${purchase(1)}\n${purchase(2)}\n`);
    await put('tf/logins/l.csv.gz', gzipSync('user_id,level\n1,2\n'));
    t = await createTestApp(backend);
    dashboardId = (await t.createDashboard('Storage game')).id;
  });
  afterAll(async () => {
    s3?.destroy();
    await t?.close();
    await fauxqs?.stop();
  });

  it('registers an S3 connection (201, no credentials shown), tests it and syncs each new file once', async () => {
    const created = await t.admin('POST', base(), {
      provider: 's3',
      bucket: 'game-exports',
      prefix: 'tf',
      endpoint,
      credentials,
      schedule_minutes: 60,
    });
    expect(created.statusCode).toBe(201);
    const connection = created.json<Record<string, unknown>>();
    expect(connection).toMatchObject({
      id: expect.stringMatching(/^stc_/),
      provider: 's3',
      environment: 'production',
      bucket: 'game-exports',
      has_credentials: true,
      schedule_minutes: 60,
      last_sync_at: null,
    });
    expect(JSON.stringify(connection)).not.toContain('secret');
    const id = connection.id as string;
    // At rest the credentials are sealed under the server key, not readable JSON.
    const row = await t.store.db
      .selectFrom('storage_connections')
      .select('credentials')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.credentials).toMatch(/^v1:/);
    expect(row.credentials).not.toContain('access_key_id');
    const got = await t.admin('GET', `${base()}/${id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(connection);

    const tested = await t.admin('POST', `${base()}/${id}/test`);
    expect(tested.json()).toEqual({
      ok: true,
      files: 2,
      files_checked: 2,
      message: 'connected: 2 files found, the first lines of 2 checked',
      errors: [],
    });

    const first = (await t.admin('POST', `${base()}/${id}/sync`)).json<Summary>();
    expect(first).toEqual({ ...unchanged(2), files_ingested: 2, records_ingested: 3 });
    expect(await count('purchases')).toBe(2);

    await put('tf/purchases/date=2024-01-02/b.ndjson', `${purchase(3)}\nnope\n`);
    const second = (await t.admin('POST', `${base()}/${id}/sync`)).json<Summary>();
    expect(second).toEqual({
      ...unchanged(3),
      files_ingested: 1,
      records_ingested: 1,
      files_failed: 0,
      errors: [
        {
          file: 'purchases/date=2024-01-02/b.ndjson',
          line: 2,
          field: null,
          message: expect.stringMatching(/^invalid JSON/),
        },
      ],
    });
    const third = (await t.admin('POST', `${base()}/${id}/sync`)).json<Summary>();
    expect(third).toEqual(unchanged(3));
    expect(await count('purchases')).toBe(3);
    expect(await count('logins')).toBe(1);
    expect((await t.admin('GET', `${base()}/${id}`)).json()).toMatchObject({
      last_sync_at: expect.any(String),
    });
  });

  it('a test of a missing bucket or an unreachable store says unable to connect', async () => {
    const missing = await t.admin('POST', base(), { provider: 's3', bucket: 'nope', endpoint, credentials });
    const id = missing.json<{ id: string }>().id;
    const message = expect.stringMatching(/^unable to connect to s3 bucket nope/) as unknown;
    expect((await t.admin('POST', `${base()}/${id}/test`)).json()).toEqual({
      ok: false,
      files: 0,
      files_checked: 0,
      message,
      errors: [{ message }],
    });
  });

  it('syncs a local directory into the sandbox', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'traitforge-conn-'));
    mkdirSync(join(dir, 'kpis', 'd=1'), { recursive: true });
    writeFileSync(join(dir, 'kpis', 'd=1', 'k.csv'), 'user_id,kpi_id,value\n1,ltv,2\n2,ltv,3\n');
    const created = await t.admin('POST', base(), { provider: 'local', path: dir, environment: 'sandbox' });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const summary = (await t.admin('POST', `${base()}/${id}/sync`)).json<Summary>();
    rmSync(dir, { recursive: true, force: true });
    expect(summary).toMatchObject({ files_ingested: 1, records_ingested: 2 });
    expect(await count('kpis', 'sandbox')).toBe(2);
  });

  it('refuses a connection without its bucket or path, unknown fields, and unknown ids', async () => {
    expect((await t.admin('POST', base(), { provider: 's3' })).statusCode).toBe(400);
    expect((await t.admin('POST', base(), { provider: 'local' })).statusCode).toBe(400);
    expect((await t.admin('POST', base(), { provider: 'ftp', bucket: 'x' })).statusCode).toBe(400);
    expect((await t.admin('POST', base(), { provider: 's3', bucket: 'x', color: 1 })).statusCode).toBe(400);
    expect((await t.admin('GET', `${base()}/stc_nope`)).statusCode).toBe(404);
    expect(
      (await t.admin('POST', '/dashboards/dsh_nope/storage-connections', { provider: 'local', path: '/tmp' }))
        .statusCode,
    ).toBe(404);
    expect((await t.call('GET', `/admin/v1${base()}/stc_nope`, undefined)).statusCode).toBe(401);
  });
});
