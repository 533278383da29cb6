import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateRespondents } from '../../bench/psychometrics/simulation.js';
import { ITEMS, isSkippable } from '../../src/survey/item-bank.js';
import { SURVEY_LAYOUT } from '../../src/survey/survey-layout.js';
import { SurveyRepository } from '../../src/survey/survey.repository.js';
import { SurveyService } from '../../src/survey/survey.service.js';
import { MEASURED_CONSTRUCTS, TRAIT_CATEGORIES } from '../../src/survey/trait-catalogue.js';
import { BACKENDS } from '../support/backends.js';
import { ADMIN_TOKEN, createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { answerFor, CONSENT_FORM, pageForm, parsePage } from './survey-driver.js';

interface Env<T> {
  code: number;
  message: string;
  data: T;
}
interface Registration {
  expires_at: number;
  token: string;
  status: string;
}
interface Details {
  result_ok: boolean;
  data: {
    status: string;
    created_on: string;
    modified_on: string;
    completed_at: number;
    type: string;
    title: string;
    internal_title: string;
    statistics: { Partial: number; Disqualified: number; Complete: number };
  };
}

const PAGES = SURVEY_LAYOUT.pages.length;

describe.each(BACKENDS)('assessment API and survey page on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;

  const post = (token: string, body: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/survey?playerid=${token}`,
      payload: body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  const registerOnly = async (id: string, key = dash.keys.production) => {
    const res = await t.call('POST', '/v1/assessment/user/register', key, { id });
    expect(res.statusCode).toBe(200);
    return res.json<Env<Registration>>().data;
  };
  /** Registers the player and gives the first page's consent, as the player would. */
  const register = async (id: string, key = dash.keys.production) => {
    const registration = await registerOnly(id, key);
    await post(registration.token, CONSENT_FORM);
    return registration;
  };
  const status = (id: string, key = dash.keys.production) =>
    t.call('GET', `/v1/assessment/user/status?id=${encodeURIComponent(id)}`, key);
  const statistics = async (key = dash.keys.production) =>
    (await t.call('GET', '/v1/assessment', key)).json<Env<Details>>().data.data.statistics;
  const open = (token: string) => t.app.inject({ method: 'GET', url: `/survey?playerid=${token}` });
  /** Answers the current page; answers its redirect target. */
  const answerPage = async (token: string, answer = (id: string) => answerFor(id)) => {
    const page = parsePage((await open(token)).body);
    const res = await post(token, pageForm(page, answer));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/survey?playerid=${token}`);
    return page;
  };

  beforeAll(async () => {
    // The speed check is tested below with a service of its own; here pages may be answered at once.
    t = await createTestApp(backend, { surveyMinMsPerItem: 0 });
    dash = await t.createDashboard('Survey game');
    other = await t.createDashboard('Other game');
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers a player: 200 {expires_at, token, status:"requested"} in the envelope', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await t.call('POST', '/v1/assessment/user/register', dash.keys.production, { id: 'p-shape' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Env<Registration>>();
    expect(Object.keys(body)).toEqual(['code', 'message', 'data']);
    expect(body.code).toBe(200);
    expect(body.message).toBe('');
    expect(Object.keys(body.data).sort()).toEqual(['expires_at', 'status', 'token']);
    expect(body.data.token).toMatch(/^[0-9a-f]{40}$/);
    expect(body.data.status).toBe('requested');
    expect(Number.isInteger(body.data.expires_at)).toBe(true);
    expect(body.data.expires_at).toBeGreaterThanOrEqual(before + 30 * 86400 - 1);
    expect(body.data.expires_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 30 * 86400);
  });

  it('stores only a hash of the token', async () => {
    const { token } = await register('p-hash');
    const rows = await t.store.db
      .selectFrom('survey_tokens')
      .selectAll()
      .where('user_id', '=', 'p-hash')
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bad registrations with 400/401 and a clear message', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /body id is required/],
      [{ id: '' }, /id/],
      [{ id: 'x'.repeat(257) }, /id must NOT have more than 256 characters/],
      [{ id: 1001 }, /id must be string/],
      [[], /body/],
    ];
    for (const [body, message] of cases) {
      const res = await t.call('POST', '/v1/assessment/user/register', dash.keys.production, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<Env<null>>()).toMatchObject({
        code: 400,
        message: expect.stringMatching(message),
        data: null,
      });
    }
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/assessment/user/register',
      headers: { authorization: `Bearer ${dash.keys.production}`, 'content-type': 'application/json' },
      payload: '{"id": ',
    });
    expect(bad.statusCode).toBe(400);
    expect((await t.call('POST', '/v1/assessment/user/register', undefined, { id: 'a' })).statusCode).toBe(
      401,
    );
    expect((await t.call('POST', '/v1/assessment/user/register', 'nope', { id: 'a' })).statusCode).toBe(401);
    expect((await t.call('GET', '/v1/assessment', undefined)).statusCode).toBe(401);
    expect((await t.call('GET', '/v1/assessment/user/status?id=a', undefined)).statusCode).toBe(401);
  });

  it('answers the status: 404 for a player never registered, then {completed:false, completed_at:0}', async () => {
    const unknown = await status('never-seen');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<Env<null>>()).toEqual({
      code: 404,
      message: expect.stringContaining('"never-seen" was never registered for the survey'),
      data: null,
    });
    await register('p-status');
    const res = await status('p-status');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: 200, message: '', data: { completed: false, completed_at: 0 } });
    expect((await t.call('GET', '/v1/assessment/user/status', dash.keys.production)).statusCode).toBe(400);
    const long = await status('y'.repeat(257));
    expect(long.statusCode).toBe(400);
  });

  it('answers the survey details exactly as documented, with live counts', async () => {
    const res = await t.call('GET', '/v1/assessment', other.keys.production);
    expect(res.statusCode).toBe(200);
    const body = res.json<Env<Details>>();
    expect(body.code).toBe(200);
    expect(body.message).toBe('survey details');
    expect(body.data.result_ok).toBe(true);
    expect(body.data.data).toEqual({
      status: 'Launched',
      created_on: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      modified_on: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      completed_at: 0,
      type: 'Standard Survey',
      title: '12traits Survey',
      internal_title: '12traits Survey',
      statistics: { Partial: 0, Disqualified: 0, Complete: 0 },
    });
    expect(body.data.data.modified_on >= body.data.data.created_on).toBe(true);
  });

  it('opens on a first page with the game, the purpose, the time it takes and a consent box', async () => {
    const { token } = await registerOnly('p-intro');
    const intro = await open(token);
    expect(intro.statusCode).toBe(200);
    expect(intro.body).toContain('<h1>Survey game: player survey</h1>');
    expect(intro.body).toContain('<strong>Why:</strong>');
    expect(intro.body).toContain(
      `${SURVEY_LAYOUT.entryCount} short statements on ${PAGES} pages, about 15 minutes`,
    );
    expect(intro.body).toContain('name="consent" value="yes" required');
    expect(intro.body).toContain('Prefer not to answer');
    expect(intro.body).not.toContain('name="nonce"');
    // Without the box ticked: the page again, 400, with the reason; no question yet.
    const refused = await post(token, 'consent_form=1');
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Please tick the box to agree');
    expect((await open(token)).body).toContain('name="consent_form"');
    // A page form before consent changes nothing.
    expect((await post(token, 'page=0&nonce=00')).statusCode).toBe(303);
    expect((await post(token, CONSENT_FORM)).statusCode).toBe(303);
    expect(parsePage((await open(token)).body).page).toBe(0);
    const row = await t.store.db
      .selectFrom('survey_participants')
      .select('consented_at')
      .where('user_id', '=', 'p-intro')
      .executeTakeFirstOrThrow();
    expect(Math.abs(Number(row.consented_at) - Date.now())).toBeLessThan(60_000);
  });

  it('serves the first page: real radios in fieldsets, a progress bar, strict headers', async () => {
    const { token } = await register('p-page');
    const res = await open(token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    const html = res.body;
    expect(html).toContain(`<progress aria-labelledby="progress-label" max="${PAGES}" value="0">`);
    expect(html).toContain(`Page 1 of ${PAGES}`);
    expect(html).not.toMatch(/<script|https?:\/\//);
    const page = parsePage(html);
    expect(page.page).toBe(0);
    expect(page.entryIds).toEqual(SURVEY_LAYOUT.pages[0]!.map((e) => e.id));
    expect(html.match(/<fieldset/g)).toHaveLength(page.entryIds.length);
    expect(html.match(/<legend>/g)).toHaveLength(page.entryIds.length);
    const skippable = page.entryIds.filter(isSkippable).length;
    expect(html.match(/type="radio"/g)).toHaveLength(page.entryIds.length * 5 + skippable);
    // A reload shows the same page with the same nonce: the page's clock is not restarted.
    expect(parsePage((await open(token)).body).nonce).toBe(page.nonce);
  });

  it('re-renders an incomplete page with 400, the chosen answers kept and the gaps named', async () => {
    const { token } = await register('p-incomplete');
    const page = parsePage((await open(token)).body);
    const [first, second] = page.entryIds;
    const res = await post(
      token,
      pageForm(page, (id) => (id === first ? answerFor(id) : undefined)),
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('role="alert"');
    expect(res.body).toContain(
      `Please answer every statement on this page (${page.entryIds.length - 1} left)`,
    );
    expect(res.body).toContain(`name="a_${first}" value="${answerFor(first!)}" required checked`);
    expect(res.body).toContain(`<fieldset id="q-${second}" aria-invalid="true"`);
    // Out-of-range values are no answer either.
    const wild = await post(
      token,
      pageForm(page, (id) => (id === first ? 9 : answerFor(id))),
    );
    expect(wild.statusCode).toBe(400);
    expect(parsePage((await open(token)).body).page).toBe(0);
  });

  it('ignores a stale or forged form (wrong nonce, wrong page) and refuses cross-site posts', async () => {
    const { token } = await register('p-stale');
    const page = parsePage((await open(token)).body);
    const forged = await post(
      token,
      pageForm({ ...page, nonce: '0'.repeat(32) }, (id) => answerFor(id)),
    );
    expect(forged.statusCode).toBe(303);
    const wrongPage = await post(
      token,
      pageForm({ ...page, page: 1 }, (id) => answerFor(id)),
    );
    expect(wrongPage.statusCode).toBe(303);
    expect(parsePage((await open(token)).body).page).toBe(0);
    const cross = await post(
      token,
      pageForm(page, (id) => answerFor(id)),
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(cross.statusCode).toBe(403);
    expect(parsePage((await open(token)).body).page).toBe(0);
    // The same form twice (a double click): the second changes nothing.
    await post(
      token,
      pageForm(page, (id) => answerFor(id)),
    );
    await post(
      token,
      pageForm(page, (id) => answerFor(id)),
    );
    expect(parsePage((await open(token)).body).page).toBe(1);
  });

  it('saves answers page by page: Partial, resumable from another registration', async () => {
    const first = await register('p-resume');
    await answerPage(first.token);
    await answerPage(first.token);
    expect((await statistics()).Partial).toBeGreaterThanOrEqual(1);
    const again = await register('p-resume');
    expect(again.status).toBe('requested');
    expect(again.token).not.toBe(first.token);
    // Both links lead to the same progress.
    expect(parsePage((await open(again.token)).body).page).toBe(2);
    expect(parsePage((await open(first.token)).body).page).toBe(2);
    const stored = await t.store.db
      .selectFrom('survey_responses')
      .select(['item_id', 'value'])
      .where('dashboard_id', '=', dash.id)
      .where('user_id', '=', 'p-resume')
      .execute();
    expect(stored).toHaveLength(SURVEY_LAYOUT.pages[0]!.length + SURVEY_LAYOUT.pages[1]!.length);
  });

  it('asks a player part-way through a survey begun before the consent page, then continues', async () => {
    const { token } = await register('p-earlier');
    await answerPage(token);
    await t.store.db
      .updateTable('survey_participants')
      .set({ consented_at: null })
      .where('user_id', '=', 'p-earlier')
      .execute();
    expect((await open(token)).body).toContain('name="consent_form"');
    expect((await post(token, CONSENT_FORM)).statusCode).toBe(303);
    expect(parsePage((await open(token)).body).page).toBe(1);
  });

  it('completes: scores every trait into trait_scores, status completed, counted, link says thank you', async () => {
    const before = await statistics();
    const { token } = await register('p-complete');
    for (let p = 0; p < PAGES; p++) {
      const page = await answerPage(token);
      expect(page.page).toBe(p);
    }
    const done = await open(token);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Thank you!');
    const res = await status('p-complete');
    const data = res.json<Env<{ completed: boolean; completed_at: number }>>().data;
    expect(data.completed).toBe(true);
    expect(Math.abs(data.completed_at - Date.now() / 1000)).toBeLessThan(60);
    const row = await t.store.db
      .selectFrom('trait_scores')
      .selectAll()
      .where('dashboard_id', '=', dash.id)
      .where('user_id', '=', 'p-complete')
      .executeTakeFirstOrThrow();
    expect(row.environment).toBe('production');
    expect(Math.floor(row.completed_at / 1000)).toBe(data.completed_at);
    const scores = JSON.parse(row.scores) as Record<string, Record<string, number>>;
    expect(Object.keys(scores)).toEqual(Object.keys(TRAIT_CATEGORIES));
    // Keyed 4 everywhere: 75 under every name, 25 under a name for the opposite pole.
    const expected: Record<string, Record<string, number>> = {};
    for (const construct of MEASURED_CONSTRUCTS) {
      for (const name of construct.reportedAs) {
        (expected[name.category] ??= {})[name.trait] = name.reversed ? 25 : 75;
      }
    }
    expected.personality = Object.fromEntries(TRAIT_CATEGORIES.personality.map((d) => [d, 75]));
    for (const [category, traits] of Object.entries(TRAIT_CATEGORIES)) {
      expect(Object.keys(scores[category]!)).toEqual([...traits]);
      expect(scores[category]).toEqual(expected[category]);
    }
    expect(scores.competitiveness!.Avoidant).toBe(25);
    expect(scores.motivations!.Dominance).toBe(scores.extraversion!.Assertiveness);
    const after = await statistics();
    expect(after.Complete).toBe(before.Complete + 1);
    // Registering again does not reopen it.
    const again = await register('p-complete');
    expect(again.status).toBe('completed');
    expect((await open(again.token)).body).toContain('Thank you!');
  });

  it('disqualifies on a failed attention check, with a polite page', async () => {
    const before = await statistics();
    const { token } = await register('p-careless');
    const checkPage = SURVEY_LAYOUT.pages.findIndex((p) => p.some((e) => e.kind === 'check'));
    for (let p = 0; p <= checkPage; p++) await answerPage(token, (id) => answerFor(id, 4, true));
    const res = await open(token);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('we cannot use your answers');
    expect((await status('p-careless')).json<Env<{ completed: boolean }>>().data.completed).toBe(false);
    expect((await register('p-careless')).status).toBe('disqualified');
    const after = await statistics();
    expect(after.Disqualified).toBe(before.Disqualified + 1);
    const participant = await t.store.db
      .selectFrom('survey_participants')
      .selectAll()
      .where('user_id', '=', 'p-careless')
      .executeTakeFirstOrThrow();
    expect(participant.disqualified_reason).toBe('attention_check');
  });

  /** A service with the speed check on (2 s a statement): every page of these tests is rushed. */
  const strictService = () => new SurveyService(new SurveyRepository(t.store.db), { minMsPerItem: 2000 });
  const scope = () => ({ dashboardId: dash.id, environment: 'production' as const });
  /** Takes the survey through the service, answering each statement with `answer`; the views seen. */
  const takeWith = async (service: SurveyService, userId: string, answer: (id: string) => number) => {
    const { token } = await service.register(scope(), userId);
    await service.consent(token, true);
    const views = [];
    for (;;) {
      const view = await service.view(token);
      views.push(view);
      if (view.kind !== 'page') return views;
      const answers = new Map(view.entries.map((e) => [e.id, answer(e.id)]));
      expect(await service.submit(token, { page: view.page, nonce: view.nonce, answers })).toEqual({
        kind: 'redirect',
      });
    }
  };
  const participant = (userId: string) =>
    t.store.db
      .selectFrom('survey_participants')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();

  it('warns after a rushed page, and does not disqualify on speed alone', async () => {
    const views = await takeWith(strictService(), 'p-rusher', (id) => answerFor(id));
    const pages = views.flatMap((v) => (v.kind === 'page' ? [v] : []));
    expect(pages[0]!.warnRushed).toBe(false);
    expect(pages[1]!.warnRushed).toBe(true);
    expect(views.at(-1)!.kind).toBe('completed');
    const row = await participant('p-rusher');
    expect(row.rushed_pages).toBe(PAGES);
    expect(row.careless_signals).toBe('speed');
    expect(row.disqualified_reason).toBeNull();
  });

  it('disqualifies on two careless signals: a rushed straight-liner, a rushed random responder', async () => {
    // Passes every attention check but answers "Agree" to everything else.
    const straight = await takeWith(strictService(), 'p-straight', (id) =>
      id.startsWith('chk') ? answerFor(id) : 4,
    );
    expect(straight.at(-1)!.kind).toBe('disqualified');
    const s = await participant('p-straight');
    expect(s.disqualified_reason).toBe('careless:long_string+speed');
    expect(s.long_string).toBeGreaterThanOrEqual(ITEMS.length - 10);
    // Random answers (seeded), attention checks passed.
    let state = 7;
    const random = () => {
      state = (state * 48271) % 2147483647;
      return 1 + (state % 5);
    };
    const noisy = await takeWith(strictService(), 'p-random', (id) =>
      id.startsWith('chk') ? answerFor(id) : random(),
    );
    expect(noisy.at(-1)!.kind).toBe('disqualified');
    const r = await participant('p-random');
    expect(r.disqualified_reason).toBe('careless:even_odd+speed');
    expect(r.even_odd!).toBeLessThan(0.3);
    expect(
      await t.store.db
        .selectFrom('trait_scores')
        .select('user_id')
        .where('user_id', 'in', ['p-straight', 'p-random'])
        .execute(),
    ).toEqual([]);
  });

  it('lets a player skip health and mood statements, and scores without them', async () => {
    const { token } = await register('p-skip');
    const first = parsePage((await open(token)).body);
    const plain = first.entryIds.find((id) => !id.startsWith('chk') && !isSkippable(id))!;
    // "Prefer not to answer" (0) is no answer to an ordinary statement.
    const refused = await post(
      token,
      pageForm(first, (id) => (id === plain ? 0 : answerFor(id))),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain(`<fieldset id="q-${plain}" aria-invalid="true"`);
    for (let p = 0; p < PAGES; p++) await answerPage(token, (id) => (isSkippable(id) ? 0 : answerFor(id)));
    expect((await open(token)).body).toContain('Thank you!');
    const row = await t.store.db
      .selectFrom('trait_scores')
      .select('scores')
      .where('user_id', '=', 'p-skip')
      .executeTakeFirstOrThrow();
    const scores = JSON.parse(row.scores) as Record<string, Record<string, number>>;
    expect(scores.wellBeing).not.toHaveProperty('Sleep');
    expect(scores.neuroticism).not.toHaveProperty('Anxiety');
    expect(scores.wellBeing!.Grit).toBe(75);
    // Neuroticism is the mean of the facets answered.
    expect(scores.personality!.Neuroticism).toBe(75);
    const skipped = await t.store.db
      .selectFrom('survey_responses')
      .select('item_id')
      .where('user_id', '=', 'p-skip')
      .where('value', '=', 0)
      .execute();
    expect(skipped.length).toBe(ITEMS.filter((i) => isSkippable(i.id)).length);
  });

  it('reports reliability only from 100 complete surveys on (admin API)', async () => {
    const fresh = await t.createDashboard('Reliability game');
    const url = `/admin/v1/dashboards/${fresh.id}/survey/reliability?environment=sandbox`;
    const admin = (path: string) => t.call('GET', path, ADMIN_TOKEN);
    const none = await admin(url);
    expect(none.statusCode).toBe(200);
    expect(none.json()).toMatchObject({ available: false, complete: 0, minimum: 100, scales: [] });
    expect(none.json<{ message: string }>().message).toContain('0 complete surveys in sandbox');
    // 120 stored complete surveys from simulated players whose answers follow the constructs.
    const people = simulateRespondents({ respondents: 120, seed: 3 });
    const now = Date.now();
    await t.store.db
      .insertInto('survey_participants')
      .values(
        people.map((_, i) => ({
          dashboard_id: fresh.id,
          environment: 'sandbox' as const,
          user_id: `sim-${i}`,
          status: 'completed' as const,
          page: PAGES - 1,
          page_nonce: null,
          page_shown_at: null,
          rushed_pages: 0,
          disqualified_reason: null,
          registered_at: now,
          updated_at: now,
          completed_at: now + i,
          consented_at: now,
          long_string: null,
          even_odd: null,
          mahalanobis: null,
          careless_signals: '',
        })),
      )
      .execute();
    const responses = people.flatMap((p, i) =>
      [...p.answers].map(([item_id, value]) => ({
        dashboard_id: fresh.id,
        environment: 'sandbox' as const,
        user_id: `sim-${i}`,
        item_id,
        value,
        answered_at: now,
      })),
    );
    for (let i = 0; i < responses.length; i += 2000) {
      await t.store.db
        .insertInto('survey_responses')
        .values(responses.slice(i, i + 2000))
        .execute();
    }
    const res = await admin(url);
    expect(res.statusCode).toBe(200);
    const report = res.json<{
      available: boolean;
      respondents: number;
      scales: {
        construct: string;
        reported_as: string[];
        alpha: { value: number; low: number; high: number };
        omega: { value: number };
      }[];
    }>();
    expect(report.available).toBe(true);
    expect(report.respondents).toBe(120);
    expect(report.scales).toHaveLength(MEASURED_CONSTRUCTS.length);
    for (const scale of report.scales) {
      expect(scale.alpha.value, scale.construct).toBeGreaterThan(0.3);
      expect(scale.alpha.low).toBeLessThanOrEqual(scale.alpha.value);
      expect(scale.alpha.high).toBeGreaterThanOrEqual(scale.alpha.value);
      expect(scale.omega.value, scale.construct).toBeGreaterThan(0.3);
    }
    expect(report.scales.find((s) => s.construct === 'competitiveness')!.reported_as).toContain(
      '-competitiveness.Avoidant',
    );
    // Production has none: the environments never mix.
    expect((await admin(url.replace('sandbox', 'production'))).json()).toMatchObject({ available: false });
    expect((await admin(`/admin/v1/dashboards/nope/survey/reliability`)).statusCode).toBe(404);
    expect((await admin(`${url}&x=1`)).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
  });

  it('tells the completion listener once the scores are committed', async () => {
    const completions: string[][] = [];
    const service = new SurveyService(new SurveyRepository(t.store.db), {
      minMsPerItem: 0,
      onCompleted: (d, e, u) => {
        completions.push([d, e, u]);
        throw new Error('a failing listener changes nothing');
      },
    });
    const scope = { dashboardId: dash.id, environment: 'sandbox' as const };
    const { token } = await service.register(scope, 'p-listener');
    await service.consent(token, true);
    for (;;) {
      const view = await service.view(token);
      if (view.kind !== 'page') {
        expect(view.kind).toBe('completed');
        break;
      }
      const answers = new Map(view.entries.map((e) => [e.id, answerFor(e.id, 2)]));
      await service.submit(token, { page: view.page, nonce: view.nonce, answers });
    }
    expect(completions).toEqual([[dash.id, 'sandbox', 'p-listener']]);
    const row = await t.store.db
      .selectFrom('trait_scores')
      .select('scores')
      .where('user_id', '=', 'p-listener')
      .where('environment', '=', 'sandbox')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.scores)).toMatchObject({
      personality: { Openness: 25 },
      wellBeing: { Purpose: 25 },
    });
  });

  it('shows a 404 page for an unknown, malformed or missing link and a 410 page for an expired one', async () => {
    for (const url of ['/survey?playerid=' + 'a'.repeat(40), '/survey?playerid=<b>x</b>', '/survey']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('This survey link is not valid');
      expect(res.body).not.toContain('<b>x</b>');
    }
    const { token } = await register('p-expired');
    await t.store.db
      .updateTable('survey_tokens')
      .set({ expires_at: Date.now() - 1000 })
      .where('user_id', '=', 'p-expired')
      .execute();
    const res = await open(token);
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('This survey link has expired');
    expect(res.body).toContain('ask the game for a new link');
    expect((await post(token, 'page=0&nonce=00')).statusCode).toBe(410);
    // A new registration gives a working link again.
    expect((await open((await register('p-expired')).token)).statusCode).toBe(200);
  });

  it("scopes everything to the key's dashboard and environment", async () => {
    await register('p-scoped');
    expect((await status('p-scoped', other.keys.production)).statusCode).toBe(404);
    expect((await status('p-scoped', dash.keys.sandbox)).statusCode).toBe(404);
    expect(await statistics(other.keys.production)).toEqual({ Partial: 0, Disqualified: 0, Complete: 0 });
    expect((await statistics(dash.keys.sandbox)).Complete).toBe(1); // p-listener, sandbox only
    const own = await statistics();
    const completed = await t.store.db
      .selectFrom('survey_participants')
      .select('user_id')
      .where('dashboard_id', '=', dash.id)
      .where('environment', '=', 'production')
      .where('status', '=', 'completed')
      .execute();
    expect(own.Complete).toBe(completed.length);
    // The same user id registered elsewhere is a different player.
    const elsewhere = await register('p-complete', other.keys.production);
    expect(elsewhere.status).toBe('requested');
    expect(parsePage((await open(elsewhere.token)).body).page).toBe(0);
  });

  it('documents the endpoints in /openapi.json', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    for (const path of [
      '/v1/assessment/user/register',
      '/v1/assessment/user/status',
      '/v1/assessment',
      '/survey',
      '/admin/v1/dashboards/{id}/survey/reliability',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
  });
});
