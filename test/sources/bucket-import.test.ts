import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { buildServices, type Services } from '../../src/services.js';
import { classifyKey, ingestFile, legacyFileDedupeSource } from '../../src/sources/bucket-file.js';
import { importObjects } from '../../src/sources/bucket-import.js';
import { LocalObjectSource } from '../../src/sources/local-source.js';
import { S3ObjectSource } from '../../src/sources/s3-source.js';
import type { Principal } from '../../src/tenancy/tenancy.service.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { storage } from '../support/storage.js';

const purchase = (user: number, ts = '2024-01-01 10:00:00') =>
  JSON.stringify({ timestamp: ts, user_id: String(user), item_id: 'gem', count: 1, price: 1.5 });

/** The bucket layout, as files: key → content. */
const LAYOUT: Record<string, string | Buffer> = {
  'purchases/date=2024-01-01/load_id=1/part-0.json': `${purchase(1)}\n${purchase(2)}\n`,
  'purchases/date=2024-01-02/part-0.ndjson': `${purchase(3)}\n\nnot json\n[1,2]\n${purchase(4)}`,
  'purchases/date=2024-01-02/_SUCCESS': '',
  'logins/2024/01/logins.csv':
    'timestamp,user_id,level,country\n2024-01-01 10:00:00,1,3,US\n2024-01-01 11:00:00,2,x,FR\n',
  'actions/a.jsonl.gz': gzipSync(
    JSON.stringify({ user_id: '1', action_id: 'a1', action_name: 'open', action_params: [] }) + '\n',
  ),
  'kpis/k.csv.gz': gzipSync('user_id,kpi_id,value\n1,ltv,3.5\n'),
  'items/broken.json.gz': Buffer.from('this is not gzip'),
  'README.md': '# not data',
};

describe('bucket keys', () => {
  it('reads the record type from the root folder and the format from the extension', () => {
    expect(classifyKey('purchases/date=2024-01-01/load_id=7/a.json')).toEqual({
      type: 'purchases',
      format: 'ndjson',
      gzip: false,
    });
    expect(classifyKey('kpis/x.CSV.gz')).toEqual({ type: 'kpis', format: 'csv', gzip: true });
    expect(classifyKey('social_dynamics/a/b/c.jsonl')).toMatchObject({ type: 'social_dynamics' });
    expect(classifyKey('surveys/a.json')).toMatch(/not under a record-type folder/);
    expect(classifyKey('purchases/a.parquet')).toMatch(/not a .json/);
    expect(classifyKey('purchases.json')).toMatch(/not under/);
  });
});

describe.each(BACKENDS)('bucket import on %s', (backend) => {
  let t: TestApp;
  let services: Services;
  let principal: Principal;
  let dir: string;
  let dashboardId: string;

  const count = async (type: string) =>
    (await t.admin('GET', `/dashboards/${dashboardId}/records/${type}?limit=1000`)).json<unknown[]>().length;

  beforeAll(async () => {
    t = await createTestApp(backend);
    dashboardId = (await t.createDashboard('Bucket game')).id;
    services = buildServices(t.config, t.store);
    principal = { dashboardId, environment: 'production', keyId: 'bucket-test' };
    dir = mkdtempSync(join(tmpdir(), 'traitforge-bucket-'));
    for (const [key, content] of Object.entries(LAYOUT)) {
      mkdirSync(dirname(join(dir, key)), { recursive: true });
      writeFileSync(join(dir, key), content);
    }
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists a directory recursively with size+mtime etags and opens a file', async () => {
    const source = new LocalObjectSource(dir);
    const keys: string[] = [];
    for await (const o of source.list('purchases/')) {
      keys.push(o.key);
      expect(o.etag).toMatch(/^\d+-\d+$/);
    }
    expect(keys).toEqual([
      'purchases/date=2024-01-01/load_id=1/part-0.json',
      'purchases/date=2024-01-02/_SUCCESS',
      'purchases/date=2024-01-02/part-0.ndjson',
    ]);
    let bytes = 0;
    for await (const chunk of await source.open('kpis/k.csv.gz')) bytes += (chunk as Buffer).length;
    expect(bytes).toBe((LAYOUT['kpis/k.csv.gz'] as Buffer).length);
    await expect(source.open('nope.json')).rejects.toThrow(/unable to open/);
    await expect(source.open('../etc/passwd')).rejects.toThrow(/outside/);
  });

  it('ingests every file of the layout, rejecting bad lines by number, then nothing twice', async () => {
    const source = new LocalObjectSource(dir);
    const summary = await importObjects({ source, sourceId: 'local', ingest: services.ingest, principal });
    expect(summary).toMatchObject({ files_ingested: 5, records_ingested: 7, files_failed: 1 });
    expect(summary.errors).toEqual([
      { file: 'logins/2024/01/logins.csv', line: 3, field: 'level', message: expect.any(String) },
      {
        file: 'purchases/date=2024-01-02/part-0.ndjson',
        line: 3,
        field: null,
        message: expect.stringMatching(/^invalid JSON: /),
      },
      {
        file: 'purchases/date=2024-01-02/part-0.ndjson',
        line: 4,
        field: null,
        message: 'invalid JSON: each line must be one JSON object',
      },
      {
        file: 'items/broken.json.gz',
        line: null,
        field: null,
        message: expect.stringMatching(/invalid gzip/),
      },
    ]);
    expect(await count('purchases')).toBe(4);
    expect(await count('logins')).toBe(1);
    expect(await count('kpis')).toBe(1);

    const again = await importObjects({ source, sourceId: 'local', ingest: services.ingest, principal });
    expect(again).toMatchObject({ records_ingested: 0, records_already_stored: 7 });
    expect(await count('purchases')).toBe(4);
  });

  it('refuses a line or a CSV cell nested thousands deep as a row error, storing the rest', async () => {
    const deepDir = mkdtempSync(join(tmpdir(), 'traitforge-bucket-deep-'));
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const action = (user: string, params: string) =>
      `{"user_id":"${user}","action_id":"a","action_name":"open","action_params":${params}}`;
    mkdirSync(join(deepDir, 'actions'), { recursive: true });
    writeFileSync(
      join(deepDir, 'actions', 'deep.ndjson'),
      `${action('deep-1', '[]')}\n${action('deep-2', deep)}\n`,
    );
    writeFileSync(
      join(deepDir, 'actions', 'deep.csv'),
      `user_id,action_id,action_name,action_params\ndeep-3,a,open,[]\ndeep-4,a,open,${deep}\n`,
    );
    try {
      const source = new LocalObjectSource(deepDir);
      const summary = await importObjects({ source, sourceId: 'local', ingest: services.ingest, principal });
      expect(summary).toMatchObject({ files_ingested: 2, records_ingested: 2 });
      expect(summary.errors).toEqual(
        expect.arrayContaining([
          {
            file: 'actions/deep.ndjson',
            line: 2,
            field: null,
            message: 'invalid JSON: nested deeper than 64 levels',
          },
          { file: 'actions/deep.csv', line: 3, field: 'action_params', message: expect.any(String) },
        ]),
      );
    } finally {
      rmSync(deepDir, { recursive: true, force: true });
    }
  });

  it('streams a large file in chunks of 1000 with one key per chunk', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => purchase(10_000 + i)).join('\n');
    const big = mkdtempSync(join(tmpdir(), 'traitforge-big-'));
    mkdirSync(join(big, 'purchases'));
    writeFileSync(join(big, 'purchases', 'big.json.gz'), gzipSync(lines));
    const progress: number[] = [];
    const summary = await importObjects({
      source: new LocalObjectSource(big),
      sourceId: 'big',
      ingest: services.ingest,
      principal: { ...principal, environment: 'sandbox' },
      onProgress: (n) => progress.push(n),
    });
    rmSync(big, { recursive: true, force: true });
    expect(summary).toEqual({
      files_ingested: 1,
      records_ingested: 2500,
      records_already_stored: 0,
      records_withheld: 0,
      files_failed: 0,
      errors: [],
    });
    expect(progress).toEqual([1000, 2000, 2500, 2500]);
    const keys = await storage(t.store)
      .selectFrom('ingest_dedupe')
      .select('key')
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', 'sandbox')
      .orderBy('key')
      .execute();
    expect(keys.map((k) => k.key)).toEqual(['chunk:0:1-1000', 'chunk:1:1001-2000', 'chunk:2:2001-2500']);
  });

  describe('exactly once, chunk by chunk', () => {
    const kind = { type: 'purchases', format: 'ndjson', gzip: false } as const;
    const text = Array.from({ length: 2500 }, (_, i) => `${purchase(20_000 + i)}\n`);
    let own: Principal;
    const stored = async () =>
      Number(
        (
          await storage(t.store)
            .selectFrom('purchases')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('dashboard_id', '=', own.dashboardId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const keysOf = async (source: string) =>
      (
        await storage(t.store)
          .selectFrom('ingest_dedupe')
          .select('key')
          .where('dashboard_id', '=', own.dashboardId)
          .where('source', '=', source)
          .execute()
      ).map((k) => k.key);

    beforeAll(async () => {
      own = { ...principal, dashboardId: (await t.createDashboard('Chunks')).id };
    });

    it('stores whole chunks only when the read fails part-way, and the rest once when read again', async () => {
      const failing = Readable.from(
        (function* () {
          yield text.slice(0, 1500).join('');
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        })(),
      );
      const source = 'test:failing';
      await expect(
        ingestFile({ ingest: services.ingest, principal: own, kind, input: failing, dedupeSource: source }),
      ).rejects.toThrow('connection reset');
      expect(await stored()).toBe(1000);
      expect(await keysOf(source)).toEqual(['chunk:0:1-1000']);

      const whole = await ingestFile({
        ingest: services.ingest,
        principal: own,
        kind,
        input: Readable.from([text.join('')]),
        dedupeSource: source,
      });
      expect(whole).toEqual({ records: 1500, duplicates: 1000, withheld: 0, rejected: 0, errors: [] });
      expect(await stored()).toBe(2500);
      expect((await keysOf(source)).sort()).toEqual([
        'chunk:0:1-1000',
        'chunk:1:1001-2000',
        'chunk:2:2001-2500',
      ]);
    });

    it('stores a batch keyed as a whole once, even when the same batch is in the same commit', async () => {
      const before = await stored();
      const records = text.slice(0, 10).map((l) => JSON.parse(l) as unknown);
      const send = (key: string) =>
        services.ingest.ingestValid({
          principal: own,
          def: RECORD_TYPE_DEFS.purchases,
          records,
          dedupeSource: 'test:once',
          dedupeBatchKey: key,
        });
      const results = await Promise.all([send('a'), send('a'), send('b')]);
      expect(results.map((r) => [r.written, r.duplicates])).toEqual([
        [10, 0],
        [0, 10],
        [10, 0],
      ]);
      expect((await send('a')).written).toBe(0);
      expect(await stored()).toBe(before + 20);
    });

    it('does not store again a file version an earlier version keyed under its channel', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'traitforge-legacy-'));
      mkdirSync(join(dir, 'purchases'));
      writeFileSync(join(dir, 'purchases', 'a.json'), text.slice(0, 5).join(''));
      const source = new LocalObjectSource(dir);
      const objects = [];
      for await (const o of source.list('purchases/')) objects.push(o);
      const object = objects[0];
      const before = await stored();
      // As the previous release's import stored it: keyed in the import root's own channel.
      await ingestFile({
        ingest: services.ingest,
        principal: own,
        kind,
        input: await source.open(object!.key),
        dedupeSource: legacyFileDedupeSource('local:old-root', object!.key, object!.etag),
      });
      const summary = await importObjects({
        source,
        sourceId: 'local:old-root',
        ingest: services.ingest,
        principal: own,
      });
      rmSync(dir, { recursive: true, force: true });
      expect(summary).toMatchObject({ records_ingested: 0, records_already_stored: 5 });
      expect(await stored()).toBe(before + 5);
    });

    it('keeps keying line by line a channel an earlier version started so', async () => {
      const source = 'test:legacy';
      const before = await stored();
      // An earlier version stored the first 1000 lines, one key each, then stopped.
      const first = await services.ingest.ingestValid({
        principal: own,
        def: RECORD_TYPE_DEFS.purchases,
        records: text.slice(0, 1000).map((l) => JSON.parse(l) as unknown),
        dedupeSource: source,
        dedupeKeys: text.slice(0, 1000).map((_, i) => `line:${i + 1}`),
      });
      expect(first.written).toBe(1000);
      const result = await ingestFile({
        ingest: services.ingest,
        principal: own,
        kind,
        input: Readable.from([text.join('')]),
        dedupeSource: source,
      });
      expect(result).toEqual({ records: 1500, duplicates: 1000, withheld: 0, rejected: 0, errors: [] });
      expect(await stored()).toBe(before + 2500);
      const keys = await keysOf(source);
      expect(keys).toHaveLength(2500);
      expect(keys.every((k) => k.startsWith('line:'))).toBe(true);
    });
  });
});

describe.each(BACKENDS)('S3 source (fauxqs) on %s', (backend) => {
  let fauxqs: FauxqsServer;
  let t: TestApp;
  let endpoint: string;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
    endpoint = `http://127.0.0.1:${fauxqs.port}`;
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await client.send(new CreateBucketCommand({ Bucket: 'exports' }));
    const put = (Key: string, Body: string | Buffer) =>
      client.send(new PutObjectCommand({ Bucket: 'exports', Key, Body }));
    for (let i = 0; i < 5; i++) {
      await put(
        `game/purchases/date=2024-01-0${i + 1}/load_id=1/p.json`,
        `${purchase(i)}\n${purchase(i + 100)}\n`,
      );
    }
    await put('game/logins/l.csv.gz', gzipSync('user_id,level\n7,2\n'));
    await put('other/purchases/p.json', purchase(999));
    client.destroy();
    t = await createTestApp(backend);
  });
  afterAll(async () => {
    await t?.close();
    await fauxqs?.stop();
  });

  it('lists under a prefix over several pages and ingests the files', async () => {
    const source = new S3ObjectSource({
      bucket: 'exports',
      prefix: 'game',
      endpoint,
      credentials,
      pageSize: 2,
    });
    const keys: string[] = [];
    for await (const o of source.list()) {
      keys.push(o.key);
      expect(o.etag).not.toBe('');
    }
    expect(keys).toHaveLength(6);
    expect(keys).toContain('logins/l.csv.gz');
    const dashboardId = (await t.createDashboard('S3 game')).id;
    const summary = await importObjects({
      source,
      sourceId: 's3',
      ingest: buildServices(t.config, t.store).ingest,
      principal: { dashboardId, environment: 'production', keyId: 's3-test' },
    });
    expect(summary).toMatchObject({ files_ingested: 6, records_ingested: 11, files_failed: 0, errors: [] });
    source.destroy();
  });

  it('reports an unreachable store or a missing bucket as unable to connect', async () => {
    const missing = new S3ObjectSource({ bucket: 'nope', endpoint, credentials });
    await expect(missing.list()[Symbol.asyncIterator]().next()).rejects.toThrow(
      /unable to connect to s3 bucket nope/,
    );
    missing.destroy();
  });
});
