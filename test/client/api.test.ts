import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraitforgeClient, TraitforgeHttpError } from '../../packages/client/src/index.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

describe.each(BACKENDS)('@traitforge/client single calls against the server (%s)', (backend) => {
  let t: TestApp;
  let d: TestDashboard;
  let client: TraitforgeClient;

  beforeAll(async () => {
    t = await createTestApp(backend);
    const baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    d = await t.createDashboard();
    const forge = await t.admin('POST', '/forge-keys', {
      partner: 'pixel',
      game: 'Pixel',
      game_id: 'pixel-sdk',
    });
    expect(forge.statusCode).toBe(201);
    client = new TraitforgeClient({
      baseUrl: `${baseUrl}/`,
      apiKey: d.keys.production,
      forgeKey: forge.json<{ key: string }>().key,
    });
  });
  afterAll(async () => {
    await client.shutdown({ timeoutMs: 0 });
    await t.close();
  });

  it('pages through a segment’s member ids with the X-Next-After cursor', async () => {
    const ids = ['a1', 'a2', 'a3', 'a4', 'a5'];
    await client.send(
      'logins',
      ids.map((user_id) => ({ user_id })),
    );
    const first = await client.personaUserIds('default', 'all', { limit: 2 });
    expect(first.ids).toHaveLength(2);
    expect(first.nextAfter).toEqual(expect.any(String));
    const every: string[] = [];
    for await (const id of client.allPersonaUserIds('default', 'all', 2)) every.push(id);
    expect(every.sort()).toEqual(ids);
  });

  it('registers a player for the survey, reads the status, and deletes the player’s data', async () => {
    const registration = await client.registerAssessment('a1');
    expect(registration).toMatchObject({
      status: 'requested',
      token: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(await client.assessmentStatus('a1')).toEqual({ completed: false, completed_at: 0 });
    client.push('actions', { user_id: 'a1', action_id: 'x', action_name: 'quit' });
    await client.flush();
    const deleted = await client.deleteUserData('a1');
    expect(deleted.deleted).toBeGreaterThanOrEqual(2);
    const left = await t.admin('GET', `/dashboards/${d.id}/records/actions?user_id=a1`);
    expect(left.json()).toEqual([]);
  });

  it('uploads a KPI CSV and reads its ingestion back', async () => {
    const started = await client.uploadCsv(
      'kpis',
      'timestamp,user_id,register_date,churn_date,kpi_id,value\n2024-01-01 00:00:00,a2,2023-12-01,,ltv,3.5\n',
    );
    expect(started.ingestion_id).toEqual(expect.any(String));
    const status = await client.ingestion(started.ingestion_id);
    expect(status.ingestion_id).toBe(started.ingestion_id);
    expect(['queued', 'running', 'succeeded', 'failed']).toContain(status.status);
  });

  it('sends Forge sessions and achievements, and throws the server’s answer on a refusal', async () => {
    expect(
      await client.playtime({
        user_email: 'p@example.com',
        last_time_played: '2026-01-02 10:00:00',
        total_hours: 2,
      }),
    ).toEqual({ records_processed: 1 });
    // An e-mail no registered player has: 404, the Forge error body in the error.
    const unknown = await client.progress({ user_email: 'p@example.com' }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, body: { errors: [{ message: expect.any(String) }] } });
    expect((unknown as Error).message).not.toBe('404: HTTP 404');
    await t.admin('POST', '/players', { email: 'p@example.com' });
    expect(await client.progress({ user_email: 'p@example.com' })).toEqual([]);
    const refused = await client
      .achievement([
        { user_email: 'p@example.com', achievement_title: '' },
        { achievement_title: 'x' } as never,
      ])
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TraitforgeHttpError);
    expect(refused).toMatchObject({ status: 400, body: { records_failed: 2 } });
  });

  it('throws 401 for a wrong key, with the documented body', async () => {
    const stranger = new TraitforgeClient({ baseUrl: client['baseUrl'], apiKey: 'not-a-key' });
    const error = await stranger.assessment().catch((e: unknown) => e);
    await stranger.shutdown({ timeoutMs: 0 });
    expect(error).toMatchObject({ status: 401, body: { code: 401 } });
  });
});
