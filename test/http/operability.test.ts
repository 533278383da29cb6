import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import { RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { healthRoutes } from '../../src/http/routes/health.js';
import type { Store } from '../../src/store/store.js';
import type { EventStore } from '../../src/events/event-store.js';
import { sqlEventStore } from '../../src/events/sql/sql-event-store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/* ---------- OpenAPI 3.1 structure ---------- */

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function resolveRef(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
}

function walk(node: unknown, visit: (value: Json, path: string) => void, path = '#'): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      walk(v, visit, `${path}/${i}`);
    });
  } else if (node !== null && typeof node === 'object') {
    visit(node as Json, path);
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${path}/${k}`);
  }
}

/**
 * The rules of OpenAPI 3.1 a generator can get wrong, each reported with where it is broken;
 * every schema is checked against the JSON Schema 2020-12 meta-schema (3.1's dialect).
 */
function openApiProblems(doc: Json): string[] {
  const problems: string[] = [];
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const checkSchema = (schema: unknown, where: string) => {
    if (!ajv.validateSchema(schema as object)) problems.push(`${where}: ${ajv.errorsText(ajv.errors)}`);
  };
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi))
    problems.push('openapi is not 3.1.x');
  const info = doc.info as Json | undefined;
  if (typeof info?.title !== 'string' || typeof info.version !== 'string')
    problems.push('info needs title and version');
  const schemes = ((doc.components as Json | undefined)?.securitySchemes ?? {}) as Json;
  for (const [name, scheme] of Object.entries(schemes)) {
    if (!['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes((scheme as Json).type as string))
      problems.push(`securityScheme ${name} has a bad type`);
  }
  const declaredTags = new Set(((doc.tags ?? []) as Json[]).map((t) => t.name));
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    if (!path.startsWith('/')) problems.push(`path ${path} must start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) {
        if (method !== 'parameters' && method !== 'summary' && method !== 'description')
          problems.push(`${where}: not an HTTP method`);
        continue;
      }
      const operation = op as Json;
      const params = ((operation.parameters ?? []) as Json[]).concat((item.parameters ?? []) as Json[]);
      for (const p of params) {
        if (typeof p.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(p.in as string))
          problems.push(`${where}: parameter needs name and in`);
        if (p.in === 'path' && p.required !== true)
          problems.push(`${where}: path parameter ${String(p.name)} must be required`);
        if (p.in === 'path' && !templated.includes(p.name as string))
          problems.push(`${where}: path parameter ${String(p.name)} is not in the path`);
        if (p.schema === undefined && p.content === undefined)
          problems.push(`${where}: parameter ${String(p.name)} needs a schema`);
        if (p.schema !== undefined) checkSchema(p.schema, `${where} parameter ${String(p.name)}`);
      }
      for (const name of templated) {
        if (!params.some((p) => p.in === 'path' && p.name === name))
          problems.push(`${where}: {${name}} is not declared`);
      }
      const responses = operation.responses as Record<string, Json> | undefined;
      if (!responses || Object.keys(responses).length === 0) problems.push(`${where}: no responses`);
      for (const [code, response] of Object.entries(responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${where}: bad response code ${code}`);
        if (typeof response.description !== 'string')
          problems.push(`${where} ${code}: response needs a description`);
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          if (media.schema !== undefined) checkSchema(media.schema, `${where} ${code} ${type}`);
        }
      }
      const body = operation.requestBody as Json | undefined;
      if (body) {
        if (!body.content || typeof body.content !== 'object')
          problems.push(`${where}: requestBody needs content`);
        for (const [type, media] of Object.entries((body.content ?? {}) as Record<string, Json>)) {
          if (media.schema !== undefined) checkSchema(media.schema, `${where} body ${type}`);
          if (media.example !== undefined && media.examples !== undefined)
            problems.push(`${where}: example and examples are mutually exclusive`);
        }
      }
      for (const requirement of (operation.security ?? []) as Json[]) {
        for (const name of Object.keys(requirement)) {
          if (!(name in schemes)) problems.push(`${where}: security scheme ${name} is not defined`);
        }
      }
      for (const tag of (operation.tags ?? []) as string[]) {
        if (!declaredTags.has(tag)) problems.push(`${where}: tag ${tag} is not declared`);
      }
      if (typeof operation.operationId === 'string') {
        if (operationIds.has(operation.operationId)) problems.push(`${where}: duplicate operationId`);
        operationIds.add(operation.operationId);
      }
    }
  }
  walk(doc, (value, path) => {
    if (typeof value.$ref === 'string' && resolveRef(doc, value.$ref) === undefined)
      problems.push(`${path}: $ref ${value.$ref} does not resolve`);
  });
  for (const [name, schema] of Object.entries(
    ((doc.components as Json | undefined)?.schemas ?? {}) as Json,
  )) {
    checkSchema(schema, `components.schemas.${name}`);
  }
  return problems;
}

/* ---------- Prometheus text ---------- */

/** The value of one sample, by metric name and (a subset of) its labels; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]] as const),
    );
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total += Number(match[3]);
  }
  return total;
}

/* ---------- the app, with its log captured ---------- */

interface LoggedApp {
  app: FastifyInstance;
  store: Store;
  database: TestDatabase;
  log: () => string;
  dashboard: TestDashboard;
}

async function createLoggedApp(backend: TestDatabase['backend']): Promise<LoggedApp> {
  const database = await createTestDatabase(backend);
  const config = parseConfig({ adminToken: ADMIN_TOKEN, dataDir: database.dataDir });
  const store = database.openStore();
  await store.migrate();
  let captured = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      captured += chunk.toString();
      done();
    },
  });
  const app = await buildApp(config, store, { logger: { level: 'trace', stream } });
  await app.ready();
  const res = await app.inject({
    method: 'POST',
    url: '/admin/v1/dashboards',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { name: 'Logged game' },
  });
  return { app, store, database, log: () => captured, dashboard: res.json<TestDashboard>() };
}

const ONE_ACTION = { actions: [{ user_id: 'u1', action_id: 'a1', action_name: 'tap' }] };

describe.each(BACKENDS)('operability on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /openapi.json', () => {
    let doc: Json;
    beforeAll(async () => {
      const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      doc = res.json<Json>();
    });

    it('is a valid OpenAPI 3.1 document', () => {
      expect(doc.openapi).toBe('3.1.0');
      expect(openApiProblems(doc)).toEqual([]);
    });

    it('lists every /v1 ingest path, both /v1/games paths and every /admin/v1 path', () => {
      const paths = doc.paths as Record<string, Json>;
      for (const def of Object.values(RECORD_TYPE_DEFS)) expect(paths[def.path]).toHaveProperty('post');
      expect(paths['/v1/games/{game}/actions']).toHaveProperty('post');
      expect(paths['/v1/games/{game}/player-logins']).toHaveProperty('post');
      expect(paths['/admin/v1/dashboards']).toHaveProperty('post');
      expect(paths['/admin/v1/dashboards']).toHaveProperty('get');
      expect(paths['/admin/v1/dashboards/{id}']).toHaveProperty('get');
      expect(paths['/admin/v1/dashboards/{id}/keys']).toHaveProperty('post');
      expect(paths['/admin/v1/dashboards/{id}/keys']).toHaveProperty('get');
      expect(paths['/admin/v1/dashboards/{id}/keys/{key_id}']).toHaveProperty('delete');
      expect(paths['/admin/v1/dashboards/{id}/records/{type}']).toHaveProperty('get');
      expect(paths['/admin/v1/dashboards/{id}/stats']).toHaveProperty('get');
      expect(paths['/healthz']).toHaveProperty('get');
      expect(paths['/readyz']).toHaveProperty('get');
      // Every route the app serves under /v1 and /admin/v1 is documented.
      const routes = t.app
        .printRoutes({ commonPrefix: false })
        .split('\n')
        .map((line) => /([/][^\s(]*) \(([^)]*)\)/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null);
      for (const [, route, methods] of routes) {
        if (!/^\/(v1|admin\/v1)\//.test(route!)) continue;
        const openapiPath = route!.replace(/:(\w+)/g, '{$1}');
        for (const method of methods!.split(', ').filter((m) => m !== 'HEAD')) {
          expect(paths[openapiPath], `${method} ${route!}`).toHaveProperty(method.toLowerCase());
        }
      }
    });

    it('carries the seed documents’ records as request body examples, valid against their schema', () => {
      const paths = doc.paths as Record<string, Record<string, Json>>;
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      const bodies: [path: string, key: string][] = [
        ...Object.values(RECORD_TYPE_DEFS).map((d) => [d.path, d.bodyKey] as [string, string]),
        ['/v1/games/{game}/actions', 'actions'],
        ['/v1/games/{game}/player-logins', 'players'],
      ];
      for (const [path, key] of bodies) {
        const media = (paths[path]!.post!.requestBody as Json).content as Record<string, Json>;
        const json = media['application/json']!;
        const example = json.example as Record<string, unknown[]>;
        expect(example[key], path).toHaveLength(1);
        expect(ajv.validate(json.schema as object, example), `${path}: ${ajv.errorsText(ajv.errors)}`).toBe(
          true,
        );
      }
      const actions = (paths['/v1/actions']!.post!.requestBody as Json).content as Record<string, Json>;
      // The 001 document's literal example.
      expect(actions['application/json']!.example).toEqual({
        actions: [
          {
            timestamp: '2019-01-01 15:04:05',
            user_id: '1001',
            action_id: '2002',
            action_name: 'buy_item',
            action_params: [{ key: 'item_id', value: '3003' }],
          },
        ],
      });
    });
  });

  describe('GET /docs', () => {
    it('serves the interactive page with every asset from the server itself', async () => {
      for (const url of ['/docs', '/docs/']) {
        const res = await t.app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.body).toContain('swagger-ui');
        // Nothing from elsewhere: no absolute or protocol-relative URL.
        expect(res.body).not.toMatch(/(https?:)?\/\/[a-z0-9]/i);
        const assets = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
        expect(assets.filter((a) => a.endsWith('.js'))).not.toHaveLength(0);
        expect(assets.filter((a) => a.endsWith('.css'))).not.toHaveLength(0);
        for (const asset of assets) {
          const resolved = new URL(asset, `http://localhost${url}`).pathname;
          const loaded = await t.app.inject({ method: 'GET', url: resolved });
          expect(loaded.statusCode, resolved).toBe(200);
          if (resolved.endsWith('.js')) expect(loaded.headers['content-type']).toMatch(/javascript/);
          if (resolved.endsWith('.css')) expect(loaded.headers['content-type']).toMatch(/^text\/css/);
        }
      }
    });

    it('points the page at this server’s document, with no external validator', async () => {
      const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
      expect(init.body).toContain('validatorUrl: null');
      const spec = await t.app.inject({ method: 'GET', url: '/docs/json' });
      expect(spec.statusCode).toBe(200);
      expect(spec.json()).toEqual((await t.app.inject({ method: 'GET', url: '/openapi.json' })).json());
    });
  });

  describe('probes', () => {
    it('GET /healthz answers 200', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });

    it('GET /readyz answers 200 while the database answers', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', backend });
    });
  });

  describe('GET /metrics', () => {
    const scrape = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.body;
    };

    it('is Prometheus text with the request metrics', async () => {
      await t.app.inject({ method: 'GET', url: '/healthz' });
      const text = await scrape();
      expect(text).toContain('# TYPE traitforge_http_requests_total counter');
      expect(text).toContain('# TYPE traitforge_http_request_duration_seconds histogram');
      expect(text).toContain('# TYPE traitforge_records_ingested_total counter');
      expect(text).toContain('# TYPE traitforge_records_rejected_total counter');
      expect(
        sample(text, 'traitforge_http_requests_total', { method: 'GET', route: '/healthz', status: '200' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sample(text, 'traitforge_http_request_duration_seconds_count', { method: 'GET', route: '/healthz' }),
      ).toBeGreaterThanOrEqual(1);
      expect(text).toContain('process_cpu_user_seconds_total');
    });

    it('counts ingested records by type and environment', async () => {
      const before = await scrape();
      const batch = {
        actions: [1, 2, 3].map((i) => ({ user_id: `m${i}`, action_id: 'a', action_name: 'n' })),
      };
      expect((await t.call('POST', '/v1/actions', dash.keys.production, batch)).statusCode).toBe(201);
      expect((await t.call('POST', '/v1/actions', dash.keys.sandbox, ONE_ACTION)).statusCode).toBe(201);
      const after = await scrape();
      const count = (text: string, environment: string) =>
        sample(text, 'traitforge_records_ingested_total', { type: 'actions', environment });
      expect(count(after, 'production') - count(before, 'production')).toBe(3);
      expect(count(after, 'sandbox') - count(before, 'sandbox')).toBe(1);
      expect(
        sample(after, 'traitforge_http_requests_total', {
          method: 'POST',
          route: '/v1/actions',
          status: '201',
        }) -
          sample(before, 'traitforge_http_requests_total', {
            method: 'POST',
            route: '/v1/actions',
            status: '201',
          }),
      ).toBe(2);
    });

    it('counts the records of rejected batches', async () => {
      const before = await scrape();
      const batch = { level_ups: [{ user_id: 'u', level: 2 }, { level: 'x' }] };
      expect((await t.call('POST', '/v1/level-ups', dash.keys.production, batch)).statusCode).toBe(400);
      const after = await scrape();
      const rejected = (text: string) =>
        sample(text, 'traitforge_records_rejected_total', { type: 'level_ups' });
      expect(rejected(after) - rejected(before)).toBe(2);
      expect(sample(after, 'traitforge_records_ingested_total', { type: 'level_ups' })).toBe(
        sample(before, 'traitforge_records_ingested_total', { type: 'level_ups' }),
      );
    });

    it('labels unknown URLs as one route, so scanners cannot multiply series', async () => {
      await t.app.inject({ method: 'GET', url: '/wp-admin/setup-config.php' });
      const text = await scrape();
      expect(text).not.toContain('wp-admin');
      expect(
        sample(text, 'traitforge_http_requests_total', { route: 'unmatched', status: '404' }),
      ).toBeGreaterThanOrEqual(1);
    });

    it('carries no dashboard or key in any label', async () => {
      const text = await scrape();
      expect(text).not.toContain(dash.id);
      expect(text).not.toContain(dash.keys.production);
    });
  });
});

describe.each(BACKENDS)('logs and failures on %s', (backend) => {
  let l: LoggedApp;
  beforeAll(async () => {
    l = await createLoggedApp(backend);
  });
  afterAll(async () => {
    await l.app.close();
    await l.store.close().catch(() => undefined);
    await l.database.drop();
  });

  it('never contain the API key, the admin token or a query string', async () => {
    const key = l.dashboard.keys.production;
    const ok = await l.app.inject({
      method: 'POST',
      url: '/v1/actions?api_key=query-secret-0123&source=test',
      headers: { authorization: `Bearer ${key}` },
      payload: ONE_ACTION,
    });
    expect(ok.statusCode).toBe(201);
    const bad = await l.app.inject({
      method: 'POST',
      url: '/v1/actions?api_key=query-secret-0123',
      headers: { authorization: `Bearer ${key}x` },
      payload: ONE_ACTION,
    });
    expect(bad.statusCode).toBe(401);
    await l.app.inject({ method: 'GET', url: '/nowhere?api_key=query-secret-0123' });
    await l.app.inject({
      method: 'GET',
      url: `/admin/v1/dashboards?token=${ADMIN_TOKEN}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });

    const log = l.log();
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Json);
    // The requests were logged (method and path) ...
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'incoming request',
        req: expect.objectContaining({ method: 'POST', path: '/v1/actions' }),
      }),
    );
    expect(lines.some((line) => line.msg === 'request completed')).toBe(true);
    // ... and nothing secret, nor any query string, made it in.
    expect(log).not.toContain(key);
    expect(log).not.toContain(key.slice(0, 24));
    expect(log).not.toContain(ADMIN_TOKEN);
    expect(log).not.toContain('query-secret');
    expect(log).not.toContain('?');
    expect(log.toLowerCase()).not.toContain('bearer');
  });

  it('answers a store failure with a 500 envelope that reveals nothing, and logs it for the operator', async () => {
    const failure = new Error(
      'insert into "actions" ("dashboard_id", "user_id") values ($1, $2) - relation "actions" does not exist',
    );
    const broken: Store = {
      backend: l.store.backend,
      capabilities: l.store.capabilities,
      db: l.store.db,
      native: l.store.native,
      migrate: () => l.store.migrate(),
      ping: () => Promise.reject(failure),
      beforeClose: () => undefined,
      close: () => l.store.close(),
    };
    // The event store's reads work; its writes fail as the database does.
    const events = Object.assign(Object.create(sqlEventStore(l.store)) as EventStore, {
      write: () => Promise.reject(failure),
    });
    const config = parseConfig({ adminToken: ADMIN_TOKEN, dataDir: l.database.dataDir, logLevel: 'silent' });
    let captured = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        captured += chunk.toString();
        done();
      },
    });
    const app = await buildApp(config, broken, { logger: { level: 'info', stream }, services: { events } });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/actions',
        headers: { authorization: `Bearer ${l.dashboard.keys.production}` },
        payload: ONE_ACTION,
      });
      expect(res.statusCode).toBe(500);
      const body = res.json<{ code: number; message: string; data: unknown }>();
      expect(body).toEqual({
        code: 500,
        message: expect.stringMatching(/^internal server error/),
        data: null,
      });
      expect(res.body).not.toMatch(/insert|relation|stack|\bat\b|\.ts|\.js|\/work/i);
      // The request id in the answer finds the full error in the log.
      const id = /request id (\S+) /.exec(body.message)![1]!;
      const logged = captured
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Json)
        .find((line) => line.msg === 'request failed');
      expect(logged).toMatchObject({ reqId: id, err: { message: failure.message } });

      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', backend });
    } finally {
      await app.close();
    }
  });

  it('answers 503 on /readyz when the database hangs instead of hanging with it', async () => {
    const hanging: Store = {
      ...l.store,
      backend: l.store.backend,
      ping: () => new Promise<void>(() => undefined),
    };
    const app = Fastify();
    await app.register(healthRoutes(hanging, 20));
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', backend });
    } finally {
      await app.close();
    }
  });

  it('answers 503 on /readyz and a bare 5xx envelope on a push once the store is closed', async () => {
    const database = await createTestDatabase(backend);
    const store = database.openStore();
    await store.migrate();
    const config = parseConfig({ adminToken: ADMIN_TOKEN, dataDir: database.dataDir });
    const app = await buildApp(config, store, { logger: false });
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/admin/v1/dashboards',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'Closing game' },
      });
      const key = created.json<TestDashboard>().keys.production;
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

      await store.close();
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', backend });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/actions',
        headers: { authorization: `Bearer ${key}` },
        payload: ONE_ACTION,
      });
      expect([500, 503]).toContain(res.statusCode);
      expect(res.json()).toEqual({ code: res.statusCode, message: expect.any(String), data: null });
      expect(res.body).not.toMatch(/destroyed|sqlite|pool|kysely|stack|\.js|\.ts/i);
      // Liveness is about the process, not the database.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('answers 503 with the envelope to requests arriving during shutdown', async () => {
    const database = await createTestDatabase(backend);
    const store = database.openStore();
    await store.migrate();
    const app = await buildApp(parseConfig({ dataDir: database.dataDir }), store, { logger: false });
    let during: { statusCode: number; body: string; connection: unknown }[] = [];
    app.addHook('preClose', async () => {
      // Still listening, already shutting down: what a request arriving now gets.
      const { port } = app.server.address() as AddressInfo;
      during = await Promise.all(
        ['/v1/actions', '/readyz'].map(
          (url) =>
            new Promise<{ statusCode: number; body: string; connection: unknown }>((resolve, reject) => {
              http
                .get({ host: '127.0.0.1', port, path: url, agent: false }, (res) => {
                  let body = '';
                  res.setEncoding('utf8');
                  res.on('data', (chunk: string) => (body += chunk));
                  res.on('end', () => {
                    resolve({ statusCode: res.statusCode ?? 0, body, connection: res.headers.connection });
                  });
                })
                .on('error', reject);
            }),
        ),
      );
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.close();
    await store.close();
    await database.drop();
    expect(during.map((d) => d.statusCode)).toEqual([503, 503]);
    expect(JSON.parse(during[0]!.body)).toEqual({
      code: 503,
      message: 'the server is shutting down; retry the request',
      data: null,
    });
    expect(JSON.parse(during[1]!.body)).toEqual({ status: 'unavailable', backend });
    expect(during[0]!.connection).toBe('close');
  });
});
