import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TraitforgeClient } from '../../packages/client/src/index.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { adminCall, ensureBuilt, startOnDatabase, type ServerProcess } from '../support/server-process.js';
import { actions, recordingFetch } from './support.js';

const ADMIN_TOKEN = 'client-kill-admin-token-0123456789';
const USERS = 50;

beforeAll(() => {
  // `npm test` builds first (pretest); run alone, this file compiles a stale dist/ itself.
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('@traitforge/client through a kill -9 of the server (%s)', (backend) => {
  let database: TestDatabase;
  let queueDir: string;
  const running: ServerProcess[] = [];

  afterEach(async () => {
    for (const server of running.splice(0)) {
      server.kill('SIGKILL');
      await server.exited;
    }
    await database.drop();
    rmSync(queueDir, { recursive: true, force: true });
  });

  function start(port: string): ServerProcess {
    const server = startOnDatabase(database, ADMIN_TOKEN, port);
    running.push(server);
    return server;
  }

  const admin = <T>(base: string, method: string, path: string, body?: unknown) =>
    adminCall<T>(base, ADMIN_TOKEN, method, path, body);

  it('stores every record exactly once when the server dies mid-flush and comes back', async () => {
    database = await createTestDatabase(backend);
    queueDir = mkdtempSync(join(tmpdir(), 'traitforge-client-kill-'));
    let server = start('0');
    const base = await server.url();
    const dashboard = await admin<{ id: string; keys: { production: string } }>(base, 'POST', '/dashboards', {
      name: 'Kill test',
    });

    let killed = false;
    const rec = recordingFetch((call) => {
      // The 4th batch is on its way when the server is killed: whether it committed or not, the
      // client cannot know, and must resend it under the same key.
      if (call === 4 && !killed) {
        killed = true;
        setTimeout(() => {
          server.kill('SIGKILL');
        }, 5);
      }
      return undefined;
    });
    const client = new TraitforgeClient({
      baseUrl: base,
      apiKey: dashboard.keys.production,
      queueDir,
      fetch: rec.fetch,
      backoff: { baseDelayMs: 50, maxDelayMs: 300 },
    });
    const all = actions(12_000, 'k', USERS);
    for (const a of all) client.push('actions', a);
    const flushed = client.flush();

    await server.exited;
    expect(killed).toBe(true);
    const { port } = new URL(base);
    server = start(port);
    await server.url();
    await flushed;
    expect(await client.shutdown()).toBe(0);

    const failed = rec.sent.filter((r) => r.status !== 201);
    expect(failed.length).toBeGreaterThan(0); // the kill really interrupted the flush
    const ids: string[] = [];
    for (let u = 0; u < USERS; u++) {
      const rows = await admin<{ action_id: string }[]>(
        base,
        'GET',
        `/dashboards/${dashboard.id}/records/actions?user_id=k-u${u}&limit=1000`,
      );
      ids.push(...rows.map((r) => r.action_id));
    }
    expect(ids.sort()).toEqual(all.map((a) => a.action_id).sort());
  }, 120_000);
});
