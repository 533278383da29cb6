import { gzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardClient } from '../dashboard/dashboard-client.js';
import { BACKENDS } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/** The Forge seed's own batch sample: its trailing comma makes it invalid JSON. */
const SEED_BATCH = `[
  {
    "last_time_played": "2022-12-16 12:00:00",
    "total_hours": 10.2,
    "user_email": "alex@example.com"
  },
]`;

const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** A multipart body around one CSV part, with the boundary and the tail under the test's control. */
const CSV_PART =
  'Content-Disposition: form-data; name="file"; filename="kpis.csv"\r\nContent-Type: text/csv\r\n\r\n' +
  'timestamp,user_id,register_date,churn_date,kpi_id,value\r\n2026-01-01 00:00:00,u1,2025-12-01,,ltv,3\r\n';

describe.each(BACKENDS)('bodies the server cannot read on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let forgeKey: string;

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard();
    const created = await t.admin('POST', '/forge-keys', {
      partner: 'pixel',
      game: 'Pixel',
      game_id: 'px-1',
    });
    forgeKey = created.json<{ key: string }>().key;
  });
  afterAll(async () => {
    await t.close();
  });

  const raw = (
    url: string,
    payload: string | Buffer,
    headers: Record<string, string>,
    method: 'POST' | 'DELETE' = 'POST',
  ): Promise<LightMyRequestResponse> => t.app.inject({ method, url, headers, payload });
  const forge = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    raw('/player/playtime', payload, {
      'x-api-key': forgeKey,
      'content-type': 'application/json',
      ...headers,
    });
  const v1 = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    raw(url, payload, {
      authorization: `Bearer ${dash.keys.production}`,
      'content-type': 'application/json',
      ...headers,
    });

  const expectForge400 = (res: LightMyRequestResponse, message: RegExp) => {
    expect(res.statusCode).toBe(400);
    const body = res.json<{ records_processed: number; errors: { message: string }[] }>();
    expect(body).toEqual({ records_processed: 0, errors: [{ message: expect.any(String) }] });
    expect(body.errors[0]!.message).toMatch(message);
  };

  describe('Forge answers 400 in its own shape, never 500', () => {
    it("to the seed's batch sample with its trailing comma, naming the position", async () => {
      expectForge400(
        await forge(SEED_BATCH),
        /^invalid JSON at line 7, column 1 \(position 120\): Unexpected token '\]'; near "/,
      );
    });
    it('to an empty body, an empty array and a corrupt gzip body', async () => {
      expectForge400(await forge(''), /the request body is empty/);
      expectForge400(await forge('[]'), /./);
      expectForge400(
        await forge(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }),
        /^the gzip request body is corrupt$/,
      );
    });
    it('to "__proto__" keys', async () => {
      expectForge400(await forge('{"__proto__":{"admin":true}}'), /__proto__/);
    });
    it('keeps its fixed bodies for 401 and its own message for a query the schema refuses', async () => {
      const res = await raw('/player/playtime', '{', { 'content-type': 'application/json' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ records_processed: 0, errors: [{ message: 'UnAuthorized' }] });
      const long = await t.app.inject({
        method: 'GET',
        url: `/player/progress?user_email=${'a'.repeat(300)}`,
        headers: { 'x-api-key': forgeKey },
      });
      expect(long.statusCode).toBe(400);
      expect(long.json<{ errors: { message: string }[] }>().errors[0]!.message).toMatch(/user_email/);
    });
  });

  it('survives a truncated gzip body nobody reads (refused for its Content-Type, or no route)', async () => {
    const truncated = gzipSync(JSON.stringify({ actions: [{ user_id: 'u1' }] })).subarray(0, 12);
    for (const [url, type] of [
      ['/v1/actions', 'text/plain'],
      ['/v1/nowhere', 'application/json'],
      ['/player/playtime', 'application/xml'],
    ] as const) {
      const res = await v1(url, truncated, { 'content-encoding': 'gzip', 'content-type': type });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
    // Given a moment, an unhandled stream error would surface here as an uncaught exception.
    await new Promise((r) => setTimeout(r, 50));
    expect((await v1('/v1/actions', '{"actions":[]}')).statusCode).toBe(400);
  });

  it("answers a URL it cannot route (bad escape, over-long parameter) in each family's shape", async () => {
    const long = 'a'.repeat(1500);
    for (const url of ['/v1/segments/%zz/personas/1/traits', `/v1/segments/${long}/personas/1/traits`]) {
      const res = await t.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${dash.keys.production}` },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.stringMatching(/^the URL /), data: null });
    }
    expectForge400(await raw('/player/%zz', '{}', { 'x-api-key': forgeKey }), /^the URL cannot be decoded$/);
    const page = await t.app.inject({ method: 'GET', url: '/dashboard/d/%zz/keys' });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('the URL cannot be decoded');
  });

  describe('JSON nested deeper than 64 levels is 400 wherever it sits', () => {
    it('in an unknown field or action_params of a 12traits push', async () => {
      for (const nested of [deepArray(10_000), deepObject(10_000)]) {
        for (const record of [
          `{"user_id":"u1","action_id":"2002","action_name":"open","extra":${nested}}`,
          `{"user_id":"u1","action_id":"2002","action_name":"open","action_params":[{"key":"x","value":${nested}}]}`,
        ]) {
          const res = await v1('/v1/actions', `{"actions":[${record}]}`);
          expect(res.statusCode).toBe(400);
          expect(res.json<{ message: string }>().message).toMatch(
            /^the JSON body nests deeper than 64 levels at line 1, column \d+ \(position \d+\)$/,
          );
        }
      }
    });
    it('in a Forge record and a PlayFab event, each in its own shape', async () => {
      const record = `{"user_email":"a@example.com","last_time_played":"2022-12-16 12:00:00","total_hours":1,"x":${deepArray(5000)}}`;
      expectForge400(await forge(record), /nests deeper than 64 levels/);
      const event = await v1('/v1/playfab', `{"EventName":"x","EntityId":"E1","y":${deepObject(5000)}}`);
      expect(event.statusCode).toBe(400);
      expect(event.json<{ code: number }>().code).toBe(400);
    });
    it('while 64 levels are still accepted, one more is not', async () => {
      // The event object is the first level: 63 more make 64.
      const event = (depth: number) => `{"EventName":"x","EntityId":"E1","y":${deepArray(depth)}}`;
      const accepted = await v1('/v1/playfab', event(63));
      expect(accepted.statusCode, accepted.body).toBe(200);
      const refused = await v1('/v1/playfab', event(64));
      expect(refused.statusCode).toBe(400);
      expect(refused.json<{ message: string }>().message).toMatch(/position 100\)$/);
    });
  });

  describe('malformed multipart CSV uploads are 400', () => {
    const upload = (body: string, contentType: string) =>
      raw('/v1/kpis/csv', body, {
        authorization: `Bearer ${dash.keys.production}`,
        'content-type': contentType,
      });
    const cases: [string, string, string][] = [
      ['no final boundary', `--XB\r\n${CSV_PART}`, 'multipart/form-data; boundary=XB'],
      ['a truncated part', `--XB\r\nContent-Disposition: form-da`, 'multipart/form-data; boundary=XB'],
      ['no boundary parameter', `--XB\r\n${CSV_PART}\r\n--XB--\r\n`, 'multipart/form-data'],
      [
        'a boundary over 256 characters',
        `--${'b'.repeat(300)}\r\n${CSV_PART}\r\n--${'b'.repeat(300)}--\r\n`,
        `multipart/form-data; boundary=${'b'.repeat(300)}`,
      ],
    ];
    it.each(cases)('%s', async (_name, body, contentType) => {
      const res = await upload(body, contentType);
      expect(res.statusCode).toBe(400);
      const answer = res.json<{ code: number; message: string; data: unknown }>();
      expect(answer).toEqual({ code: 400, message: expect.any(String), data: null });
      expect(answer.message).toMatch(/^the multipart body is malformed: /);
    });
    it('while a well-formed upload is still taken', async () => {
      const res = await upload(`--XB\r\n${CSV_PART}\r\n--XB--\r\n`, 'multipart/form-data; boundary=XB');
      expect(res.statusCode, res.body).toBe(201);
    });
  });

  describe('Content-Type: application/json with no body', () => {
    const admin = (url: string) =>
      t.app.inject({
        method: 'POST',
        url: `/admin/v1${url}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      });
    it('is accepted by the action endpoints that take no body', async () => {
      const connection = await t.admin('POST', `/dashboards/${dash.id}/storage-connections`, {
        provider: 'local',
        path: t.database.dataDir,
      });
      expect(connection.statusCode).toBe(201);
      const cid = connection.json<{ id: string }>().id;
      const tested = await admin(`/dashboards/${dash.id}/storage-connections/${cid}/test`);
      expect(tested.statusCode, tested.body).toBe(200);
      expect((await admin(`/dashboards/${dash.id}/storage-connections/${cid}/sync`)).statusCode).toBe(200);
      expect((await admin(`/dashboards/${dash.id}/personas/recompute`)).statusCode).toBe(200);
    });
    it('is still 400 where a body is expected', async () => {
      const res = await raw(
        '/v1/userData',
        '',
        { authorization: `Bearer ${dash.keys.production}`, 'content-type': 'application/json' },
        'DELETE',
      );
      expect(res.statusCode).toBe(400);
      expect(res.json<{ message: string }>().message).toBe('the request body is empty: send a JSON object');
    });
  });

  it('deletes nothing, without a 500, for a user id holding U+0000 (PostgreSQL text cannot)', async () => {
    const res = await raw(
      '/v1/userData',
      JSON.stringify({ id: 'u\u0000x' }),
      { authorization: `Bearer ${dash.keys.production}`, 'content-type': 'application/json' },
      'DELETE',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json<{ data: unknown }>().data).toEqual({ deleted: 0, pending: false });
  });

  it('the dashboard lists refused pushes with what the client was told', async () => {
    const corrupt = await v1('/v1/actions', Buffer.from('definitely not gzip'), {
      'content-encoding': 'gzip',
    });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json<{ message: string }>().message).toBe('the gzip request body is corrupt');
    const web = new DashboardClient(t.app);
    await web.signInOperator();
    let page = '';
    for (let i = 0; i < 50 && !page.includes('gzip'); i++) {
      page = (await web.get(`/dashboard/d/${dash.id}/ingestion?env=production`)).body;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(page).toContain('the gzip request body is corrupt');
    expect(page).not.toContain('incorrect header check');
  });
});
