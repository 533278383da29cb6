import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureObjectSource } from '../../src/sources/azure-source.js';
import { BACKENDS } from '../support/backends.js';
import { ROOT } from '../support/server-process.js';
import { createTestApp } from '../support/test-app.js';

const ACCOUNT = 'devstoreaccount1';
const purchase = (user: number) =>
  JSON.stringify({
    timestamp: '2024-01-01 10:00:00',
    user_id: String(user),
    item_id: 'gem',
    count: 1,
    price: 3,
  }) + '\n';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** azurite on 127.0.0.1 and a free port, in memory; resolves its port once it listens. */
function startAzurite(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
    ],
    { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`azurite did not start: ${out}`));
    }, 20_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const port = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, port: Number(port) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite exited with ${code}: ${out}`));
    });
  });
}

describe('Azure source (azurite)', () => {
  let azurite: { child: ChildProcess; port: number } | undefined;
  let connectionString: string;

  beforeAll(async () => {
    azurite = await startAzurite();
    connectionString =
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` +
      `BlobEndpoint=http://127.0.0.1:${azurite.port}/${ACCOUNT};`;
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('exports');
    await container.create();
    const put = (name: string, body: string | Buffer) =>
      container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    await put('tf/purchases/date=2024-01-01/a.json', purchase(1));
    await put('tf/purchases/date=2024-01-02/b.json', purchase(2));
    await put('tf/logins/l.csv.gz', gzipSync('user_id\n1\n'));
    await put('other/purchases/c.json', '{}');
  }, 60_000);
  afterAll(() => {
    azurite?.child.kill();
  });

  it('lists a prefix over several pages and streams a blob back', async () => {
    const source = new AzureObjectSource({
      connectionString,
      container: 'exports',
      prefix: 'tf',
      pageSize: 1,
    });
    const listed: string[] = [];
    for await (const o of source.list()) {
      listed.push(o.key);
      expect(o.etag).not.toBe('');
    }
    expect(listed.sort()).toEqual([
      'logins/l.csv.gz',
      'purchases/date=2024-01-01/a.json',
      'purchases/date=2024-01-02/b.json',
    ]);
    let text = '';
    for await (const chunk of await source.open('purchases/date=2024-01-02/b.json')) text += String(chunk);
    expect(text).toBe(purchase(2));
    await expect(source.open('nope.json')).rejects.toThrow(/unable to read azure blob/);
  });

  it.each(BACKENDS)('syncs an azure storage connection through the admin API on %s', async (backend) => {
    const t = await createTestApp(backend);
    try {
      const { id: dashboardId } = await t.createDashboard('Azure game');
      const base = `/dashboards/${dashboardId}/storage-connections`;
      const created = await t.admin('POST', base, {
        provider: 'azure',
        bucket: 'exports',
        prefix: 'tf',
        credentials: { connection_string: connectionString },
      });
      expect(created.statusCode).toBe(201);
      expect(created.body).not.toContain('AccountKey');
      const id = created.json<{ id: string }>().id;
      expect((await t.admin('POST', `${base}/${id}/test`)).json()).toEqual({
        ok: true,
        files: 3,
        files_checked: 3,
        message: 'connected: 3 files found, the first lines of 3 checked',
        errors: [],
      });
      const sync = await t.admin('POST', `${base}/${id}/sync`);
      expect(sync.json()).toEqual({
        files_seen: 3,
        files_ingested: 3,
        files_updated: 0,
        updated_files: [],
        records_ingested: 3,
        records_already_stored: 0,
        records_withheld: 0,
        files_failed: 0,
        errors: [],
      });
      expect((await t.admin('POST', `${base}/${id}/sync`)).json()).toMatchObject({ files_ingested: 0 });
      const bad = await t.admin('POST', base, { provider: 'azure', bucket: 'exports' });
      expect(bad.statusCode).toBe(400);
    } finally {
      await t.close();
    }
  });

  it('a missing container is unable to connect', async () => {
    const source = new AzureObjectSource({ connectionString, container: 'missing' });
    await expect(source.list()[Symbol.asyncIterator]().next()).rejects.toThrow(
      /unable to connect to azure container missing/,
    );
  });
});
