import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../src/services.js';
import { BACKENDS } from '../support/backends.js';
import { receiver } from '../support/receiver.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe.each(BACKENDS)('quest-completion webhooks on %s', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend, { webhookAllow: ['127.0.0.1'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is delivered once per reward, retried with backoff after a failure', async () => {
    const hook = await receiver(1);
    try {
      const { key } = (
        await t.admin('POST', '/forge-keys', { partner: 'p', game: 'g', game_id: 'hooked' })
      ).json<{ key: string }>();
      expect((await t.admin('PUT', '/games/hooked/webhook', { url: hook.url })).statusCode).toBe(200);
      const quest = (
        await t.admin('POST', '/games/hooked/quests', {
          type: 'hours_played',
          target: 1,
          starts_at: '2026-01-01 00:00:00',
          ends_at: '2026-02-01 00:00:00',
          reward: { kind: 'badge', amount: 1 },
        })
      ).json<{ id: string }>();
      const player = (await t.admin('POST', '/players', { email: 'hook@example.com' })).json<{
        id: string;
      }>();
      const session = {
        last_time_played: '2026-01-03 10:00:00',
        total_hours: 2,
        user_email: 'hook@example.com',
      };
      for (let i = 0; i < 2; i++) {
        await t.app.inject({
          method: 'POST',
          url: '/player/playtime',
          headers: { 'x-api-key': key },
          payload: session,
        });
      }

      const { jobs, jobQueue } = buildServices(t.config, t.store, { jobWorker: { baseBackoffMs: 50 } });
      expect(await jobs.runOnce()).toBe(1); // the receiver answers 500
      expect(await jobs.runOnce()).toBe(0); // backing off: not due yet
      await new Promise((r) => setTimeout(r, 80));
      expect(await jobs.runOnce()).toBe(1);
      expect(await jobs.runOnce()).toBe(0); // delivered: never again
      expect(hook.attempts()).toBe(2);
      const [job] = await t.store.db.selectFrom('jobs').select('id').where('kind', '=', 'webhook').execute();
      expect(await jobQueue.get(job!.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(hook.bodies).toEqual([
        {
          event: 'quest.completed',
          game_id: 'hooked',
          quest_id: quest.id,
          player_id: player.id,
          reward: { kind: 'badge', amount: 1 },
          completed_at: expect.any(String),
        },
      ]);
    } finally {
      hook.server.close();
    }
  });

  it('refuses a webhook URL that is not http(s)', async () => {
    const res = await t.admin('PUT', '/games/x/webhook', { url: 'ftp://example.com' });
    expect(res.statusCode).toBe(400);
  });
});
