import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SURVEY_LAYOUT } from '../../src/survey/survey-layout.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { takeSurvey } from '../survey/survey-driver.js';
import { DashboardClient } from './dashboard-client.js';

/** Markup without the whitespace between tags (the templates are formatted source). */
const squash = (body: string) => body.replace(/>\s+</g, '><').replace(/\s+/g, ' ');
const PASSWORD = 'correct horse battery';
const LINK = /value="(http:\/\/localhost:80\/survey\?playerid=([0-9a-f]{40}))"/;

/** The five figures of the page, in order: registered, requested, partial, disqualified, complete. */
function counts(body: string): number[] {
  const grid =
    /<div class="grid" id="survey-counts">(.*?)<\/div><(?:section|h2)/s.exec(squash(body))?.[1] ?? '';
  return [...grid.matchAll(/<b>([\d,]+)<\/b>/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
}

describe.each(BACKENDS)('dashboard survey page on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;
  let web: DashboardClient;

  const register = async (id: string, key = dash.keys.production) => {
    const res = await t.call('POST', '/v1/assessment/user/register', key, { id });
    expect(res.statusCode).toBe(200);
    return res.json<{ data: { token: string } }>().data.token;
  };
  const open = (token: string) => t.app.inject({ method: 'GET', url: `/survey?playerid=${token}` });
  /** Answers `pages` pages of the player's survey (all of them by default), failing checks if asked. */
  const answer = (token: string, pages?: number, failChecks = false) =>
    takeSurvey(t.app, token, { ...(pages === undefined ? {} : { pages }), failChecks });

  beforeAll(async () => {
    t = await createTestApp(backend, { surveyMinMsPerItem: 0 });
    dash = await t.createDashboard('Survey game');
    other = await t.createDashboard('Other game');
    web = new DashboardClient(t.app);
    await web.signInOperator();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is a tab of every dashboard; empty, it shows the register command and the link form', async () => {
    const res = await web.get(`/dashboard/d/${dash.id}/survey`);
    expect(res.statusCode).toBe(200);
    const body = squash(res.body);
    expect(body).toContain(`<a href="/dashboard/d/${dash.id}/survey" aria-current="page">Survey</a>`);
    expect(body.indexOf('>Files</a>')).toBeLessThan(body.indexOf('>Survey</a>'));
    expect(body.indexOf('>Survey</a>')).toBeLessThan(body.indexOf('>Members</a>'));
    expect(counts(res.body)).toEqual([0, 0, 0, 0, 0]);
    expect(body).toContain('No production player registered for the survey yet.');
    expect(body).toContain('curl -X POST http://localhost:80/v1/assessment/user/register');
    expect(body).toContain('&lt;your production key&gt;');
    expect(body).toContain(`action="/dashboard/d/${dash.id}/survey/link?env=production"`);
    expect(body).toContain('<label for="user-id">');
    expect(body).toContain('aria-current="true">production');
    expect(body).not.toContain('chart.umd.min.js');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('counts players per stage and lists the newest, per environment', async () => {
    await register('p-requested');
    await answer(await register('p-partial'), 1);
    await answer(await register('p-complete'));
    await answer(await register('p-out'), SURVEY_LAYOUT.pages.length, true);
    await register('s-only', dash.keys.sandbox);
    const res = await web.get(`/dashboard/d/${dash.id}/survey?env=production`);
    expect(counts(res.body)).toEqual([4, 1, 1, 1, 1]);
    const body = squash(res.body);
    expect(body).not.toContain('No production player registered');
    expect(body).toContain('4 registrations, newest first');
    expect(body).toMatch(
      /p-complete<\/td><td><span class="badge ok">complete<\/span><\/td><td class="when">\d{4}-/,
    );
    expect(body).toMatch(
      /p-out<\/td><td><span class="badge bad">disqualified<\/span><\/td><td[^>]*>[^<]+<\/td><td[^>]*>—/,
    );
    expect(body).toMatch(/p-partial<\/td><td><span class="badge ">partial/);
    // A finished survey's careless-responding indices: rushed pages, long string, even–odd, D², signals.
    const completeRow = /<td class="mono">p-complete<\/td>.*?<\/tr>/.exec(body)![0];
    expect(completeRow).toMatch(
      /<td class="num">\d+<\/td><td class="num">\d+<\/td><td class="num">–<\/td><td class="num">–<\/td><td> (none|speed) <\/td><\/tr>$/,
    );
    expect(body).toMatch(/p-out<\/td>.*?<td> attention_check <\/td>/);
    // No reliability figures from a handful of surveys: the count, and why.
    expect(body).toContain('No reliability figures yet: 1 complete survey in production');
    expect(body).not.toContain('s-only');
    // The API's figures agree.
    const api = await t.call('GET', '/v1/assessment', dash.keys.production);
    expect(api.json<{ data: { data: { statistics: unknown } } }>().data.data.statistics).toEqual({
      Partial: 1,
      Disqualified: 1,
      Complete: 1,
    });

    const sandbox = await web.get(`/dashboard/d/${dash.id}/survey?env=sandbox`);
    expect(counts(sandbox.body)).toEqual([1, 1, 0, 0, 0]);
    expect(sandbox.body).toContain('s-only');
    expect(sandbox.body).not.toContain('p-complete');
    expect(counts((await web.get(`/dashboard/d/${other.id}/survey`)).body)).toEqual([0, 0, 0, 0, 0]);
  });

  it('lists newest first, bounded', async () => {
    const { SurveyRepository } = await import('../../src/survey/survey.repository.js');
    const repo = new SurveyRepository(t.store.db);
    const scope = { dashboardId: 'dsh_bounded', environment: 'production' as const };
    for (let i = 0; i < 5; i++) await repo.addParticipant(scope, `u${i}`, 1000 + i);
    const rows = await repo.recentParticipants(scope, 3);
    expect(rows.map((r) => [r.user_id, r.registered_at, r.completed_at])).toEqual([
      ['u4', 1004, null],
      ['u3', 1003, null],
      ['u2', 1002, null],
    ]);
  });

  it('makes a working survey link in the POST’s answer only; CSRF is required', async () => {
    await web.get(`/dashboard/d/${dash.id}/survey?env=sandbox`);
    const url = `/dashboard/d/${dash.id}/survey/link?env=sandbox`;
    expect((await web.post(url, { user_id: 'form-player' }, null)).statusCode).toBe(403);
    expect((await web.post(url, { user_id: 'form-player' }, 'not-the-token')).statusCode).toBe(403);

    const res = await web.post(url, { user_id: ' form-player<b> ' });
    expect(res.statusCode).toBe(200);
    const [, link, token] = LINK.exec(res.body)!;
    expect(res.body).toContain('data-copy="survey-link"');
    expect(res.body).toContain('A survey link for player form-player&lt;b&gt; is ready below.');
    expect(res.body).not.toContain('form-player<b>');
    expect(res.body).toMatch(/Works until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(link).toContain(token);
    // The player is registered in sandbox, as through the API, and the link opens the survey.
    expect(counts(res.body)).toEqual([2, 2, 0, 0, 0]);
    const survey = await open(token!);
    expect(survey.statusCode).toBe(200);
    // The link opens on the survey's first page: the game's name and the consent box.
    expect(survey.body).toContain('<h1>Survey game: player survey</h1>');
    expect(survey.body).toContain('name="consent"');
    const status = await t.call(
      'GET',
      `/v1/assessment/user/status?id=${encodeURIComponent('form-player<b>')}`,
      dash.keys.sandbox,
    );
    expect(status.statusCode).toBe(200);
    // Never shown again.
    expect((await web.get(`/dashboard/d/${dash.id}/survey?env=sandbox`)).body).not.toContain(token!);

    const empty = await web.post(url, { user_id: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('a user id is 1 to 256 characters');
    expect(empty.body).not.toMatch(LINK);
    expect((await web.post(url, { user_id: 'x'.repeat(257) })).statusCode).toBe(400);
  });

  it('says when the player already finished: the link shows the thank-you page', async () => {
    await web.get(`/dashboard/d/${dash.id}/survey`);
    const res = await web.post(`/dashboard/d/${dash.id}/survey/link?env=production`, {
      user_id: 'p-complete',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('This player already finished the survey (completed)');
    const token = LINK.exec(res.body)![2]!;
    expect((await open(token)).body).toContain('Thank you!');
  });

  it('is open to the dashboard’s members, and to no other dashboard’s', async () => {
    await web.get(`/dashboard/d/${dash.id}/members`);
    const added = await web.post(`/dashboard/d/${dash.id}/members`, {
      email: 'sue@studio.example',
      password: PASSWORD,
    });
    expect(added.statusCode).toBe(303);
    const member = new DashboardClient(t.app);
    expect(
      (await member.signIn({ mode: 'member', email: 'sue@studio.example', password: PASSWORD })).statusCode,
    ).toBe(303);
    const own = await member.get(`/dashboard/d/${dash.id}/survey`);
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('>Survey</a>');
    expect(own.body).not.toContain('>Members</a>');
    const made = await member.post(`/dashboard/d/${dash.id}/survey/link?env=production`, {
      user_id: 'm-player',
    });
    expect(made.statusCode).toBe(200);
    expect(made.body).toMatch(LINK);

    expect((await member.get(`/dashboard/d/${other.id}/survey`)).statusCode).toBe(404);
    const foreign = await member.post(`/dashboard/d/${other.id}/survey/link?env=production`, {
      user_id: 'x',
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toMatch(LINK);
    expect(counts((await web.get(`/dashboard/d/${other.id}/survey`)).body)).toEqual([0, 0, 0, 0, 0]);
  });
});
