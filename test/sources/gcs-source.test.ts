import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Storage } from '@google-cloud/storage';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../src/services.js';
import { importObjects } from '../../src/sources/bucket-import.js';
import {
  GcsObjectSource,
  parseServiceAccount,
  type GcsSourceOptions,
  type ServiceAccount,
} from '../../src/sources/gcs-source.js';
import { SourceError } from '../../src/sources/object-source.js';
import { BACKENDS } from '../support/backends.js';
import { startGcsStandIn, type GcsStandIn } from '../support/gcs-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const EMAIL = 'traitforge-reader@game-project.iam.gserviceaccount.com';
const rsa = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const keys = rsa();

const purchase = (user: number, day = '01') =>
  JSON.stringify({
    timestamp: `2024-01-${day} 10:00:00`,
    user_id: String(user),
    item_id: 'gem',
    count: 1,
    price: 2.5,
  });

/** Under the connection's prefix `game/`: 5 data files (9 records) and a marker; and TRANSCODED. */
const LAYOUT: Record<string, Buffer> = {
  'game/purchases/date=2024-01-01/load_id=1/a.ndjson': Buffer.from(`${purchase(1)}\n${purchase(2)}\n`),
  'game/purchases/date=2024-01-02/load_id=1/b.json': Buffer.from(purchase(3, '02')),
  'game/purchases/date=2024-01-02/load_id=2/c.jsonl.gz': gzipSync(
    [purchase(4, '02'), purchase(5, '02'), purchase(6, '02')].join('\n') + '\n',
  ),
  'game/purchases/date=2024-01-02/_SUCCESS': Buffer.alloc(0),
  'game/logins/date=2024-01-01/l.csv.gz': gzipSync(
    'timestamp,user_id,level,country\n2024-01-01 10:00:00,1,3,US\n2024-01-01 11:00:00,2,4,FR\n',
  ),
  'game/kpis/k.csv': Buffer.from('user_id,kpi_id,value\n1,ltv,3.5\n'),
  'other/purchases/x.json': Buffer.from(purchase(999)),
  // 3 MiB of random bytes outside the layout: many chunks, checked end to end by crc32c.
  'bulk/blob.bin': randomBytes(3 * 1024 * 1024),
};

/** Stored gzipped with `Content-Encoding: gzip` (as `gsutil cp -Z` does): read as plain JSON. */
const TRANSCODED = { name: 'game/purchases/date=2024-01-03/t.json', text: `${purchase(7, '03')}\n` };

/** A service-account key file as Google issues it, pointing at the stand-in's token endpoint. */
const serviceAccountJson = (tokenUri: string, privateKey = keys.privateKey) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'game-project',
    private_key_id: 'a1b2c3',
    private_key: privateKey,
    client_email: EMAIL,
    client_id: '1234567890',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  });

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let gcs: GcsStandIn;
let credentials: ServiceAccount;
let storage: Storage;
const source = (options: Partial<GcsSourceOptions> = {}) =>
  new GcsObjectSource({ bucket: 'exports', prefix: 'game', apiEndpoint: gcs.url, credentials, ...options });
const first = (s: GcsObjectSource) => s.list()[Symbol.asyncIterator]().next();

beforeAll(async () => {
  gcs = await startGcsStandIn({ maxPageSize: 2 });
  gcs.addServiceAccount(EMAIL, keys.publicKey);
  gcs.createBucket('exports', {
    readers: [EMAIL, 'uploader@game-project.iam.gserviceaccount.com'],
    publicWrite: true,
  });
  gcs.createBucket('locked', { readers: ['someone-else@game-project.iam.gserviceaccount.com'] });
  credentials = parseServiceAccount(serviceAccountJson(gcs.tokenUri));
  // Fixtures go in through the SDK's own uploads, multipart (with a write-scoped token) and
  // resumable (the 3 MiB one in 256 KiB chunks; the SDK sends these without a token, see
  // createBucket), each checked by the SDK against the crc32c and MD5 the stand-in answers.
  const uploader = new OAuth2Client();
  uploader.setCredentials({ access_token: gcs.issueToken('uploader@game-project.iam.gserviceaccount.com') });
  storage = new Storage({ apiEndpoint: gcs.url, authClient: uploader, useAuthWithCustomEndpoint: true });
  let i = 0;
  for (const [name, data] of Object.entries(LAYOUT)) {
    await storage
      .bucket('exports')
      .file(name)
      .save(data, { resumable: i++ % 2 === 1, chunkSize: 256 * 1024 });
  }
  await storage
    .bucket('exports')
    .file(TRANSCODED.name)
    .save(TRANSCODED.text, { gzip: true, resumable: false });
  expect(gcs.requests.filter((r) => r.includes('uploadType=multipart'))).toHaveLength(5);
  expect(gcs.requests.filter((r) => r.startsWith('PUT ') && r.includes('name=bulk'))).toHaveLength(12);
});
afterAll(async () => {
  await gcs?.stop();
});

describe('parseServiceAccount', () => {
  const json = (fields: Record<string, unknown>) => JSON.stringify(fields);
  const secret = keys.privateKey.split('\n')[1]!;

  it('keeps the fields the source uses', () => {
    expect(parseServiceAccount(serviceAccountJson('https://oauth2.googleapis.com/token'))).toEqual({
      type: 'service_account',
      client_email: EMAIL,
      private_key: keys.privateKey,
      private_key_id: 'a1b2c3',
      project_id: 'game-project',
      token_uri: 'https://oauth2.googleapis.com/token',
    });
  });

  it.each([
    [`{"private_key": "${keys.privateKey.replace(/\n/g, '\\n')}"`, /not valid JSON/],
    ['[]', /must be an object/],
    [json({ private_key: keys.privateKey }), /no client_email/],
    [json({ client_email: EMAIL }), /no private_key/],
    [json({ client_email: EMAIL, private_key: `-----BEGIN PRIVATE KEY-----\n${secret}\n` }), /not a PEM RSA/],
    [
      json({ type: 'authorized_user', client_email: EMAIL, private_key: keys.privateKey }),
      /service account key/,
    ],
    [json({ client_email: EMAIL, private_key: keys.privateKey, token_uri: 'file:///etc/x' }), /token_uri/],
  ])('refuses %#, never echoing the key', (input, message) => {
    let error: unknown;
    try {
      parseServiceAccount(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(secret.slice(0, 20));
  });
});

describe('GCS source (JSON-API stand-in, driven by @google-cloud/storage)', () => {
  it('lists a prefix over several pages, keys relative to the prefix, with the MD5 as etag', async () => {
    const before = gcs.requests.length;
    const listed = [];
    for await (const o of source().list('purchases/')) listed.push(o);
    expect(listed.map((o) => o.key)).toEqual([
      'purchases/date=2024-01-01/load_id=1/a.ndjson',
      'purchases/date=2024-01-02/_SUCCESS',
      'purchases/date=2024-01-02/load_id=1/b.json',
      'purchases/date=2024-01-02/load_id=2/c.jsonl.gz',
      'purchases/date=2024-01-03/t.json',
    ]);
    for (const o of listed) {
      const data = LAYOUT[`game/${o.key}`] ?? gzipSync(TRANSCODED.text);
      expect(o.size).toBe(data.length);
      expect(o.etag).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    }
    // Pages of two: each after the first asked for with the previous one's nextPageToken.
    const lists = gcs.requests.slice(before).filter((r) => r.startsWith('GET /storage/v1/b/exports/o?'));
    expect(lists).toHaveLength(3);
    expect(lists[0]).toContain('prefix=game%2Fpurchases%2F');
    expect(lists[0]).not.toContain('pageToken');
    expect(lists[1]).toMatch(/pageToken=[A-Za-z0-9_-]+/);
    expect(lists[2]).toMatch(/pageToken=[A-Za-z0-9_-]+/);

    // One token for the source, read-only.
    expect(gcs.requests.slice(before).filter((r) => r === 'POST /token')).toHaveLength(1);
    expect(gcs.grants.at(-1)).toEqual({
      email: EMAIL,
      scopes: ['https://www.googleapis.com/auth/devstorage.read_only'],
    });

    const all = [];
    for await (const o of source({ pageSize: 1 }).list()) all.push(o.key);
    expect(all).toHaveLength(7);
    expect(all).toContain('logins/date=2024-01-01/l.csv.gz');
    expect(all.some((k) => k.startsWith('other/') || k.startsWith('game/'))).toBe(false);
  });

  it('streams objects back byte for byte: text, gzip, gzip-encoded and a 3 MiB binary', async () => {
    const text = await readAll(await source().open('purchases/date=2024-01-01/load_id=1/a.ndjson'));
    expect(text.equals(LAYOUT['game/purchases/date=2024-01-01/load_id=1/a.ndjson']!)).toBe(true);
    const gz = await readAll(await source().open('purchases/date=2024-01-02/load_id=2/c.jsonl.gz'));
    expect(gz.equals(LAYOUT['game/purchases/date=2024-01-02/load_id=2/c.jsonl.gz']!)).toBe(true);
    expect(gunzipSync(gz).toString()).toContain('"user_id":"6"');
    const transcoded = await readAll(await source().open('purchases/date=2024-01-03/t.json'));
    expect(transcoded.toString()).toBe(TRANSCODED.text);
    const bulk = source({ prefix: 'bulk/' });
    const stream = await bulk.open('blob.bin');
    let chunks = 0;
    const parts: Buffer[] = [];
    for await (const chunk of stream) {
      chunks++;
      parts.push(chunk as Buffer);
    }
    expect(chunks).toBeGreaterThan(10);
    expect(Buffer.concat(parts).equals(LAYOUT['bulk/blob.bin']!)).toBe(true);
  });

  it('a missing object fails open with a SourceError naming it', async () => {
    const error = await source()
      .open('purchases/nope.json')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toBe(
      'unable to read gs://exports/game/purchases/nope.json: notFound (HTTP 404): No such object: exports/game/purchases/nope.json',
    );
  });

  it('keeps the etag when the same bytes are written again and changes it with new bytes', async () => {
    const etag = async () => {
      for await (const o of source({ prefix: 'scratch' }).list()) return o.etag;
      return undefined;
    };
    const file = storage.bucket('exports').file('scratch/purchases/p.json');
    await file.save(purchase(1), { resumable: false });
    const original = await etag();
    await file.save(purchase(1), { resumable: false });
    expect(await etag()).toBe(original);
    await file.save(purchase(2), { resumable: false });
    expect(await etag()).not.toBe(original);
  });

  it('an unknown bucket, a refused one, or no server at all is unable to connect', async () => {
    await expect(first(source({ bucket: 'nope' }))).rejects.toThrow(
      /^unable to connect to gcs bucket nope: .*\(HTTP 404\): The specified bucket does not exist\.$/,
    );
    await expect(first(source({ bucket: 'locked' }))).rejects.toThrow(
      /^unable to connect to gcs bucket locked: .*\(HTTP 403\): traitforge-reader@.* does not have storage\.objects\.list access/,
    );
    const down = await startGcsStandIn();
    const url = down.url;
    await down.stop();
    const anonymous = new GcsObjectSource({ bucket: 'exports', apiEndpoint: url, maxRetries: 0 });
    await expect(first(anonymous)).rejects.toThrow(/^unable to connect to gcs bucket exports: ECONNREFUSED/);
    await expect(first(anonymous)).rejects.toBeInstanceOf(SourceError);
    const deadToken = new GcsObjectSource({
      bucket: 'exports',
      apiEndpoint: gcs.url,
      credentials: { ...credentials, token_uri: `${url}/token` },
      maxRetries: 0,
    });
    await expect(first(deadToken)).rejects.toThrow(
      /^unable to connect to gcs bucket exports: unable to reach the token endpoint http:\/\/127\.0\.0\.1:\d+\/token: ECONNREFUSED$/,
    );
  });

  it('the stand-in refuses no credentials and a key that is not the account’s', async () => {
    const anonymous = new GcsObjectSource({ bucket: 'exports', apiEndpoint: gcs.url });
    await expect(first(anonymous)).rejects.toThrow(/\(HTTP 401\): Anonymous caller/);

    const wrong = parseServiceAccount(serviceAccountJson(gcs.tokenUri, rsa().privateKey));
    const error = await first(source({ credentials: wrong })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toBe(
      `unable to connect to gcs bucket exports: the token endpoint refused the service account ${EMAIL} (HTTP 400): invalid_grant: Invalid JWT Signature.`,
    );
    const opened = await source({ credentials: wrong })
      .open('kpis/k.csv')
      .catch((e: unknown) => e);
    expect((opened as Error).message).toMatch(
      /^unable to read gs:\/\/exports\/game\/kpis\/k\.csv: the token endpoint refused/,
    );
    expect((opened as Error).message).not.toContain('PRIVATE KEY');
  });
});

describe.each(BACKENDS)('GCS import into the store on %s', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ingests every file of the layout exactly once, and nothing twice on a second import', async () => {
    const dashboardId = (await t.createDashboard('GCS game')).id;
    const count = async (type: string) =>
      (await t.admin('GET', `/dashboards/${dashboardId}/records/${type}?limit=1000`)).json<unknown[]>()
        .length;
    const request = {
      source: source(),
      sourceId: 'gcs-test',
      ingest: buildServices(t.config, t.store).ingest,
      principal: { dashboardId, environment: 'production' as const, keyId: 'gcs-test' },
    };
    const summary = await importObjects(request);
    expect(summary).toEqual({
      files_ingested: 6,
      records_ingested: 10,
      records_already_stored: 0,
      records_withheld: 0,
      files_failed: 0,
      errors: [],
    });
    const counts = { purchases: 7, logins: 2, kpis: 1 };
    for (const [type, n] of Object.entries(counts)) expect(await count(type)).toBe(n);

    const again = await importObjects({ ...request, source: source() });
    expect(again).toMatchObject({
      files_ingested: 6,
      records_ingested: 0,
      records_already_stored: 10,
      files_failed: 0,
    });
    for (const [type, n] of Object.entries(counts)) expect(await count(type)).toBe(n);
  });

  it('syncs a gcs storage connection through the admin API with the key sealed at rest', async () => {
    const dashboardId = (await t.createDashboard('GCS connection game')).id;
    const base = `/dashboards/${dashboardId}/storage-connections`;
    const bad = await t.admin('POST', base, {
      provider: 'gcs',
      bucket: 'exports',
      credentials: { service_account_json: '{"type": "service_account"' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/not valid JSON/);
    const created = await t.admin('POST', base, {
      provider: 'gcs',
      bucket: 'exports',
      prefix: 'game',
      endpoint: gcs.url,
      credentials: { service_account_json: serviceAccountJson(gcs.tokenUri) },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('PRIVATE KEY');
    const id = created.json<{ id: string }>().id;
    expect((await t.admin('POST', `${base}/${id}/test`)).json()).toMatchObject({ ok: true, errors: [] });
    expect((await t.admin('POST', `${base}/${id}/sync`)).json()).toMatchObject({
      files_ingested: 6,
      records_ingested: 10,
      files_failed: 0,
    });
    expect((await t.admin('POST', `${base}/${id}/sync`)).json()).toMatchObject({
      files_ingested: 0,
      records_ingested: 0,
    });
    expect((await t.admin('GET', `${base}/${id}`)).json()).toMatchObject({ status: 'ok', files_ingested: 6 });
  });
});
