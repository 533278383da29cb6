import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { DashboardClient } from './dashboard-client.js';

/** The dashboard routes' schemas: what they refuse, and that a refusal is the dashboard's own page. */
describe.each(BACKENDS)('dashboard route schemas on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let operator: DashboardClient;
  const longId = 'd'.repeat(101);
  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Schema game');
    operator = new DashboardClient(t.app);
    await operator.signInOperator();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a dashboard id over 100 characters with the error page (400), naming the field', async () => {
    const res = await operator.get(`/dashboard/d/${longId}/keys`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('params id must NOT have more than 100 characters');
    expect(res.body).toContain('<a href="/dashboard">Back to the dashboard</a>');
    // The pages' own script calls get the message as JSON.
    const tail = await operator.get(`/dashboard/d/${longId}/ingestion/tail`, { accept: 'application/json' });
    expect(tail.statusCode).toBe(400);
    expect(tail.json()).toEqual({ message: 'params id must NOT have more than 100 characters' });
    // An id within the bound still reaches the page, which says it does not exist.
    const unknown = await operator.get(`/dashboard/d/${'d'.repeat(100)}/keys`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain(`dashboard ${'d'.repeat(100)} does not exist`);
  });

  it('refuses a row id over 100 characters on a form post (400), after the CSRF check', async () => {
    await operator.get(`/dashboard/d/${dash.id}/keys`);
    const url = `/dashboard/d/${dash.id}/keys/${'k'.repeat(101)}/revoke`;
    const forged = await operator.post(url, {}, null);
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('this form has expired or did not come from this dashboard');
    const res = await operator.post(url, {});
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('params keyId must NOT have more than 100 characters');
  });

  it('refuses a form field that is not text (a JSON body) with the error page, naming the field', async () => {
    await operator.get('/dashboard/dashboards');
    const res = await t.app.inject({
      method: 'POST',
      url: '/dashboard/dashboards',
      headers: { cookie: `tf_session=${operator.session!}`, 'content-type': 'application/json' },
      payload: { _csrf: operator.csrf, name: 5 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('body name must be string');
    const listed = await operator.get('/dashboard/dashboards');
    expect(listed.body).not.toContain('>5<');
  });

  it('reads a post without a body as an empty form: the sign-in form has expired (403), not a 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/dashboard/sign-in' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('the sign-in form expired: please try again');
  });

  it('refuses an asset name over 100 characters (400) and serves the real ones', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/dashboard/assets/${'a'.repeat(101)}` });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('params name must NOT have more than 100 characters');
    const missing = await t.app.inject({ method: 'GET', url: '/dashboard/assets/none.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('no such asset');
  });
});
