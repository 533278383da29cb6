import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../src/domain/timestamp.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { DashboardClient } from './dashboard-client.js';

/** Markup without the whitespace between tags (the templates are formatted source). */
const squash = (body: string) => body.replace(/>\s+</g, '><').replace(/\s+/g, ' ');
const action = (user: string) => ({ user_id: user, action_id: 'a1', action_name: 'open_chest' });
const chartData = (body: string) => {
  const json = /<script type="application\/json" id="ingestion-chart-data">(.*?)<\/script>/s.exec(body)?.[1];
  return json === undefined
    ? undefined
    : (JSON.parse(json) as { days: string[]; types: string[]; series: Record<string, number[]> });
};

describe.each(BACKENDS)('dashboard pages on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let web: DashboardClient;
  const dir = mkdtempSync(join(tmpdir(), 'tf-dash-files-'));
  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('<script>alert(1)</script> & Co');
    web = new DashboardClient(t.app);
    await web.signInOperator();
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('escapes what users typed and sends the security headers', async () => {
    const list = await web.get('/dashboard/dashboards');
    expect(list.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
    expect(list.body).not.toContain('<script>alert(1)');
    expect(list.headers['content-security-policy']).toContain("script-src 'self'");
    expect(list.headers['cache-control']).toBe('no-store');
    expect(list.headers['x-frame-options']).toBe('DENY');
    expect(list.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)/); // no other origin is asked
  });

  it('serves Chart.js and its own script and style with year-long cache headers', async () => {
    const page = await web.get(`/dashboard/d/${dash.id}/ingestion`);
    const app = /src="(\/dashboard\/assets\/app\.js\?v=[0-9a-f]{12})"/.exec(page.body)![1]!;
    const res = await t.app.inject({ method: 'GET', url: app });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toContain('text/javascript');
    const chart = await t.app.inject({ method: 'GET', url: '/dashboard/assets/chart.umd.min.js' });
    expect(chart.statusCode).toBe(200);
    expect(chart.body).toContain('Chart.js v4');
    expect(
      (await t.app.inject({ method: 'GET', url: '/dashboard/assets/app.css' })).headers['content-type'],
    ).toContain('text/css');
    expect((await t.app.inject({ method: 'GET', url: '/dashboard/assets/nope.js' })).statusCode).toBe(404);
  });

  it('shows an empty ingestion page that says how to push the first batch, with this server’s address', async () => {
    const res = await web.get(`/dashboard/d/${dash.id}/ingestion?env=sandbox`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('No sandbox records in the last 30 days.');
    expect(res.body).toContain('curl -X POST http://localhost:80/v1/actions');
    expect(res.body).toContain('&lt;your sandbox key&gt;');
    expect(chartData(res.body)).toBeUndefined();
    expect(res.body).not.toContain('chart.umd.min.js'); // no chart, no Chart.js download
  });

  it('shows a new key once, with a copy button and the first push filled in', async () => {
    const res = await web.post(`/dashboard/d/${dash.id}/keys`, { environment: 'production' });
    expect(res.statusCode).toBe(200);
    const key = /value="(tf_live_[\w-]{43})"/.exec(res.body)![1]!;
    expect(res.body).toContain('data-copy="secret-');
    expect(res.body).toContain(`-H &quot;Authorization: Bearer ${key}&quot;`);
    const again = await web.get(`/dashboard/d/${dash.id}/keys`);
    expect(again.body).not.toContain(key);
    expect(again.body).toContain(key.slice(0, 14));
    expect((await t.call('POST', '/v1/actions', key, { actions: [action('k')] })).statusCode).toBe(201);
  });

  it('draws records per type per day from the rollup, per environment, and lists the live tail', async () => {
    expect(
      (await t.call('POST', '/v1/actions', dash.keys.production, { actions: [action('u1'), action('u2')] }))
        .statusCode,
    ).toBe(201);
    expect(
      (
        await t.call('POST', '/v1/level-ups', dash.keys.production, {
          level_ups: [{ user_id: 'u1', level: 3 }],
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (await t.call('POST', '/v1/actions', dash.keys.sandbox, { actions: [action('s1')] })).statusCode,
    ).toBe(201);
    const res = await web.get(`/dashboard/d/${dash.id}/ingestion?env=production`);
    const data = chartData(res.body)!;
    expect(data.days).toHaveLength(30);
    expect(data.days.at(-1)).toBe(utcDay(Date.now()));
    expect(data.types).toEqual(['actions', 'level_ups']);
    expect(data.series.actions!.at(-1)).toBe(3); // two now, one from the key test
    expect(data.series.level_ups!.at(-1)).toBe(1);
    expect(res.body).toContain('chart.umd.min.js');
    expect(res.body).toContain('aria-current="true">production');
    expect(res.body).toContain('{&quot;user_id&quot;:&quot;u1&quot;'); // the tail's first record
    const sandbox = chartData((await web.get(`/dashboard/d/${dash.id}/ingestion?env=sandbox`)).body)!;
    expect(sandbox.types).toEqual(['actions']);
    expect(sandbox.series.actions!.at(-1)).toBe(1);

    const tail = await web.get(`/dashboard/d/${dash.id}/ingestion/tail?env=production&after=0`, {
      accept: 'application/json',
    });
    const batches = tail.json<{ batches: { seq: number; type: string; count: number; sample: string }[] }>()
      .batches;
    expect(batches.map((b) => [b.type, b.count])).toEqual([
      ['level_ups', 1],
      ['actions', 2],
      ['actions', 1],
    ]);
    const newer = await web.get(
      `/dashboard/d/${dash.id}/ingestion/tail?env=production&after=${batches[0]!.seq}`,
      { accept: 'application/json' },
    );
    expect(newer.json<{ batches: unknown[] }>().batches).toEqual([]);
  });

  it('lists refused pushes with their reasons, per environment, without slowing accepted ones', async () => {
    const bad = await t.call('POST', '/v1/actions', dash.keys.sandbox, {
      actions: [action('ok'), { user_id: 'x' }],
    });
    expect(bad.statusCode).toBe(400);
    await t.call('POST', '/v1/purchases', dash.keys.sandbox, { purchases: [] });
    const form = await t.app.inject({
      method: 'POST',
      url: '/v1/logins',
      headers: { authorization: `Bearer ${dash.keys.sandbox}`, 'content-type': 'text/csv' },
      payload: 'user_id\nu1\n',
    });
    expect(form.statusCode).toBe(415);
    let body = '';
    for (let i = 0; i < 50 && !(body.includes('is empty') && /<td>415<\/td>/.test(body)); i++) {
      body = (await web.get(`/dashboard/d/${dash.id}/ingestion?env=sandbox`)).body;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(body).toContain('1 of 2 actions is invalid; nothing was ingested');
    expect(body).toMatch(/#1 action_id/);
    expect(body).toContain('&quot;purchases&quot; is empty');
    expect(body).toMatch(/logins<\/td>\s*<td>415<\/td>/);
    const production = (await web.get(`/dashboard/d/${dash.id}/ingestion?env=production`)).body;
    expect(production).toContain('No refused pushes in production');
  });

  it('keeps the reject log bounded per dashboard and environment', async () => {
    const { REJECTS_KEPT } = await import('../../src/ingest/reject-log.js');
    const { RejectsRepository } = await import('../../src/ingest/rejects.repository.js');
    const repo = new RejectsRepository(t.store.db);
    for (let i = 0; i < 5; i++) {
      await repo.insert(
        {
          dashboard_id: 'dsh_bounded',
          environment: 'production',
          record_type: 'actions',
          status: 400,
          message: `m${i}`,
          errors: '[]',
          created_at: i,
        },
        3,
      );
    }
    const rows = await repo.list('dsh_bounded', 'production', 10);
    expect(rows.map((r) => r.message)).toEqual(['m4', 'm3', 'm2']);
    expect(REJECTS_KEPT).toBe(200);
  });

  it('revokes a key from the keys page: the next push with it is 401', async () => {
    const created = await web.post(`/dashboard/d/${dash.id}/keys`, { environment: 'sandbox' });
    const key = /value="(tf_test_[\w-]{43})"/.exec(created.body)![1]!;
    const keys = (await t.admin('GET', `/dashboards/${dash.id}/keys`)).json<
      { id: string; prefix: string }[]
    >();
    const id = keys.find((k) => key.startsWith(k.prefix))!.id;
    const res = await web.post(`/dashboard/d/${dash.id}/keys/${id}/revoke`, {});
    expect(res.statusCode).toBe(303);
    expect((await web.get(res.headers.location as string)).body).toContain('The key is revoked');
    expect((await t.call('POST', '/v1/actions', key, { actions: [action('r')] })).statusCode).toBe(401);
  });

  it('shows storage connections with their files, tests and syncs them, and lists CSV uploads', async () => {
    const empty = await web.get(`/dashboard/d/${dash.id}/files`);
    expect(empty.body).toContain('No production storage connection.');
    expect(empty.body).toContain('No production CSV upload yet.');
    mkdirSync(join(dir, 'actions'), { recursive: true });
    writeFileSync(
      join(dir, 'actions', 'a.json'),
      `${JSON.stringify({ ...action('f1'), timestamp: '2024-01-01 00:00:00' })}\n`,
    );
    const conn = await t.admin('POST', `/dashboards/${dash.id}/storage-connections`, {
      provider: 'local',
      path: dir,
    });
    expect(conn.statusCode).toBe(201);
    const cid = conn.json<{ id: string }>().id;
    const listed = await web.get(`/dashboard/d/${dash.id}/files`);
    expect(listed.body).toContain(dir);
    expect(listed.body).toContain('never');
    const tested = await web.post(`/dashboard/d/${dash.id}/files/${cid}/test?env=production`, {});
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toContain('Connection works: connected: 1 file found');
    const synced = await web.post(`/dashboard/d/${dash.id}/files/${cid}/sync?env=production`, {});
    expect(synced.body).toContain(
      'Sync done: 1 new file(s), 1 record(s) ingested, 0 already stored, 0 file(s) failed.',
    );
    const after = squash((await web.get(`/dashboard/d/${dash.id}/files`)).body);
    expect(after).not.toContain('>never<');
    expect(after).toMatch(/<td class="num">1<\/td><td class="num">1<\/td><td class="num">0<\/td>/);

    const form = new FormData();
    form.append('file', new Blob(['user_id,kpi_id,value\nu1,ltv,3\nu2,,x\n']), 'kpis.csv');
    const upload = await fetchInject(t, `/v1/kpis/csv`, dash.keys.production, form);
    expect(upload).toBe(201);
    const files = squash((await web.get(`/dashboard/d/${dash.id}/files`)).body);
    expect(files).toMatch(/kpis<\/td><td><span class="badge[^"]*"\s*>(queued|running|succeeded)/);
  });

  it('shows Forge keys with today’s use, and quests with completions and rewards', async () => {
    expect((await web.get('/dashboard/forge/keys')).body).toContain('No Forge partner key yet.');
    expect((await web.get('/dashboard/forge/quests')).body).toContain('No quests yet.');
    const fk = (
      await t.admin('POST', '/forge-keys', {
        partner: 'pixel',
        game: 'Pixel Quest',
        game_id: 'pixel-1',
        daily_quota: 10,
      })
    ).json<{ key: string }>();
    await t.admin('POST', '/players', { email: 'ana@player.example' });
    const quest = await t.admin('POST', '/games/pixel-1/quests', {
      type: 'achievement',
      target: 1,
      achievement_title: 'Dragon',
      starts_at: '2020-01-01 00:00:00',
      ends_at: '2099-01-01 00:00:00',
      reward: { kind: 'gems', amount: 50 },
    });
    expect(quest.statusCode).toBe(201);
    const push = await t.app.inject({
      method: 'POST',
      url: '/player/achievement',
      headers: { 'x-api-key': fk.key },
      payload: { user_email: 'ana@player.example', achievement_title: 'Dragon' },
    });
    expect(push.statusCode).toBe(200);
    const keys = squash((await web.get('/dashboard/forge/keys')).body);
    expect(keys).toMatch(/<td class="num">1<\/td><td class="num">10<\/td>/);
    const quests = squash((await web.get('/dashboard/forge/quests?game=pixel-1')).body);
    expect(quests).toContain('Dragon');
    expect(quests).toMatch(/50 gems<\/td><td class="num">1<\/td>/);
    expect(quests).toContain('Recent rewards');
    expect(quests).not.toContain('No rewards granted yet');
  });

  it('creates a Forge key from the Forge keys page: shown once, it works on /player/playtime', async () => {
    const form = await web.get('/dashboard/forge/keys');
    expect(form.body).toContain('action="/dashboard/forge/keys"');
    expect(form.body).toContain('value="500000"'); // the default quota, ready
    const created = await web.post('/dashboard/forge/keys', {
      partner: 'Form Partner',
      game: 'Form Game',
      game_id: 'form-1',
      daily_quota: '7',
    });
    expect(created.statusCode).toBe(200);
    const key = /id="secret-fk_[^"]+" value="([A-Za-z0-9+/=]+)"/.exec(created.body)![1]!;
    expect(Buffer.from(key, 'base64').toString()).toMatch(/^Form Partner:Form Game:form-1:[A-Za-z0-9]{12}$/);
    expect(created.body).toContain('data-copy="secret-fk_');
    expect(created.body).toContain(`-H &quot;X-API-Key: ${key}&quot;`);
    expect(created.headers['cache-control']).toBe('no-store');
    const listed = squash((await web.get('/dashboard/forge/keys')).body);
    expect(listed).not.toContain(key);
    expect(listed).toMatch(/form-1<\/a><\/td><td class="num">0<\/td><td class="num">7<\/td>/);

    await t.admin('POST', '/players', { email: 'form@player.example' });
    const played = await t.app.inject({
      method: 'POST',
      url: '/player/playtime',
      headers: { 'x-api-key': key },
      payload: { user_email: 'form@player.example', last_time_played: '2026-01-01 10:00:00', total_hours: 2 },
    });
    expect(played.statusCode).toBe(200);
    expect(played.json()).toEqual({ records_processed: 1 });
    expect(squash((await web.get('/dashboard/forge/keys')).body)).toMatch(
      /form-1<\/a><\/td><td class="num">1<\/td><td class="num">7<\/td>/,
    );
  });

  it('gives the Forge key form back with the reason when a name or the quota is refused', async () => {
    const before = (await t.admin('GET', '/forge-keys')).json<unknown[]>().length;
    const badName = await web.post('/dashboard/forge/keys', {
      partner: 'Bad:Partner',
      game: 'G <b>',
      game_id: 'g-1',
      daily_quota: '10',
    });
    expect(badName.statusCode).toBe(400);
    expect(badName.body).toContain('role="alert"');
    expect(badName.body).toContain(
      'partner must be 1 to 64 letters, digits, spaces, dots, dashes or underscores',
    );
    expect(badName.body).toContain('value="Bad:Partner"'); // as typed, to correct
    expect(badName.body).toContain('value="G &lt;b&gt;"');
    expect(badName.body).not.toContain('data-copy="secret-');
    const badQuota = await web.post('/dashboard/forge/keys', {
      partner: 'p',
      game: 'g',
      game_id: 'g-2',
      daily_quota: 'lots',
    });
    expect(badQuota.statusCode).toBe(400);
    expect(badQuota.body).toContain('daily_quota must be a whole number ≥ 1');
    expect(badQuota.body).toContain('value="lots"');
    expect((await t.admin('GET', '/forge-keys')).json<unknown[]>()).toHaveLength(before);
    const noToken = await web.post(
      '/dashboard/forge/keys',
      { partner: 'p', game: 'g', game_id: 'g-3' },
      null,
    );
    expect(noToken.statusCode).toBe(403);
    expect((await t.admin('GET', '/forge-keys')).json<unknown[]>()).toHaveLength(before);
  });

  it('refuses the Forge keys page and its form to a member', async () => {
    await web.post(`/dashboard/d/${dash.id}/members`, {
      email: 'forge-member@studio.example',
      password: 'member password 42',
    });
    const member = new DashboardClient(t.app);
    expect(
      (
        await member.signIn({
          mode: 'member',
          email: 'forge-member@studio.example',
          password: 'member password 42',
        })
      ).statusCode,
    ).toBe(303);
    await member.get(`/dashboard/d/${dash.id}/ingestion`); // for the session's CSRF token
    expect(member.csrf).toBeDefined();
    const before = (await t.admin('GET', '/forge-keys')).json<unknown[]>().length;
    expect((await member.get('/dashboard/forge/keys')).statusCode).toBe(403);
    const post = await member.post('/dashboard/forge/keys', { partner: 'm', game: 'm', game_id: 'm-1' });
    expect(post.statusCode).toBe(403);
    expect(post.body).toContain('only the operator');
    expect((await t.admin('GET', '/forge-keys')).json<unknown[]>()).toHaveLength(before);
  });
});

/** A multipart upload through inject (the CSV endpoint). */
async function fetchInject(t: TestApp, url: string, key: string, form: FormData): Promise<number> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': request.headers.get('content-type')! },
    payload: Buffer.from(await request.arrayBuffer()),
  });
  return res.statusCode;
}
