import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { ROOT } from '../support/server-process.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { actions } from './support.js';

/** The page that loads the SDK as a browser game would: an ES module import of its build. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>game</title>
<script type="module">
  import * as sdk from '/sdk/index.js';
  window.sdk = sdk;
  document.title = 'ready';
</script>`;

/** The SDK build (`tsc -p packages/client`, what the package ships in dist/) served on its own origin. */
function serveGame(sdkDir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    const file = normalize(path.slice('/sdk/'.length));
    if (!path.startsWith('/sdk/') || file.startsWith('..') || !file.endsWith('.js')) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(join(sdkDir, file));
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** In-page calls; `sdk` is the imported package. */
declare const sdk: typeof import('../../packages/client/src/index.js');

/**
 * @traitforge/client in Chromium: the compiled package imported by a page on one origin, the API
 * on another (so every call goes through a real CORS preflight), the queue in IndexedDB.
 * SQLite only: what is stored, and how, is covered on both backends by the Node client tests.
 */
describe('@traitforge/client in Chromium', () => {
  let t: TestApp;
  let api: string;
  let game: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  let sdkDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let dashboard: TestDashboard;
  const seen: Seen[] = [];
  const pageErrors: string[] = [];

  async function openGame(origin = game.origin): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction("document.title === 'ready'");
    return page;
  }

  /** Every action id stored for the tag's players (repeats kept: exactly-once is the point). */
  async function storedIds(tag: string, users: number): Promise<string[]> {
    const ids: string[] = [];
    for (let u = 0; u < users; u++) {
      const res = await t.admin(
        'GET',
        `/dashboards/${dashboard.id}/records/actions?user_id=${tag}-u${u}&limit=1000`,
      );
      ids.push(...res.json<{ action_id: string }[]>().map((r) => r.action_id));
    }
    return ids.sort();
  }
  const expectedIds = (count: number, tag: string, users: number) =>
    actions(count, tag, users)
      .map((a) => a.action_id)
      .sort();

  beforeAll(async () => {
    sdkDir = mkdtempSync(join(tmpdir(), 'traitforge-sdk-'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const built = spawnSync(process.execPath, [tsc, '-p', 'packages/client', '--outDir', sdkDir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`building the SDK failed: ${built.stdout}${built.stderr}`);
    game = await serveGame(sdkDir);
    stranger = await serveGame(sdkDir);
    t = await createTestApp('sqlite', { corsOrigins: [game.origin] });
    // What reached the server, as sent: the raw Node server sees each request before Fastify.
    t.app.server.on('request', (request: { method: string; url: string; headers: IncomingHttpHeaders }) => {
      seen.push({ method: request.method, path: request.url.split('?')[0] ?? '', headers: request.headers });
    });
    api = await t.app.listen({ host: '127.0.0.1', port: 0 });
    dashboard = await t.createDashboard();
    browser = await launchChromium();
    context = await browser.newContext();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    game?.server.close();
    stranger?.server.close();
    rmSync(sdkDir, { recursive: true, force: true });
  });

  it('pushes and flushes from another origin: preflighted, gzipped by CompressionStream, stored', async () => {
    const page = await openGame();
    seen.length = 0;
    const left = await page.evaluate(
      async ({ api, key, records }) => {
        const client = new sdk.TraitforgeClient({
          baseUrl: api,
          apiKey: key,
          indexedDbName: 'push',
          batchSize: 100,
        });
        for (const record of records) client.push('actions', record);
        client.push('logins', { user_id: 'b-u0', country: 'FR' });
        await client.flush();
        return client.shutdown();
      },
      { api, key: dashboard.keys.production, records: actions(250, 'b', 10) },
    );
    expect(left).toBe(0);
    expect(await storedIds('b', 10)).toEqual(expectedIds(250, 'b', 10));

    const posts = seen.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path).sort()).toEqual([
      '/v1/actions',
      '/v1/actions',
      '/v1/actions',
      '/v1/logins',
    ]);
    for (const post of posts) {
      expect(post.headers.origin).toBe(game.origin);
      expect(post.headers['content-encoding']).toBe('gzip');
      expect(post.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(posts.map((r) => r.headers['idempotency-key'])).size).toBe(4);
    // The browser asked first, naming the non-safelisted headers the SDK sends.
    const preflight = seen.find((r) => r.method === 'OPTIONS' && r.path === '/v1/actions');
    expect(preflight?.headers['access-control-request-headers']).toMatch(/content-encoding/);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('reads answers across origins: a refused record reported, Forge calls, an error body and status', async () => {
    const forge = await t.admin('POST', '/forge-keys', {
      partner: 'pixel',
      game: 'Pixel',
      game_id: 'pixel-b',
    });
    const page = await openGame();
    const result = await page.evaluate(
      async ({ api, key, forgeKey }) => {
        const dropped: unknown[] = [];
        const client = new sdk.TraitforgeClient({
          baseUrl: api,
          apiKey: key,
          forgeKey,
          indexedDbName: 'answers',
          onError: (e) => dropped.push({ kind: e.kind, status: e.status }),
        });
        client.push('actions', { user_id: 'r-u0', action_id: 'r-0', action_name: 'ok' });
        client.push('actions', { user_id: '', action_id: 'r-1', action_name: 'bad' } as never);
        await client.flush();
        const playtime = await client.playtime([
          { user_email: 'b@example.com', last_time_played: '2026-01-01 10:00:00', total_hours: 1 },
        ]);
        let refused: unknown;
        try {
          await new sdk.TraitforgeApi({ baseUrl: api, apiKey: 'not-a-key' }).send('actions', []);
        } catch (error) {
          const e = error as { status: number; body: unknown };
          refused = { status: e.status, body: e.body };
        }
        await client.shutdown();
        return { dropped, playtime, refused };
      },
      { api, key: dashboard.keys.production, forgeKey: forge.json<{ key: string }>().key },
    );
    expect(result.dropped).toEqual([{ kind: 'dropped', status: 400 }]);
    expect(await storedIds('r', 1)).toEqual(['r-0']);
    expect(result.playtime).toEqual({ records_processed: 1 });
    expect(result.refused).toEqual({
      status: 401,
      body: { code: 401, message: expect.any(String), data: null },
    });
    await page.close();
  });

  it('is blocked by the browser on an origin the server does not list: nothing is stored', async () => {
    const page = await openGame(stranger.origin);
    const error = await page.evaluate(
      async ({ api, key }) => {
        try {
          await new sdk.TraitforgeApi({ baseUrl: api, apiKey: key }).send('actions', [
            { user_id: 's-u0', action_id: 's-0', action_name: 'play' },
          ]);
          return 'sent';
        } catch (e) {
          return (e as Error).name;
        }
      },
      { api, key: dashboard.keys.production },
    );
    // A CORS refusal is a network error to the page: it cannot tell it from a dead server.
    expect(error).toBe('TypeError');
    expect(await storedIds('s', 1)).toEqual([]);
    await page.close();
  });

  it('keeps the queue in IndexedDB across a reload: what a dead server never got is sent once after it', async () => {
    // A server that is not there: the batches are formed, written to IndexedDB, and fail to send.
    const dead = await serveGame(sdkDir);
    const deadUrl = dead.origin;
    await new Promise((resolve) => dead.server.close(resolve));

    const page = await openGame();
    const triedKeys = new Set<string>();
    page.on('request', (r) => {
      const key = r.headers()['idempotency-key'];
      if (r.url().startsWith(deadUrl) && key) triedKeys.add(key);
    });
    const failed = page.waitForEvent('requestfailed', (r) => r.url().startsWith(deadUrl));
    await page.evaluate(
      ({ api, key, records }) => {
        const client = new sdk.TraitforgeClient({
          baseUrl: api,
          apiKey: key,
          indexedDbName: 'reload',
          batchSize: 20,
          backoff: { baseDelayMs: 50, maxDelayMs: 200 },
        });
        for (const record of records) client.push('actions', record);
        // Kept reachable until the reload, as a game would hold it.
        (globalThis as { client?: unknown }).client = client;
      },
      { api: deadUrl, key: dashboard.keys.production, records: actions(45, 'q', 5) },
    );
    await failed;
    // The page goes away mid-retry (a tab closed, a game quit); IndexedDB is all that remains.
    await page.reload();
    await page.waitForFunction("document.title === 'ready'");
    seen.length = 0;
    const left = await page.evaluate(
      async ({ api, key }) => {
        const client = new sdk.TraitforgeClient({ baseUrl: api, apiKey: key, indexedDbName: 'reload' });
        const queued = client.flush().then(() => client.queued);
        return { queued: await queued, left: await client.shutdown() };
      },
      { api, key: dashboard.keys.production },
    );
    expect(left).toEqual({ queued: 0, left: 0 });
    expect(await storedIds('q', 5)).toEqual(expectedIds(45, 'q', 5));
    // The batch formed before the reload went out under the key it was first tried with.
    const sentKeys = seen.filter((r) => r.method === 'POST').map((r) => r.headers['idempotency-key']);
    expect(sentKeys.length).toBeGreaterThanOrEqual(3);
    expect(triedKeys.size).toBeGreaterThan(0);
    for (const key of triedKeys) expect(sentKeys).toContain(key);

    // A third life finds nothing left to send.
    seen.length = 0;
    const again = await page.evaluate(
      async ({ api, key }) => {
        const client = new sdk.TraitforgeClient({ baseUrl: api, apiKey: key, indexedDbName: 'reload' });
        await client.flush();
        return client.shutdown();
      },
      { api, key: dashboard.keys.production },
    );
    expect(again).toBe(0);
    expect(seen.filter((r) => r.method === 'POST')).toEqual([]);
    expect(await storedIds('q', 5)).toEqual(expectedIds(45, 'q', 5));
    await page.close();
  });
});
