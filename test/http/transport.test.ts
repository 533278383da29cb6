import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { HAS_OPENSSL, generateCertificate, type Certificate } from '../support/tls.js';

const BATCH = {
  actions: [
    { timestamp: '2019-01-01 15:04:05', user_id: '1001', action_id: '2002', action_name: 'buy_item' },
  ],
};
const TRUSTED_PROXY = '127.0.0.1';
const STRANGER = '203.0.113.7';

interface Answer {
  status: number;
  body: string;
}

/** A real TLS call to the listening app, trusting only the test certificate. */
function httpsCall(
  port: number,
  ca: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        agent: false,
        headers: {
          ...headers,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe.each(BACKENDS)('transport on %s', (backend) => {
  describe.skipIf(!HAS_OPENSSL)('native HTTPS (TRAITFORGE_TLS_CERT + TRAITFORGE_TLS_KEY)', () => {
    let cert: Certificate;
    let t: TestApp;
    let dash: TestDashboard;
    let port: number;
    beforeAll(async () => {
      cert = generateCertificate();
      t = await createTestApp(backend, {
        tlsCertFile: cert.certFile,
        tlsKeyFile: cert.keyFile,
        requireHttps: true,
      });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as AddressInfo).port;
      // HTTPS is required: even the operator's set-up call goes over TLS.
      const created = await httpsCall(
        port,
        cert.cert,
        'POST',
        '/admin/v1/dashboards',
        { authorization: `Bearer ${ADMIN_TOKEN}` },
        { name: 'TLS game' },
      );
      expect(created.status).toBe(201);
      dash = JSON.parse(created.body) as TestDashboard;
    });
    afterAll(async () => {
      await t.close();
      cert.remove();
    });

    it('answers /healthz over TLS with a certificate the client verifies', async () => {
      const res = await httpsCall(port, cert.cert, 'GET', '/healthz');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    });

    it('accepts real HTTPS calls when HTTPS is required', async () => {
      const res = await httpsCall(
        port,
        cert.cert,
        'POST',
        '/v1/actions',
        { authorization: `Bearer ${dash.keys.production}` },
        BATCH,
      );
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body)).toEqual({
        code: 201,
        message: '1 actions have been successfully ingested',
        data: null,
      });
      const stored = await httpsCall(
        port,
        cert.cert,
        'GET',
        `/admin/v1/dashboards/${dash.id}/records/actions`,
        {
          authorization: `Bearer ${ADMIN_TOKEN}`,
        },
      );
      expect(stored.status).toBe(200);
      expect(JSON.parse(stored.body)).toHaveLength(1);
    });

    it('is refused by a client that does not trust the certificate', async () => {
      await expect(
        new Promise((resolve, reject) => {
          https.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, resolve).on('error', reject);
        }),
      ).rejects.toThrow(/self-signed|self signed/);
    });
  });

  describe('TRAITFORGE_REQUIRE_HTTPS=true behind a trusted proxy', () => {
    let t: TestApp;
    let dash: TestDashboard;
    beforeAll(async () => {
      t = await createTestApp(backend, { requireHttps: true, trustedProxies: [TRUSTED_PROXY] });
      // Set up over "HTTPS": through the trusted proxy.
      const res = await t.app.inject({
        method: 'POST',
        url: '/admin/v1/dashboards',
        remoteAddress: TRUSTED_PROXY,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-forwarded-proto': 'https' },
        payload: { name: 'Secure game' },
      });
      expect(res.statusCode).toBe(201);
      dash = res.json<TestDashboard>();
    });
    afterAll(async () => {
      await t.close();
    });

    const push = (remoteAddress: string, headers: Record<string, string>, url = '/v1/actions') =>
      t.app.inject({
        method: 'POST',
        url,
        remoteAddress,
        headers: { authorization: `Bearer ${dash.keys.production}`, ...headers },
        payload: BATCH,
      });
    const storedActions = async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/admin/v1/dashboards/${dash.id}/records/actions`,
        remoteAddress: TRUSTED_PROXY,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-forwarded-proto': 'https' },
      });
      expect(res.statusCode).toBe(200);
      return res.json<unknown[]>().length;
    };

    it('refuses a plain-HTTP API call with 403 and a message to use HTTPS; nothing is stored', async () => {
      const before = await storedActions();
      const res = await push(STRANGER, {});
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({
        code: 403,
        message: expect.stringMatching(/HTTPS is required.*https:\/\/localhost\/v1\/actions/),
        data: null,
      });
      expect(await storedActions()).toBe(before);
    });

    it('ignores X-Forwarded-Proto from an address that is not a trusted proxy', async () => {
      const res = await push(STRANGER, { 'x-forwarded-proto': 'https' });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ message: string }>().message).toMatch(/HTTPS/);
    });

    it('believes X-Forwarded-Proto: https from the trusted proxy', async () => {
      const before = await storedActions();
      const res = await push(TRUSTED_PROXY, { 'x-forwarded-proto': 'https' });
      expect(res.statusCode).toBe(201);
      expect(await storedActions()).toBe(before + 1);
    });

    it('refuses the trusted proxy when it says the call came over plain HTTP', async () => {
      expect((await push(TRUSTED_PROXY, {})).statusCode).toBe(403);
      expect((await push(TRUSTED_PROXY, { 'x-forwarded-proto': 'http' })).statusCode).toBe(403);
      // Several proxies: the nearest (last) one's word counts.
      expect((await push(TRUSTED_PROXY, { 'x-forwarded-proto': 'https, http' })).statusCode).toBe(403);
    });

    it('says so before checking credentials, and guards the admin API and unknown paths too', async () => {
      const noKey = await t.app.inject({
        method: 'POST',
        url: '/v1/actions',
        remoteAddress: STRANGER,
        payload: BATCH,
      });
      expect(noKey.statusCode).toBe(403);
      const admin = await t.app.inject({
        method: 'GET',
        url: '/admin/v1/dashboards',
        remoteAddress: STRANGER,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(admin.statusCode).toBe(403);
      const unknown = await t.app.inject({ method: 'GET', url: '/v1/nothing-here', remoteAddress: STRANGER });
      expect(unknown.statusCode).toBe(403);
    });

    it('never echoes the query string (a key may be in it)', async () => {
      const res = await push(STRANGER, {}, '/v1/actions?api_key=very-secret-key-material');
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('very-secret-key-material');
      expect(res.body).not.toContain('?');
    });

    it.each(['/healthz', '/readyz', '/metrics'])('keeps %s reachable over plain HTTP', async (url) => {
      const options: InjectOptions = { method: 'GET', url, remoteAddress: STRANGER };
      expect((await t.app.inject(options)).statusCode).toBe(200);
      expect((await t.app.inject({ ...options, url: `${url}?probe=1` })).statusCode).toBe(200);
    });
  });

  describe('TRAITFORGE_REQUIRE_HTTPS=false (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(backend);
    });
    afterAll(async () => {
      await t.close();
    });

    it('accepts plain HTTP, for local use', async () => {
      const dash = await t.createDashboard();
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/actions',
        remoteAddress: STRANGER,
        headers: { authorization: `Bearer ${dash.keys.production}` },
        payload: BATCH,
      });
      expect(res.statusCode).toBe(201);
    });
  });
});
