import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

/** A caller's mistake on the insights routes: a 400/401/404 in the 12traits envelope, never a 5xx. */
describe.each(EVENT_BACKENDS)('insights errors on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;

  const get = (url: string) => t.call('GET', url, dash.keys.production);
  const expectError = async (url: string, status: number, message: RegExp) => {
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(status);
    const body = res.json<{ code: number; message: string; data: unknown }>();
    expect(body.code).toBe(status);
    expect(body.message).toMatch(message);
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a missing or malformed range', async () => {
    await expectError('/v1/insights/daily?to=2024-03-01', 400, /from/);
    await expectError(
      '/v1/insights/daily?from=2024-03-01&to=2024-02-30',
      400,
      /to must be a date YYYY-MM-DD/,
    );
    await expectError('/v1/insights/daily?from=03/01/2024&to=2024-03-02', 400, /from must be a date/);
    await expectError('/v1/insights/daily?from=2024-03-02&to=2024-03-01', 400, /must not be before from/);
    await expectError('/v1/insights/retention?from=2023-01-01&to=2024-01-02', 400, /367 days; at most 366/);
  });

  it('accepts a range of exactly 366 days', async () => {
    const res = await get('/v1/insights/daily?from=2024-01-01&to=2024-12-31');
    expect(res.statusCode).toBe(200);
    expect(res.json<{ data: { days: unknown[] } }>().data.days).toHaveLength(366);
  });

  it('refuses a bad persona, days list or segment', async () => {
    const range = 'from=2024-03-01&to=2024-03-02';
    await expectError(
      `/v1/insights/daily?${range}&persona=0`,
      400,
      /persona must be all, none or a persona number/,
    );
    await expectError(`/v1/insights/daily?${range}&persona=first`, 400, /persona must be/);
    await expectError(`/v1/insights/retention?${range}&days=1,x`, 400, /days must be a comma-separated list/);
    await expectError(`/v1/insights/retention?${range}&days=400`, 400, /from 0 to 366/);
    await expectError(`/v1/insights/retention?${range}&days=`, 400, /days must be/);
    await expectError(`/v1/insights/daily?${range}&segment=seg_nope`, 404, /segment seg_nope does not exist/);
    await expectError(`/v1/insights/daily?${range}&format=xml`, 400, /format/);
  });

  it('requires a 12traits key', async () => {
    const res = await t.call('GET', '/v1/insights/daily?from=2024-03-01&to=2024-03-02', undefined);
    expect(res.statusCode).toBe(401);
    const admin = await t.call(
      'GET',
      `/admin/v1/dashboards/${dash.id}/insights/daily?from=2024-03-01&to=2024-03-02`,
      dash.keys.production,
    );
    expect(admin.statusCode).toBe(401);
  });
});
