import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TraitforgeClient, type DeliveryError } from '../../packages/client/src/index.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { actions, records, recordingFetch } from './support.js';

const FAST = { baseDelayMs: 20, maxDelayMs: 200 };

describe.each(BACKENDS)('@traitforge/client against the server (%s)', (backend) => {
  let t: TestApp;
  let baseUrl: string;
  const clients: TraitforgeClient[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(backend);
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.shutdown({ timeoutMs: 0 });
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  afterAll(async () => {
    await t.close();
  });

  function client(
    dashboard: TestDashboard,
    options: Partial<ConstructorParameters<typeof TraitforgeClient>[0]> = {},
  ) {
    const c = new TraitforgeClient({ baseUrl, apiKey: dashboard.keys.production, backoff: FAST, ...options });
    clients.push(c);
    return c;
  }

  function queueDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'traitforge-client-'));
    dirs.push(dir);
    return dir;
  }

  /** Every stored action id of the tag's players, with repeats: what the admin API lists. */
  async function storedActionIds(dashboard: TestDashboard, tag: string, users = 50): Promise<string[]> {
    const ids: string[] = [];
    for (let u = 0; u < users; u++) {
      const res = await t.admin(
        'GET',
        `/dashboards/${dashboard.id}/records/actions?user_id=${tag}-u${u}&limit=1000`,
      );
      expect(res.statusCode).toBe(200);
      ids.push(...res.json<{ action_id: string }[]>().map((r) => r.action_id));
    }
    return ids.sort();
  }

  function expectedIds(count: number, tag: string): string[] {
    return actions(count, tag)
      .map((a) => a.action_id)
      .sort();
  }

  it('push + flush stores exactly the records, in gzipped batches of at most 1000 under distinct keys', async () => {
    const d = await t.createDashboard();
    const rec = recordingFetch();
    const c = client(d, { fetch: rec.fetch });
    for (const a of actions(2500, 'p')) expect(c.push('actions', a)).toBe(true);
    c.push('logins', { user_id: 'p-u1', country: 'FR' });
    expect(c.queued).toBe(2501);
    await c.flush();
    expect(c.queued).toBe(0);

    expect(await storedActionIds(d, 'p')).toEqual(expectedIds(2500, 'p'));
    const logins = await t.admin('GET', `/dashboards/${d.id}/records/logins`);
    expect(logins.json()).toEqual([expect.objectContaining({ user_id: 'p-u1', country: 'FR' })]);

    const sizes = rec.sent.map((r) => records(r).length).sort((a, b) => a - b);
    expect(sizes).toEqual([1, 500, 1000, 1000]);
    for (const r of rec.sent) {
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.status).toBe(201);
    }
    expect(new Set(rec.sent.map((r) => r.headers['idempotency-key'])).size).toBe(4);
    expect(rec.sent.find((r) => r.url.endsWith('/v1/logins'))?.body).toEqual({
      users: [{ user_id: 'p-u1', country: 'FR' }],
    });
  });

  it('retries a 503, waits out a 429’s Retry-After, and a lost answer never stores a batch twice', async () => {
    const d = await t.createDashboard();
    const rec = recordingFetch((call) => {
      if (call === 1) return new Response('{"code":503,"message":"busy","data":null}', { status: 503 });
      if (call === 2)
        return new Response('{"code":429,"message":"slow down","data":null}', {
          status: 429,
          headers: { 'retry-after': '1' },
        });
      if (call === 3) return 'refuse';
      if (call === 4) return 'drop-answer';
      return undefined;
    });
    const c = client(d, { fetch: rec.fetch });
    for (const a of actions(300, 'r')) c.push('actions', a);
    await c.flush();

    expect(await storedActionIds(d, 'r')).toEqual(expectedIds(300, 'r'));
    expect(rec.sent.map((r) => r.status)).toEqual([503, 429, 'network error', 'network error', 201]);
    // One batch, one key, kept across every retry: the 5th answer is the stored first one.
    expect(new Set(rec.sent.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(rec.sent[2]!.at - rec.sent[1]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('drops only the invalid records of a 400, reports them to onError, and stores the rest', async () => {
    const d = await t.createDashboard();
    const errors: DeliveryError[] = [];
    const rec = recordingFetch();
    const c = client(d, { fetch: rec.fetch, onError: (e) => errors.push(e) });
    const batch = actions(5, 'v');
    c.push('actions', batch[0]!);
    c.push('actions', { user_id: 'v-u1', action_id: 'bad' } as never);
    for (const a of batch.slice(1)) c.push('actions', a);
    await c.flush();

    expect(await storedActionIds(d, 'v', 5)).toEqual(expectedIds(5, 'v'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      kind: 'dropped',
      type: 'actions',
      status: 400,
      records: [{ user_id: 'v-u1', action_id: 'bad' }],
    });
    expect(rec.sent.map((r) => [r.status, records(r).length])).toEqual([
      [400, 6],
      [201, 5],
    ]);
    expect(rec.sent[0]!.headers['idempotency-key']).not.toBe(rec.sent[1]!.headers['idempotency-key']);
  });

  it('halves a batch the server finds too large (413) until it fits, and drops only a record too large alone', async () => {
    // A server with a 4 KiB body limit (decompressed): 60 actions are about 6.6 KB of JSON.
    const small = await createTestApp(backend, { bodyLimitBytes: 4096 });
    try {
      const smallUrl = await small.app.listen({ port: 0, host: '127.0.0.1' });
      const d = await small.createDashboard();
      const errors: DeliveryError[] = [];
      const rec = recordingFetch();
      const c = client(d, { baseUrl: smallUrl, fetch: rec.fetch, onError: (e) => errors.push(e) });
      const batch = actions(60, 's', 60);
      const huge = { ...batch[0]!, action_id: 's-huge', action_name: 'x'.repeat(5000) };
      for (const a of batch.slice(0, 30)) c.push('actions', a);
      c.push('actions', huge);
      for (const a of batch.slice(30)) c.push('actions', a);
      await c.flush();

      const stored: string[] = [];
      for (let u = 0; u < 60; u++) {
        const res = await small.admin(
          'GET',
          `/dashboards/${d.id}/records/actions?user_id=s-u${u}&limit=1000`,
        );
        expect(res.statusCode).toBe(200);
        stored.push(...res.json<{ action_id: string }[]>().map((r) => r.action_id));
      }
      expect(stored.sort()).toEqual(expectedIds(60, 's'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ kind: 'dropped', type: 'actions', status: 413, records: [huge] });
      expect(rec.sent[0]).toMatchObject({ status: 413 });
      expect(records(rec.sent[0]!)).toHaveLength(61);
      // Every record was sent in a 201 batch once, under a key of its own.
      const accepted = rec.sent.filter((r) => r.status === 201);
      expect(accepted.reduce((n, r) => n + records(r).length, 0)).toBe(60);
      const keys = rec.sent.map((r) => r.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await small.close();
    }
  });

  it('a client on the queueDir a crashed one left sends what it had not delivered, once', async () => {
    const d = await t.createDashboard();
    const dir = queueDir();
    // The first client delivers its first batch but never hears the answer, then stops answering
    // at all, and is abandoned without shutdown(): as if the process had died.
    const crashed = new TraitforgeClient({
      baseUrl,
      apiKey: d.keys.production,
      queueDir: dir,
      backoff: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
      fetch: recordingFetch((call) => (call === 1 ? 'drop-answer' : 'refuse')).fetch,
    });
    for (const a of actions(1500, 'c')) crashed.push('actions', a);
    await expect.poll(async () => (await storedActionIds(d, 'c')).length, { timeout: 10_000 }).toBe(1000);

    const rec = recordingFetch();
    const next = client(d, { queueDir: dir, fetch: rec.fetch });
    expect(next.queued).toBe(0); // not read yet: the constructor returns at once
    await next.flush();
    expect(await storedActionIds(d, 'c')).toEqual(expectedIds(1500, 'c'));
    expect(rec.sent.map((r) => [r.status, records(r).length]).sort()).toEqual([
      [201, 1000],
      [201, 500],
    ]);
  });

  it('compacts its queue file once the records it holds are acknowledged', async () => {
    const d = await t.createDashboard();
    const dir = queueDir();
    const c = client(d, { queueDir: dir });
    for (const a of actions(25_000, 'z', 25)) c.push('actions', a);
    await c.flush();
    expect(await c.shutdown()).toBe(0);
    // 25,000 pushes and 50 batch/ack lines were written; the log now holds what is left: nothing.
    expect(statSync(join(dir, 'queue.ndjson')).size).toBe(0);
    expect((await storedActionIds(d, 'z', 25)).length).toBe(25_000);
  }, 120_000);

  it('refuses pushes past maxQueueSize and reports them', async () => {
    const d = await t.createDashboard();
    const errors: DeliveryError[] = [];
    const c = client(d, { maxQueueSize: 2, onError: (e) => errors.push(e) });
    const [a, b, x] = actions(3, 'f');
    expect(c.push('actions', a!)).toBe(true);
    expect(c.push('actions', b!)).toBe(true);
    expect(c.push('actions', x!)).toBe(false);
    expect(errors).toEqual([expect.objectContaining({ kind: 'queue_full' })]);
    await c.flush();
    expect(await storedActionIds(d, 'f', 50)).toEqual(expectedIds(2, 'f'));
  });

  it('rejects an unknown type and a batch size beyond 1000 at once', async () => {
    const d = await t.createDashboard();
    const c = client(d);
    expect(() => c.push('kpis' as never, {} as never)).toThrow(/unknown record type/);
    expect(() => new TraitforgeClient({ baseUrl, apiKey: 'k', batchSize: 1001 })).toThrow(RangeError);
  });
});
