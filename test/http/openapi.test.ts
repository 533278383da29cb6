import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { surveyedPlayers } from '../personas/factory.js';
import { multipartCsv } from '../privacy/multipart.js';
import { BACKENDS } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/**
 * The OpenAPI document against the app itself: every route the app registers is in it (or is
 * one of the families hidden on purpose), declares its credential and its success status, and
 * the status each route really answers on its happy path is the one documented.
 */
interface Operation {
  requestBody?: unknown;
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  tags?: string[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  tags: { name: string }[];
  components: { securitySchemes: Record<string, unknown> };
  info: { description: string };
}

/** Left out of the document on purpose (and said so in its description): not the HTTP API. */
const HIDDEN = [/^\/dashboard(\/|$)/, /^\/metrics$/, /^\/openapi\.json$/, /^\/docs(\/|$)/];
/** The CORS preflight routes (every path of the API-key families): the browser's question, not an operation. */
const PREFLIGHT = /^\/(v1|player)\/\*$/;
/** The only operations without a credential: the probes and the survey page (its link token). */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/survey']);

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
const successes = (op: Operation) => Object.keys(op.responses ?? {}).filter((code) => /^2\d\d$/.test(code));

describe.each(BACKENDS)('the OpenAPI document (%s)', (backend) => {
  let t: TestApp;
  let doc: Document;
  const bucket = mkdtempSync(join(tmpdir(), 'traitforge-openapi-'));
  beforeAll(async () => {
    // Webhook URLs on this machine are accepted (none is called: setting one is what is checked).
    t = await createTestApp(backend, { webhookAllow: ['127.0.0.1'] });
    doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
  });
  afterAll(async () => {
    await t.close();
    rmSync(bucket, { recursive: true, force: true });
  });

  /** Every registered method + path but HEAD (Fastify's automatic twin of each GET). */
  const registered = () =>
    t.routes.flatMap((route) =>
      [route.method]
        .flat()
        .filter((method) => method !== 'HEAD')
        .map((method) => ({ method, url: route.url, hide: route.schema?.hide === true })),
    );

  it('documents every route the app registers, hiding only the dashboard, metrics and the docs', () => {
    const routes = registered();
    expect(routes.length).toBeGreaterThan(60);
    for (const { method, url, hide } of routes) {
      const name = `${method} ${url}`;
      if (HIDDEN.some((pattern) => pattern.test(url))) continue;
      if (method === 'OPTIONS' && PREFLIGHT.test(url)) continue;
      expect(hide, `${name} is hidden from the document`).toBe(false);
      expect(doc.paths[openApiPath(url)]?.[method.toLowerCase()], `${name} is missing`).toBeDefined();
    }
    // And nothing is documented that the app does not serve.
    const served = new Set(routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops))
        expect(served, `${method} ${path}`).toContain(`${method} ${path}`);
    }
  });

  it('gives every operation its security (public only for probes and the survey page), a 2xx and declared tags', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    const tags = new Set(doc.tags.map((tag) => tag.name));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        expect(op.security, `${name} declares no security`).toBeDefined();
        if (PUBLIC_PATHS.has(path)) expect(op.security, name).toEqual([]);
        else expect(op.security!.length, `${name} is public`).toBeGreaterThan(0);
        for (const requirement of op.security!) {
          for (const scheme of Object.keys(requirement)) expect(schemes, name).toContain(scheme);
        }
        expect(successes(op).length, `${name} documents no 2xx`).toBeGreaterThan(0);
        expect(op.tags?.length, name).toBeGreaterThan(0);
        for (const tag of op.tags!) expect(tags, `${name}: tag ${tag}`).toContain(tag);
      }
    }
  });

  it('describes every API family, its credential, and what is hidden', () => {
    const text = doc.info.description;
    for (const part of [
      '12traits',
      'PlayFab',
      'Survey page',
      'Forge',
      'Admin',
      '/dashboard',
      '/metrics',
      'CORS',
    ])
      expect(text).toContain(part);
    expect(doc.components.securitySchemes).toHaveProperty(
      'playFabKey',
      expect.objectContaining({ in: 'query' }),
    );
  });

  it('documents the status each route really answers on its happy path', async () => {
    const checked = new Set<string>();
    /** Calls the route, then compares the answer's status with the document's for that operation. */
    const expectDocumented = async (
      method: NonNullable<InjectOptions['method']>,
      template: string,
      request: Omit<InjectOptions, 'method' | 'url'> & { url: string },
    ): Promise<LightMyRequestResponse> => {
      const res = await t.app.inject({ method, ...request });
      const name = `${method} ${template}`;
      checked.add(name);
      const op = doc.paths[template]?.[method.toLowerCase()];
      expect(op, name).toBeDefined();
      expect(Object.keys(op!.responses ?? {}), `${name} answered ${res.statusCode}: ${res.body}`).toContain(
        String(res.statusCode),
      );
      // The document's success status is the one the route gives (a redirect is the survey's form post).
      if (res.statusCode < 300) expect(successes(op!), name).toEqual([String(res.statusCode)]);
      return res;
    };
    const admin = (
      method: NonNullable<InjectOptions['method']>,
      template: string,
      url: string,
      body?: object,
    ) =>
      expectDocumented(method, `/admin/v1${template}`, {
        url: `/admin/v1${url}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body === undefined ? {} : { payload: body }),
      });

    await expectDocumented('GET', '/healthz', { url: '/healthz' });
    await expectDocumented('GET', '/readyz', { url: '/readyz' });

    // Admin: dashboards and keys.
    const dash = (
      await admin('POST', '/dashboards', '/dashboards', { name: 'Docs game' })
    ).json<TestDashboard>();
    const key = dash.keys.production;
    const bearer = { authorization: `Bearer ${key}` };
    await admin('GET', '/dashboards', '/dashboards');
    await admin('GET', '/dashboards/{id}', `/dashboards/${dash.id}`);
    const created = (
      await admin('POST', '/dashboards/{id}/keys', `/dashboards/${dash.id}/keys`, { environment: 'sandbox' })
    ).json<{ id: string }>();
    await admin('GET', '/dashboards/{id}/keys', `/dashboards/${dash.id}/keys`);
    await admin('DELETE', '/dashboards/{id}/keys/{key_id}', `/dashboards/${dash.id}/keys/${created.id}`);

    // 12traits pushes (the document's own example bodies), CSV uploads and their status.
    const pushes = [
      ...Object.values(RECORD_TYPE_DEFS).map((def) => def.path),
      '/v1/games/{game}/actions',
      '/v1/games/{game}/player-logins',
    ];
    for (const path of pushes) {
      const body = doc.paths[path]?.post?.requestBody as { content: Record<string, { example?: object }> };
      const example = body.content['application/json']?.example;
      expect(example, path).toBeDefined();
      await expectDocumented('POST', path, {
        url: path.replace('{game}', dash.id),
        headers: bearer,
        payload: example,
      });
    }
    for (const path of ['/v1/kpis/csv', '/v1/survey-data/csv']) {
      const csv =
        path === '/v1/kpis/csv'
          ? 'user_id,kpi_id,value\n1001,ltv,2\n'
          : 'user_id,question_id,answer\n1001,q1,5\n';
      const upload = multipartCsv(csv, bearer);
      const res = await expectDocumented('POST', path, { url: path, ...upload });
      const { ingestion_id } = res.json<{ data: { ingestion_id: string } }>().data;
      await expectDocumented('GET', '/v1/ingestions/{id}', {
        url: `/v1/ingestions/${ingestion_id}`,
        headers: bearer,
      });
    }
    await admin('GET', '/dashboards/{id}/records/{type}', `/dashboards/${dash.id}/records/actions`);
    await admin('GET', '/dashboards/{id}/stats', `/dashboards/${dash.id}/stats`);
    await admin('PUT', '/dashboards/{id}/playfab', `/dashboards/${dash.id}/playfab`, {
      level_statistics: ['PlayerLevel'],
    });
    await admin('GET', '/dashboards/{id}/playfab', `/dashboards/${dash.id}/playfab`);
    await expectDocumented('POST', '/v1/playfab', {
      url: `/v1/playfab?api_key=${encodeURIComponent(key)}`,
      payload: {
        EventName: 'player_logged_in',
        EventNamespace: 'com.playfab',
        EntityType: 'player',
        EntityId: 'A1B2C3D4E5F60718',
        EventId: '3c1d2e4f5a6b47c8a9d0e1f2a3b4c5d6',
        Timestamp: '2026-03-04T18:22:07.1234567Z',
      },
    });

    // Assessment and the survey page.
    const registration = await expectDocumented('POST', '/v1/assessment/user/register', {
      url: '/v1/assessment/user/register',
      headers: bearer,
      payload: { id: '1001' },
    });
    const { token } = registration.json<{ data: { token: string } }>().data;
    await expectDocumented('GET', '/v1/assessment/user/status', {
      url: '/v1/assessment/user/status?id=1001',
      headers: bearer,
    });
    await expectDocumented('GET', '/v1/assessment', { url: '/v1/assessment', headers: bearer });
    await expectDocumented('GET', '/survey', { url: `/survey?playerid=${token}` });
    const consent = await expectDocumented('POST', '/survey', {
      url: `/survey?playerid=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'consent_form=1&consent=yes',
    });
    expect(consent.statusCode).toBe(303);
    await admin('GET', '/dashboards/{id}/survey/reliability', `/dashboards/${dash.id}/survey/reliability`);

    // Storage connections and the dashboard's notification webhook.
    const connections = `/dashboards/${dash.id}/storage-connections`;
    const connection = (
      await admin('POST', '/dashboards/{id}/storage-connections', connections, {
        provider: 'local',
        path: bucket,
      })
    ).json<{ id: string }>();
    await admin('GET', '/dashboards/{id}/storage-connections', connections);
    await admin('GET', '/dashboards/{id}/storage-connections/{cid}', `${connections}/${connection.id}`);
    await admin(
      'POST',
      '/dashboards/{id}/storage-connections/{cid}/test',
      `${connections}/${connection.id}/test`,
    );
    await admin(
      'POST',
      '/dashboards/{id}/storage-connections/{cid}/sync',
      `${connections}/${connection.id}/sync`,
    );
    await admin('DELETE', '/dashboards/{id}/storage-connections/{cid}', `${connections}/${connection.id}`);
    await admin('PUT', '/dashboards/{id}/notifications', `/dashboards/${dash.id}/notifications`, {
      webhook_url: 'http://127.0.0.1:9/sync-errors',
    });
    await admin('GET', '/dashboards/{id}/notifications', `/dashboards/${dash.id}/notifications`);
    await admin(
      'POST',
      '/dashboards/{id}/notifications/secret',
      `/dashboards/${dash.id}/notifications/secret`,
    );

    // Personas: segments, a player's traits, deletion of a player's data.
    const segment = (
      await admin('POST', '/dashboards/{id}/segments', `/dashboards/${dash.id}/segments`, { name: 'All' })
    ).json<{ id: string }>();
    await admin('GET', '/dashboards/{id}/segments', `/dashboards/${dash.id}/segments`);
    await admin('DELETE', '/dashboards/{id}/segments/{sid}', `/dashboards/${dash.id}/segments/${segment.id}`);
    await admin(
      'GET',
      '/dashboards/{id}/players/{user_id}/traits',
      `/dashboards/${dash.id}/players/1001/traits`,
    );
    await admin(
      'POST',
      '/dashboards/{id}/trait-scores',
      `/dashboards/${dash.id}/trait-scores?environment=production`,
      {
        players: surveyedPlayers(2, 10, 'imp').map((p) => ({ user_id: p.userId, traits: p.scores })),
      },
    );
    await admin('POST', '/dashboards/{id}/personas/recompute', `/dashboards/${dash.id}/personas/recompute`);
    for (const what of ['user-ids', 'traits']) {
      await expectDocumented('GET', `/v1/segments/{segment_id}/personas/{persona}/${what}`, {
        url: `/v1/segments/default/personas/1/${what}`,
        headers: bearer,
      });
    }
    const range = 'from=2024-03-01&to=2024-03-07';
    await admin('POST', '/dashboards/{id}/insights/refresh', `/dashboards/${dash.id}/insights/refresh`);
    for (const what of [
      'daily',
      'retention',
      'engagement',
      'monetization',
      'currencies',
      'kpis',
      'churn',
      'progression',
      'personas',
    ]) {
      await expectDocumented('GET', `/v1/insights/${what}`, {
        url: `/v1/insights/${what}?${range}`,
        headers: bearer,
      });
      await admin(
        'GET',
        `/dashboards/{id}/insights/${what}`,
        `/dashboards/${dash.id}/insights/${what}?${range}`,
      );
    }
    await expectDocumented('DELETE', '/v1/userData', {
      url: '/v1/userData',
      headers: bearer,
      payload: { id: '1001' },
    });
    await expectDocumented('GET', '/v1/userData/deletion', {
      url: '/v1/userData/deletion?user_id=1001',
      headers: bearer,
    });

    // Forge: keys, partner pushes, players, quests, progress and rewards.
    const forgeKey = (
      await admin('POST', '/forge-keys', '/forge-keys', {
        partner: 'pixel',
        game: 'Pixel',
        game_id: 'pixel-1',
      })
    ).json<{ id: string; key: string }>();
    const wallet = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    const forge = { 'x-api-key': forgeKey.key };
    await expectDocumented('POST', '/player/playtime', {
      url: '/player/playtime',
      headers: forge,
      payload: [
        {
          last_time_played: '2026-01-05 10:00:00',
          total_hours: 3,
          wallet_address: wallet,
          blockchain: 'ethereum',
        },
      ],
    });
    await expectDocumented('POST', '/player/achievement', {
      url: '/player/achievement',
      headers: forge,
      payload: [
        {
          title: 'First blood',
          unlocked_at: '2026-01-05 10:00:00',
          wallet_address: wallet,
          blockchain: 'ethereum',
        },
      ],
    });
    await admin('GET', '/forge-keys', '/forge-keys');
    await admin('PUT', '/forge-keys/{id}/quota', `/forge-keys/${forgeKey.id}/quota`, { daily_quota: 10 });
    const player = (await admin('POST', '/players', '/players', { email: 'p@example.com' })).json<{
      id: string;
    }>();
    await admin('GET', '/players/{id}', `/players/${player.id}`);
    await admin('POST', '/players/{id}/wallets', `/players/${player.id}/wallets`, {
      blockchain: 'ethereum',
      address: wallet,
    });
    await admin('POST', '/players/{id}/platforms', `/players/${player.id}/platforms`, {
      platform: 'steam',
      platform_user_id: '76561198000000000',
    });
    await admin('POST', '/games/{game_id}/quests', '/games/pixel-1/quests', {
      type: 'hours_played',
      target: 10,
      starts_at: '2026-01-01 00:00:00',
      ends_at: '2026-02-01 00:00:00',
      reward: { kind: 'gems', amount: 100 },
    });
    await admin('GET', '/games/{game_id}/quests', '/games/pixel-1/quests');
    await admin('PUT', '/games/{game_id}/webhook', '/games/pixel-1/webhook', {
      url: 'http://127.0.0.1:9/quests',
    });
    await admin('POST', '/games/{game_id}/webhook/secret', '/games/pixel-1/webhook/secret');
    await expectDocumented('GET', '/player/progress', {
      url: `/player/progress?wallet_address=${wallet}&blockchain=ethereum`,
      headers: forge,
    });
    await admin('GET', '/players/{id}/quests', `/players/${player.id}/quests`);
    await admin('GET', '/players/{id}/rewards', `/players/${player.id}/rewards`);
    await admin('DELETE', '/forge-keys/{id}', `/forge-keys/${forgeKey.id}`);

    // Every documented operation was called: a new route needs its line here.
    const all = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(all.filter((name) => !checked.has(name))).toEqual([]);
  });
});
