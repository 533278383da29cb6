import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../../src/jobs/job-worker.js';
import { buildServices } from '../../src/services.js';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

interface Status {
  user_id: string;
  status: 'pending' | 'completed';
  requested_at: number;
  completed_at: number | null;
}

const actions = (userId: string, n: number) => ({
  actions: Array.from({ length: n }, (_, i) => ({
    timestamp: '2026-01-01 10:00:00',
    user_id: userId,
    action_id: `${userId}-${i}`,
    action_name: 'play',
  })),
});

describe.each(EVENT_BACKENDS)('GET /v1/userData/deletion on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;
  /** Runs the queued jobs (ClickHouse: the deletion job), without its 30 s grace for late batches. */
  let worker: JobWorker;
  const pending = backend === 'clickhouse';

  const status = (userId: string, key = dash.keys.production) =>
    t.call('GET', `/v1/userData/deletion?user_id=${encodeURIComponent(userId)}`, key);
  const statusOf = async (userId: string) => {
    const res = await status(userId);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ code: number; message: string; data: Status }>();
    expect(body).toMatchObject({ code: 200, message: '' });
    return body.data;
  };
  const remove = async (id: string) => {
    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id });
    expect(res.statusCode).toBe(200);
    return res.json<{ data: { deleted: number; pending: boolean } }>().data;
  };
  const notFound = { code: 404, message: 'no deletion of this user is known', data: null };

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Deletion status game');
    other = await t.createDashboard('Other game');
    worker = buildServices(t.config, t.store, {
      jobWorker: { baseBackoffMs: 1 },
      deletionJob: { graceMs: 0, pollMs: 20 },
    }).jobs;
  });
  afterAll(async () => {
    await t.close();
  });

  it('follows a deletion from the request to its completion', async () => {
    expect((await t.call('POST', '/v1/actions', dash.keys.production, actions('p1', 30))).statusCode).toBe(
      201,
    );
    const before = Math.floor(Date.now() / 1000);
    expect(await remove('p1')).toEqual({ deleted: 31, pending });
    const asked = await statusOf('p1');
    expect(asked.user_id).toBe('p1');
    expect(asked.requested_at).toBeGreaterThanOrEqual(before);
    expect(asked.requested_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    if (pending) {
      // ClickHouse removes the rows in the background: pending until the job sees them gone.
      expect(asked).toMatchObject({ status: 'pending', completed_at: null });
      await worker.runOnce();
    } else {
      expect(asked).toMatchObject({ status: 'completed', completed_at: asked.requested_at });
    }
    const done = await statusOf('p1');
    expect(done).toMatchObject({ user_id: 'p1', status: 'completed', requested_at: asked.requested_at });
    expect(done.completed_at).toBeGreaterThanOrEqual(asked.requested_at);
    const listed = await t.admin('GET', `/dashboards/${dash.id}/records/actions?user_id=p1`);
    expect(listed.json()).toEqual([]);
  });

  it('is completed at once for a user of whom nothing was stored, on every backend', async () => {
    expect(await remove('never-seen')).toEqual({ deleted: 0, pending: false });
    const answer = await statusOf('never-seen');
    expect(answer).toMatchObject({ user_id: 'never-seen', status: 'completed' });
    expect(answer.completed_at).toBe(answer.requested_at);
  });

  it('answers 404 in the envelope for a user never deleted in the scope', async () => {
    const res = await status('nobody');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(notFound);
  });

  it('is scoped to the key’s dashboard and environment', async () => {
    await t.call('POST', '/v1/actions', dash.keys.production, actions('scoped', 2));
    await remove('scoped');
    expect((await status('scoped')).statusCode).toBe(200);
    for (const key of [other.keys.production, dash.keys.sandbox]) {
      const res = await status('scoped', key);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(notFound);
    }
  });

  it('refuses a missing or too long user_id naming it, and a call without a key', async () => {
    const missing = await t.call('GET', '/v1/userData/deletion', dash.keys.production);
    expect(missing.statusCode).toBe(400);
    expect(missing.json<{ code: number; message: string }>()).toMatchObject({ code: 400 });
    expect(missing.json<{ message: string }>().message).toContain('user_id');
    const long = await status('x'.repeat(257));
    expect(long.statusCode).toBe(400);
    expect(long.json<{ message: string }>().message).toContain('user_id');
    const anonymous = await t.call('GET', '/v1/userData/deletion?user_id=p1', undefined);
    expect(anonymous.statusCode).toBe(401);
  });
});
