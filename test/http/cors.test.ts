import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { BACKENDS } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

const GAME = 'https://game.example.com';
const OTHER = 'https://evil.example.net';
const ACTION = { user_id: 'u1', action_id: 'a1', action_name: 'play' };

/** What Chromium sends before a gzipped SDK push from the game's page. */
const preflightHeaders = (origin: string | undefined) => ({
  ...(origin === undefined ? {} : { origin }),
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization,content-encoding,content-type,idempotency-key',
});

describe.each(BACKENDS)('CORS for browsers (%s)', (backend) => {
  let t: TestApp;
  let dashboard: TestDashboard;
  let forgeKey = '';
  const inject = (
    method: InjectOptions['method'],
    url: string,
    headers: Record<string, string>,
    body?: object,
  ) => t.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body }) });

  beforeAll(async () => {
    t = await createTestApp(backend, { corsOrigins: [GAME, 'http://localhost:5173'] });
    dashboard = await t.createDashboard();
    const res = await t.admin('POST', '/forge-keys', { partner: 'pixel', game: 'Pixel', game_id: 'pixel-1' });
    forgeKey = res.json<{ key: string }>().key;
  });
  afterAll(async () => {
    await t.close();
  });

  const expectNoCors = (res: LightMyRequestResponse) => {
    for (const name of Object.keys(res.headers)) expect(name).not.toMatch(/^access-control-/);
  };

  it.each([
    '/v1/actions',
    '/v1/games/g/actions',
    '/player/playtime',
    '/v1/segments/default/personas/1/user-ids',
  ])('answers the preflight of an allowed origin for %s', async (path) => {
    const res = await inject('OPTIONS', path, preflightHeaders(GAME));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['access-control-allow-origin']).toBe(GAME);
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST, DELETE');
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(', ');
    for (const header of [
      'authorization',
      'content-type',
      'content-encoding',
      'idempotency-key',
      'x-api-key',
    ])
      expect(allowed).toContain(header);
    expect(res.headers['access-control-max-age']).toBe('7200');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('refuses the preflight of an origin not on the list with a 403 envelope and no CORS header', async () => {
    const res = await inject('OPTIONS', '/v1/actions', preflightHeaders(OTHER));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      code: 403,
      message: `the origin ${OTHER} is not allowed to call this API from a browser (TRAITFORGE_CORS_ORIGINS)`,
      data: null,
    });
    expectNoCors(res);
    expect(res.headers.vary).toMatch(/Origin/);
    // A near miss is a different origin: scheme and port count.
    for (const near of [
      'http://game.example.com',
      'https://game.example.com:8443',
      'https://sub.game.example.com',
    ])
      expect((await inject('OPTIONS', '/player/playtime', preflightHeaders(near))).statusCode).toBe(403);
    const bare = await inject('OPTIONS', '/v1/actions', preflightHeaders(undefined));
    expect(bare.statusCode).toBe(403);
    expect(bare.json<{ message: string }>().message).toBe('a CORS preflight needs an Origin header');
  });

  it('adds the allowed origin and the exposed headers to real answers, errors included', async () => {
    const ok = await inject(
      'POST',
      '/v1/actions',
      { origin: GAME, authorization: `Bearer ${dashboard.keys.production}` },
      { actions: [ACTION] },
    );
    expect(ok.statusCode).toBe(201);
    expect(ok.headers['access-control-allow-origin']).toBe(GAME);
    expect(ok.headers['access-control-expose-headers']).toBe(
      'Retry-After, X-Next-After, Idempotent-Replayed',
    );
    expect(ok.headers.vary).toMatch(/Origin/);

    // A page must be able to read why it was refused.
    const unauthorized = await inject(
      'POST',
      '/v1/actions',
      { origin: GAME, authorization: 'Bearer nope' },
      {
        actions: [ACTION],
      },
    );
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['access-control-allow-origin']).toBe(GAME);
    const invalid = await inject(
      'POST',
      '/v1/actions',
      { origin: GAME, authorization: `Bearer ${dashboard.keys.production}` },
      { actions: [{}] },
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['access-control-allow-origin']).toBe(GAME);

    const forge = await inject(
      'POST',
      '/player/playtime',
      { origin: GAME, 'x-api-key': forgeKey },
      { user_email: 'a@example.com', last_time_played: '2026-01-01 10:00:00', total_hours: 1 },
    );
    expect(forge.statusCode).toBe(200);
    expect(forge.headers['access-control-allow-origin']).toBe(GAME);

    // Another origin's call still runs (CORS is the browser's rule, the key is the server's),
    // but its answer carries no permission for the browser to hand it to the page.
    const other = await inject(
      'POST',
      '/v1/actions',
      { origin: OTHER, authorization: `Bearer ${dashboard.keys.production}` },
      { actions: [ACTION] },
    );
    expect(other.statusCode).toBe(201);
    expectNoCors(other);
  });

  it('never opens the dashboard, the admin API, the survey or the probes to another origin', async () => {
    const admin = await inject('GET', '/admin/v1/dashboards', {
      origin: GAME,
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });
    expect(admin.statusCode).toBe(200);
    expectNoCors(admin);
    expect((await inject('OPTIONS', '/admin/v1/dashboards', preflightHeaders(GAME))).statusCode).toBe(404);
    expectNoCors(await inject('OPTIONS', '/admin/v1/dashboards', preflightHeaders(GAME)));
    for (const path of ['/dashboard/sign-in', '/healthz', '/survey?playerid=x']) {
      expectNoCors(await inject('GET', path, { origin: GAME }));
      const pre = await inject('OPTIONS', path, preflightHeaders(GAME));
      expect(pre.statusCode, path).not.toBe(204);
      expectNoCors(pre);
    }
  });
});

describe('CORS switched off (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends no CORS header and says how to enable it at a preflight', async () => {
    const dashboard = await t.createDashboard();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/actions',
      headers: { origin: GAME, authorization: `Bearer ${dashboard.keys.production}` },
      payload: { actions: [ACTION] },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toBeUndefined();
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/actions',
      headers: preflightHeaders(GAME),
    });
    expect(pre.statusCode).toBe(403);
    expect(pre.json<{ message: string }>().message).toMatch(/not enabled.*TRAITFORGE_CORS_ORIGINS/);
  });
});

describe('CORS with any origin (*)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { corsOrigins: ['*'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('allows every origin on the API-key families and still never the admin API', async () => {
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/logins',
      headers: preflightHeaders(OTHER),
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(OTHER);
    const admin = await t.admin('GET', '/dashboards');
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    const adminPre = await t.app.inject({
      method: 'OPTIONS',
      url: '/admin/v1/dashboards',
      headers: preflightHeaders(OTHER),
    });
    expect(adminPre.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('TRAITFORGE_CORS_ORIGINS', () => {
  it('reads exact origins as browsers send them', () => {
    expect(
      loadConfig({
        TRAITFORGE_CORS_ORIGINS: 'https://Game.Example.com, http://localhost:5173,https://a.io:443',
      }).corsOrigins,
    ).toEqual(['https://game.example.com', 'http://localhost:5173', 'https://a.io']);
    expect(loadConfig({ TRAITFORGE_CORS_ORIGINS: ' * ' }).corsOrigins).toEqual(['*']);
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });

  it.each([
    ['https://game.example.com/', /"https:\/\/game.example.com\/" is not an origin/],
    ['https://game.example.com/play', /is not an origin/],
    ['game.example.com', /is not an origin/],
    ['ftp://game.example.com', /is not an origin/],
    ['https://*.example.com', /is not an origin/],
    ['https://user:pw@game.example.com', /is not an origin/],
    ['null', /is not an origin/],
    ['*,https://game.example.com', /\* \(any origin\) must be the only entry/],
  ])('refuses %s with a message naming the variable', (value, mentions) => {
    const read = () => loadConfig({ TRAITFORGE_CORS_ORIGINS: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow('TRAITFORGE_CORS_ORIGINS');
    expect(read).toThrow(mentions);
  });
});
