import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { buildServices, type Services } from '../../src/services.js';
import { BACKENDS } from '../support/backends.js';
import { receiver, type ReceivedRequest, type Receiver } from '../support/receiver.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** A receiver's check, written as the docs tell receivers to write it. */
function verified(request: ReceivedRequest, secret: string): boolean {
  const header = String(request.headers['traitforge-signature'] ?? '');
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${request.raw}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe.each(BACKENDS)('outbound webhooks on %s', (backend) => {
  let t: TestApp;
  /** Services on the same database that drive the job queue (no backoff wait). */
  let services: Services;
  let hooks: Receiver[] = [];
  const hook = async (...args: Parameters<typeof receiver>) => {
    const r = await receiver(...args);
    hooks.push(r);
    return r;
  };
  const jobs = (kind: string) =>
    t.store.db.selectFrom('jobs').selectAll().where('kind', '=', kind).orderBy('created_at').execute();

  /** Defines a 1-hour quest on `gameId` and plays 2 hours as `email`: one reward, one delivery. */
  async function complete(gameId: string, email: string): Promise<void> {
    const { key } = (
      await t.admin('POST', '/forge-keys', { partner: 'p', game: 'g', game_id: gameId })
    ).json<{ key: string }>();
    const quest = await t.admin('POST', `/games/${gameId}/quests`, {
      type: 'hours_played',
      target: 1,
      starts_at: '2026-01-01 00:00:00',
      ends_at: '2026-02-01 00:00:00',
      reward: { kind: 'badge', amount: 1 },
    });
    expect(quest.statusCode).toBe(201);
    expect((await t.admin('POST', '/players', { email })).statusCode).toBe(201);
    const res = await t.app.inject({
      method: 'POST',
      url: '/player/playtime',
      headers: { 'x-api-key': key },
      payload: { last_time_played: '2026-01-03 10:00:00', total_hours: 2, user_email: email },
    });
    expect(res.statusCode).toBe(200);
  }

  beforeAll(async () => {
    t = await createTestApp(backend, { webhookAllow: ['127.0.0.1'] });
    services = buildServices(t.config, t.store, { jobWorker: { baseBackoffMs: 1 } });
  });
  afterAll(async () => {
    await Promise.all(hooks.map((h) => h.close()));
    hooks = [];
    await t?.close();
  });

  it('signs every quest delivery with the game’s secret, shown once, and keeps the delivery id across retries', async () => {
    const target = await hook(1);
    const put = await t.admin('PUT', '/games/signed/webhook', { url: target.url });
    expect(put.statusCode).toBe(200);
    const { secret } = put.json<{ secret: string }>();
    expect(put.json()).toEqual({
      game_id: 'signed',
      url: target.url,
      secret: expect.stringMatching(/^whsec_/),
    });
    // Changing nothing but the URL keeps the secret, and does not show it again.
    expect((await t.admin('PUT', '/games/signed/webhook', { url: target.url })).json()).toEqual({
      game_id: 'signed',
      url: target.url,
    });

    await complete('signed', 'signed@example.com');
    await services.jobs.runOnce();
    await new Promise((r) => setTimeout(r, 20));
    await services.jobs.runOnce();
    expect(target.requests).toHaveLength(2);
    const [first, second] = target.requests as [ReceivedRequest, ReceivedRequest];
    expect(first.headers['traitforge-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers['traitforge-delivery']).toBe(first.headers['traitforge-delivery']);
    expect(second.headers['traitforge-event']).toBe('quest.completed');
    expect(first.raw).toBe(second.raw);
    expect(verified(first, secret) && verified(second, secret)).toBe(true);
    expect(verified(second, 'whsec_wrong')).toBe(false);
    expect(target.bodies).toEqual([expect.objectContaining({ event: 'quest.completed', game_id: 'signed' })]);
  });

  it('rotating the secret shows the new one once; later deliveries are signed with it', async () => {
    const target = await hook(0);
    await t.admin('PUT', '/games/rotated/webhook', { url: target.url });
    const rotated = await t.admin('POST', '/games/rotated/webhook/secret');
    expect(rotated.statusCode).toBe(200);
    const { secret } = rotated.json<{ secret: string }>();
    expect(rotated.json()).toEqual({ game_id: 'rotated', secret: expect.stringMatching(/^whsec_/) });
    await complete('rotated', 'rotated@example.com');
    await services.jobs.runOnce();
    expect(target.requests).toHaveLength(1);
    expect(verified(target.requests[0]!, secret)).toBe(true);
    const none = await t.admin('POST', '/games/no-webhook/webhook/secret');
    expect(none.statusCode).toBe(404);
  });

  it('never follows a redirect: a 307 is a failed attempt and the redirect target gets nothing', async () => {
    const inner = await hook(0);
    const outer = await hook(0, { answer: { status: 307, headers: { location: inner.url } } });
    await t.admin('PUT', '/games/redirected/webhook', { url: outer.url });
    await complete('redirected', 'redirected@example.com');
    await services.jobs.runOnce();
    // Retried (the backoff is 1 ms here), never sent on to the Location.
    expect(outer.attempts()).toBeGreaterThan(0);
    expect(inner.attempts()).toBe(0);
    const job = (await jobs('webhook')).find((j) => j.payload.includes('"redirected"'));
    expect(job?.last_error).toMatch(/^the webhook answered HTTP 307 \(redirects are not followed\)$/);
  });

  it('dashboard notifications are signed with the dashboard’s own secret', async () => {
    const target = await hook(0);
    const { id } = await t.createDashboard('Signed alerts');
    const put = await t.admin('PUT', `/dashboards/${id}/notifications`, { webhook_url: target.url });
    const { secret } = put.json<{ secret: string }>();
    expect(put.json()).toEqual({ webhook_url: target.url, secret: expect.stringMatching(/^whsec_/) });
    await services.notifications.notify({
      event: 'storage_sync.failed',
      dashboard_id: id,
      occurred_at: 'now',
    });
    await services.jobs.runOnce();
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]!.headers['traitforge-event']).toBe('storage_sync.failed');
    expect(verified(target.requests[0]!, secret)).toBe(true);

    const rotated = await t.admin('POST', `/dashboards/${id}/notifications/secret`);
    expect(rotated.json<{ secret: string }>().secret).not.toBe(secret);
    await services.notifications.notify({
      event: 'storage_sync.failed',
      dashboard_id: id,
      occurred_at: 'later',
    });
    await services.jobs.runOnce();
    expect(verified(target.requests[1]!, rotated.json<{ secret: string }>().secret)).toBe(true);
  });

  it('refuses a literal address in a refused range when the URL is set: 400 naming the field', async () => {
    const { id } = await t.createDashboard('Private');
    for (const url of [
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:8080/x',
      'http://[::ffff:a9fe:a9fe]/',
      'http://0x7f000002/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://192.168.1.1/',
      'http://[fd00::1]/',
    ]) {
      const quest = await t.admin('PUT', '/games/private/webhook', { url });
      expect(quest.statusCode, url).toBe(400);
      expect(quest.json<{ message: string }>().message).toMatch(/^url: /);
      const notification = await t.admin('PUT', `/dashboards/${id}/notifications`, { webhook_url: url });
      expect(notification.statusCode, url).toBe(400);
      expect(notification.json<{ message: string }>().message).toMatch(
        /^webhook_url: .*TRAITFORGE_WEBHOOK_ALLOW/,
      );
    }
    // 127.0.0.1 is allowed in this app: its literal URL is accepted.
    expect((await t.admin('PUT', '/games/private/webhook', { url: 'http://127.0.0.1:9/x' })).statusCode).toBe(
      200,
    );
  });

  it('checks the address it connects to: a name resolving to a refused address is not delivered', async () => {
    const target = await hook(0);
    const byName = target.url.replace('127.0.0.1', 'localhost');
    // The name passes when set (it is not a literal address)...
    expect((await t.admin('PUT', '/games/by-name/webhook', { url: byName })).statusCode).toBe(200);
    await complete('by-name', 'by-name@example.com');
    // ...and a worker whose policy does not allow loopback refuses it when connecting.
    const strict = buildServices(parseConfig({ ...t.config, webhookAllow: [] }), t.store);
    await strict.jobs.runOnce();
    expect(target.attempts()).toBe(0);
    const job = (await jobs('webhook')).find((j) => j.payload.includes('"by-name"'));
    expect(job).toMatchObject({
      status: 'failed',
      last_error: expect.stringMatching(/127\.0\.0\.1.*refused/),
    });
  });

  it('seals a URL with credentials at rest, answers it redacted, and delivers with its credentials', async () => {
    const target = await hook(0);
    const url = target.url.replace('http://', 'http://relay:s3cret-pass@') + '?token=tok-4711';
    const put = await t.admin('PUT', '/games/sealed/webhook', { url });
    expect(put.statusCode).toBe(200);
    const shown = put.json<{ url: string }>().url;
    expect(shown).toBe(target.url.replace('http://', 'http://***:***@') + '?token=***');
    const stored = JSON.stringify(await t.store.db.selectFrom('webhook_endpoints').selectAll().execute());
    expect(stored).not.toMatch(/s3cret-pass|tok-4711|whsec_/);

    const { id } = await t.createDashboard('Sealed alerts');
    const note = await t.admin('PUT', `/dashboards/${id}/notifications`, { webhook_url: url });
    expect(note.json<{ webhook_url: string }>().webhook_url).toBe(shown);
    expect((await t.admin('GET', `/dashboards/${id}/notifications`)).json()).toEqual({ webhook_url: shown });

    await complete('sealed', 'sealed@example.com');
    await services.jobs.runOnce();
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]!.url).toBe('/hook?token=tok-4711');
    expect(target.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('relay:s3cret-pass').toString('base64')}`,
    );
  });
});
