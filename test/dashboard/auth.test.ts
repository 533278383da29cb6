import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { SecretBox } from '../../src/tenancy/secret-box.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { DashboardClient } from './dashboard-client.js';

const PASSWORD = 'correct horse battery';

describe.each(BACKENDS)('dashboard sign-in, sessions and CSRF on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;
  let operator: DashboardClient;
  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Member game');
    other = await t.createDashboard('Other game');
    operator = new DashboardClient(t.app);
    await operator.signInOperator();
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends a visitor without a session to the sign-in page, keeping where they were going', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/dashboard/d/${dash.id}/keys` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(
      `/dashboard/sign-in?next=${encodeURIComponent(`/dashboard/d/${dash.id}/keys`)}`,
    );
    const json = await t.app.inject({
      method: 'GET',
      url: `/dashboard/d/${dash.id}/ingestion/tail?env=production`,
      headers: { accept: 'application/json' },
    });
    expect(json.statusCode).toBe(401);
    const page = await t.app.inject({ method: 'GET', url: '/dashboard/sign-in' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="email">E-mail</label>');
    expect(page.body).toContain('href="#main"');
  });

  it('signs the operator in with the admin token: an HttpOnly SameSite=Lax cookie, stored hashed with an expiry', async () => {
    const client = new DashboardClient(t.app);
    const wrong = await client.signIn({ mode: 'operator', token: `${ADMIN_TOKEN}x` });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('that is not the admin token');
    const res = await client.signIn({ mode: 'operator', token: ADMIN_TOKEN }, '/dashboard/forge/keys');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/dashboard/forge/keys');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(
      /tf_session=[\w-]{43}; Path=\/dashboard; Max-Age=43200; HttpOnly; SameSite=Lax/,
    );
    expect(setCookie).not.toContain('Secure'); // plain HTTP here; HTTPS adds it
    const rows = await t.store.db.selectFrom('dashboard_sessions').selectAll().execute();
    const hash = createHash('sha256').update(client.session!).digest('hex');
    const row = rows.find((r) => r.id_hash === hash)!;
    expect(row).toBeDefined();
    expect(rows.some((r) => r.id_hash === client.session)).toBe(false);
    expect(row.expires_at - row.created_at).toBe(12 * 3600 * 1000);
    expect((await client.get('/dashboard/dashboards')).statusCode).toBe(200);
  });

  it('marks the cookie Secure when the browser came over HTTPS (through a trusted proxy)', async () => {
    const proxied = await createTestApp(backend, { trustedProxies: ['127.0.0.1'] });
    try {
      const form = await proxied.app.inject({
        method: 'GET',
        url: '/dashboard/sign-in',
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(String(form.headers['set-cookie'])).toMatch(/tf_login=[^;]+;.*HttpOnly; SameSite=Lax; Secure/);
      const login = /tf_login=([^;]+)/.exec(String(form.headers['set-cookie']))![1]!;
      const res = await proxied.app.inject({
        method: 'POST',
        url: '/dashboard/sign-in',
        headers: {
          'x-forwarded-proto': 'https',
          cookie: `tf_login=${login}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: new URLSearchParams({ _login: login, mode: 'operator', token: ADMIN_TOKEN }).toString(),
      });
      expect(res.statusCode).toBe(303);
      expect(String(res.headers['set-cookie'])).toMatch(/tf_session=[^;]+;.*HttpOnly; SameSite=Lax; Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('refuses a sign-in form that did not come from the sign-in page, and never redirects off-site', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `mode=operator&token=${ADMIN_TOKEN}`,
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['set-cookie']).not.toMatch(/tf_session=[^;]/);
    const client = new DashboardClient(t.app);
    const offsite = await client.signIn({ mode: 'operator', token: ADMIN_TOKEN }, '//evil.example/x');
    expect(offsite.headers.location).toBe('/dashboard');
  });

  it('refuses every POST of a session without its CSRF token (403), and with another session’s token', async () => {
    const before = (await t.admin('GET', '/dashboards')).json<unknown[]>().length;
    const missing = await operator.post('/dashboard/dashboards', { name: 'No token' }, null);
    expect(missing.statusCode).toBe(403);
    expect(missing.body).toContain('reload the page');
    const wrong = await operator.post('/dashboard/dashboards', { name: 'Wrong token' }, 'x'.repeat(43));
    expect(wrong.statusCode).toBe(403);
    const second = new DashboardClient(t.app);
    await second.signInOperator();
    expect(second.csrf).not.toBe(operator.csrf);
    const foreign = await operator.post('/dashboard/dashboards', { name: 'Foreign token' }, second.csrf);
    expect(foreign.statusCode).toBe(403);
    for (const url of [
      `/dashboard/d/${dash.id}/keys`,
      `/dashboard/d/${dash.id}/members`,
      '/dashboard/sign-out',
    ]) {
      expect(
        (await operator.post(url, { environment: 'sandbox', email: 'a@b.example', password: PASSWORD }, null))
          .statusCode,
      ).toBe(403);
    }
    expect((await t.admin('GET', '/dashboards')).json<unknown[]>().length).toBe(before);
    const ok = await operator.post('/dashboard/dashboards', { name: 'With token' });
    expect(ok.statusCode).toBe(200);
    expect((await t.admin('GET', '/dashboards')).json<unknown[]>().length).toBe(before + 1);
  });

  it('lets the operator create members; their passwords are stored as salted scrypt hashes', async () => {
    const short = await operator.post(`/dashboard/d/${dash.id}/members`, {
      email: 'ana@studio.example',
      password: 'short',
    });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('at least 10 characters');
    const res = await operator.post(`/dashboard/d/${dash.id}/members`, {
      email: 'Ana@Studio.example',
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(303);
    const again = await operator.post(`/dashboard/d/${other.id}/members`, {
      email: 'ana@studio.example',
      password: PASSWORD,
    });
    expect(again.statusCode).toBe(409);
    await operator.post(`/dashboard/d/${other.id}/members`, {
      email: 'bo@studio.example',
      password: PASSWORD,
    });
    const rows = await t.store.db.selectFrom('dashboard_members').selectAll().execute();
    expect(rows.map((r) => r.email).sort()).toEqual(['ana@studio.example', 'bo@studio.example']);
    for (const row of rows) {
      expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[\w+/]{22}==\$[\w+/]{86}==$/);
      expect(row.password_hash).not.toContain(PASSWORD);
    }
    expect(rows[0]!.password_hash.split('$')[4]).not.toBe(rows[1]!.password_hash.split('$')[4]);
    expect((await operator.get(`/dashboard/d/${dash.id}/members`)).body).toContain('ana@studio.example');
  });

  it('refuses a member’s wrong password and lets them into their own dashboard only', async () => {
    const member = new DashboardClient(t.app);
    const wrong = await member.signIn({
      mode: 'member',
      email: 'ana@studio.example',
      password: 'not the password',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('wrong e-mail or password');
    expect(member.session).toBeUndefined();
    const unknown = await member.signIn({
      mode: 'member',
      email: 'nobody@studio.example',
      password: PASSWORD,
    });
    expect(unknown.statusCode).toBe(401);
    const res = await member.signIn({ mode: 'member', email: 'ANA@studio.example', password: PASSWORD });
    expect(res.statusCode).toBe(303);
    const home = await t.app.inject({
      method: 'GET',
      url: '/dashboard',
      headers: { cookie: `tf_session=${member.session!}` },
    });
    expect(home.headers.location).toBe(`/dashboard/d/${dash.id}/ingestion`);
    expect((await member.get(`/dashboard/d/${dash.id}/ingestion`)).statusCode).toBe(200);
    expect((await member.get(`/dashboard/d/${dash.id}/keys`)).statusCode).toBe(200);
    expect((await member.get(`/dashboard/d/${other.id}/ingestion`)).statusCode).toBe(404);
    expect((await member.get(`/dashboard/d/${other.id}/keys`)).statusCode).toBe(404);
    expect((await member.post(`/dashboard/d/${other.id}/keys`, { environment: 'sandbox' })).statusCode).toBe(
      404,
    );
    expect((await member.get('/dashboard/dashboards')).statusCode).toBe(403);
    expect((await member.get(`/dashboard/d/${dash.id}/members`)).statusCode).toBe(403);
    expect((await member.get('/dashboard/forge/keys')).statusCode).toBe(403);
    expect(
      (await member.post(`/dashboard/d/${dash.id}/members`, { email: 'x@y.example', password: PASSWORD }))
        .statusCode,
    ).toBe(403);
    // A member manages their dashboard's keys.
    const created = await member.post(`/dashboard/d/${dash.id}/keys`, { environment: 'sandbox' });
    expect(created.statusCode).toBe(200);
    expect(created.body).toMatch(/value="tf_test_[\w-]{43}"/);
  });

  it('throttles sign-in: after 5 failures for an address even the right password waits', async () => {
    const client = new DashboardClient(t.app);
    await operator.post(`/dashboard/d/${dash.id}/members`, {
      email: 'cy@studio.example',
      password: PASSWORD,
    });
    for (let i = 0; i < 5; i++) {
      expect(
        (await client.signIn({ mode: 'member', email: 'cy@studio.example', password: `wrong-${i}-password` }))
          .statusCode,
      ).toBe(401);
    }
    const blocked = await client.signIn({ mode: 'member', email: 'cy@studio.example', password: PASSWORD });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain('too many failed sign-ins');
    expect(client.session).toBeUndefined();
  });

  it('signs out (the session row goes), and a removed member’s session stops working at once', async () => {
    const client = new DashboardClient(t.app);
    await client.signInOperator();
    const out = await client.post('/dashboard/sign-out', {});
    expect(out.statusCode).toBe(303);
    expect((await client.get('/dashboard/dashboards')).statusCode).toBe(303);

    const member = new DashboardClient(t.app);
    await operator.post(`/dashboard/d/${other.id}/members`, {
      email: 'di@studio.example',
      password: PASSWORD,
    });
    await member.signIn({ mode: 'member', email: 'di@studio.example', password: PASSWORD });
    expect((await member.get(`/dashboard/d/${other.id}/ingestion`)).statusCode).toBe(200);
    const row = await t.store.db
      .selectFrom('dashboard_members')
      .select('id')
      .where('email', '=', 'di@studio.example')
      .executeTakeFirstOrThrow();
    await operator.get(`/dashboard/d/${other.id}/members`);
    expect((await operator.post(`/dashboard/d/${other.id}/members/${row.id}/delete`, {})).statusCode).toBe(
      303,
    );
    expect((await member.get(`/dashboard/d/${other.id}/ingestion`)).statusCode).toBe(303);
  });

  it('ends operator sessions when the admin token changes', async () => {
    const { DashboardAuthService } = await import('../../src/dashboard/dashboard-auth.service.js');
    const { DashboardAuthRepository } = await import('../../src/dashboard/dashboard-auth.repository.js');
    const client = new DashboardClient(t.app);
    await client.signInOperator();
    const repo = new DashboardAuthRepository(t.store.db);
    const secrets = () => SecretBox.open(undefined, t.database.dataDir);
    const same = new DashboardAuthService(repo, {} as never, ADMIN_TOKEN, secrets);
    const rotated = new DashboardAuthService(repo, {} as never, 'a-brand-new-admin-token-42', secrets);
    const off = new DashboardAuthService(repo, {} as never, undefined, secrets);
    // Another server key (another server's data dir) does not recognise the session either.
    const otherKey = new DashboardAuthService(repo, {} as never, ADMIN_TOKEN, () =>
      SecretBox.fromKey('ab'.repeat(32)),
    );
    expect(await same.viewer(client.session)).toMatchObject({ kind: 'operator' });
    expect(await rotated.viewer(client.session)).toBeUndefined();
    expect(await off.viewer(client.session)).toBeUndefined();
    expect(await otherKey.viewer(client.session)).toBeUndefined();
  });

  it('stores the admin token of operator sessions as a keyed hash; 0011 deletes the unsalted ones', async () => {
    const client = new DashboardClient(t.app);
    await client.signInOperator();
    const hash = createHash('sha256').update(client.session!).digest('hex');
    const row = await t.store.db
      .selectFrom('dashboard_sessions')
      .select('operator_token_hash')
      .where('id_hash', '=', hash)
      .executeTakeFirstOrThrow();
    const key = readFileSync(join(t.database.dataDir, 'secret.key'), 'utf8').trim();
    expect(row.operator_token_hash).toBe(
      SecretBox.fromKey(key).keyedHash('dashboard operator token', ADMIN_TOKEN),
    );
    expect(row.operator_token_hash).not.toBe(createHash('sha256').update(ADMIN_TOKEN).digest('hex'));

    // A session stored by an older server, and the migration run again over it.
    await operator.post(`/dashboard/d/${dash.id}/members`, {
      email: 'eve@studio.example',
      password: PASSWORD,
    });
    const member = new DashboardClient(t.app);
    await member.signIn({ mode: 'member', email: 'eve@studio.example', password: PASSWORD });
    expect(member.session).toBeDefined();
    await t.store.db
      .insertInto('dashboard_sessions')
      .values({
        id_hash: 'old-operator-session',
        member_id: null,
        operator_token_hash: createHash('sha256').update(ADMIN_TOKEN).digest('hex'),
        csrf_token: 'x',
        created_at: Date.now(),
        expires_at: Date.now() + 60_000,
      })
      .execute();
    await sql`delete from traitforge_migrations where name = '0011-hardening'`.execute(t.store.db);
    expect(await t.store.migrate()).toEqual(['0011-hardening']);
    const left = await t.store.db.selectFrom('dashboard_sessions').selectAll().execute();
    expect(left.filter((r) => r.member_id === null)).toEqual([]);
    expect((await member.get(`/dashboard/d/${dash.id}/ingestion`)).statusCode).toBe(200);
  });

  it('treats an expired session as none', async () => {
    const client = new DashboardClient(t.app);
    await client.signInOperator();
    const hash = createHash('sha256').update(client.session!).digest('hex');
    await t.store.db
      .updateTable('dashboard_sessions')
      .set({ expires_at: Date.now() - 1 })
      .where('id_hash', '=', hash)
      .execute();
    expect((await client.get('/dashboard/dashboards')).statusCode).toBe(303);
  });

  it('is off for operators without an admin token, and pages are not in the OpenAPI document', async () => {
    const off = await createTestApp(backend, { adminToken: undefined });
    try {
      const page = await off.app.inject({ method: 'GET', url: '/dashboard/sign-in' });
      expect(page.body).not.toContain('Sign in as operator');
      const client = new DashboardClient(off.app);
      expect((await client.signIn({ mode: 'operator', token: ADMIN_TOKEN })).statusCode).toBe(403);
    } finally {
      await off.close();
    }
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard'))).toEqual([]);
  });
});
