import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCALES } from '../../src/survey/item-bank.js';
import { reportScores } from '../../src/survey/scoring.js';
import { SURVEY_LAYOUT } from '../../src/survey/survey-layout.js';
import { BACKENDS } from '../support/backends.js';
import { launchChromium } from '../support/browser.js';
import { ROOT } from '../support/server-process.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { answerFor, parsePage } from './survey-driver.js';

const OUTPUT = join(ROOT, 'test-output');
const PAGES = SURVEY_LAYOUT.pages.length;

/** Scale i is answered so that its keyed value is 1 + i mod 5: its score is then 25 × (i mod 5). */
const KEYED = new Map(SCALES.flatMap((s, i) => s.items.map((item) => [item.id, 1 + (i % 5)] as const)));
const answerOf = (id: string, failChecks = false) => answerFor(id, KEYED.get(id) ?? 3, failChecks);

function expectedScores() {
  return reportScores(new Map(SCALES.map((s, i) => [s.construct.code, 25 * (i % 5)])));
}

/** The first page: ticks the consent box (by keyboard) and starts the survey. */
async function consent(page: Page): Promise<void> {
  await page.locator('input[name=consent]').focus();
  await page.keyboard.press('Space');
  await Promise.all([page.waitForEvent('load'), page.locator('button[type=submit]').click()]);
}

/** The statements' ids on the page now showing, from its HTML. */
async function entryIds(page: Page): Promise<string[]> {
  return parsePage(await page.content()).entryIds;
}

/** What a form in the page offers to script: just enough, without the DOM's types. */
interface FormLike {
  querySelectorAll(selector: string): ArrayLike<{ click(): void }>;
}

type Input = 'keyboard' | 'mouse' | 'dom';

/**
 * Answers the showing page and sends it: by keyboard (focus the first answer, Space, arrows,
 * Enter on the button), by mouse clicks on the answers' labels, or — to keep the long survey
 * fast — by clicking the labels from inside the page (`label.click()`, one round trip a page);
 * the form is always submitted by the browser itself.
 */
async function answerShowingPage(page: Page, how: Input, failChecks = false): Promise<void> {
  const answers = (await entryIds(page)).map((id) => [id, answerOf(id, failChecks)] as const);
  if (how === 'dom') {
    await page.locator('form').evaluate((form: FormLike, chosen) => {
      for (const [id, value] of chosen) form.querySelectorAll(`#q-${id} label`)[value - 1]!.click();
    }, answers);
  }
  for (const [id, value] of answers) {
    if (how === 'keyboard') {
      await page.locator(`input[name="a_${id}"][value="1"]`).focus();
      await page.keyboard.press('Space');
      for (let k = 1; k < value; k++) await page.keyboard.press('ArrowRight');
    } else if (how === 'mouse') {
      await page
        .locator(`fieldset#q-${id} label`)
        .nth(value - 1)
        .click();
    }
  }
  if (how !== 'dom') {
    const chosen: string[] = [];
    for (const input of await page.locator('input[type=radio]:checked').all()) {
      chosen.push(`${await input.getAttribute('name')}=${await input.getAttribute('value')}`);
    }
    expect(chosen).toEqual(answers.map(([id, value]) => `a_${id}=${value}`));
  }
  if (how === 'keyboard') {
    await page.locator('button[type=submit]').focus();
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
  } else {
    await Promise.all([page.waitForEvent('load'), page.locator('button[type=submit]').click()]);
  }
}

async function showingPageNumber(page: Page): Promise<number> {
  return Number(await page.locator('input[name=page]').getAttribute('value'));
}

describe.each(BACKENDS)('the survey in a real browser on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let browser: Browser;
  let base: string;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${dash.keys.production}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: T }).data;
  };
  const register = (id: string) => api<{ token: string }>('POST', '/v1/assessment/user/register', { id });
  const statistics = async () =>
    (
      await api<{ data: { statistics: Record<'Partial' | 'Disqualified' | 'Complete', number> } }>(
        'GET',
        '/v1/assessment',
      )
    ).data.statistics;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    // A real speed check, set low enough for a machine clicking through: 1 ms per statement.
    t = await createTestApp(backend, { surveyMinMsPerItem: 1 });
    dash = await t.createDashboard('Browser game');
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    await t.close();
  });

  it('takes the survey to completion by keyboard and clicks; the traits are stored', async () => {
    const { token } = await register('browser-complete');
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const first = await page.goto(`${base}/survey?playerid=${token}`);
    expect(first?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Browser game: player survey');
    expect(await page.locator('main').textContent()).toContain('about 15 minutes');
    await page.screenshot({ path: join(OUTPUT, `survey-first-page-${backend}.png`), fullPage: true });
    // The start button does nothing until the box is ticked (the browser's own validation).
    await page.locator('button[type=submit]').click();
    expect(
      await page
        .locator('input[name=consent]')
        .evaluate((el: { validity: { valid: boolean } }) => el.validity.valid),
    ).toBe(false);
    await consent(page);
    expect(await page.locator('progress').getAttribute('max')).toBe(String(PAGES));
    await page.screenshot({ path: join(OUTPUT, `survey-page-1-${backend}.png`), fullPage: true });
    for (let p = 0; p < PAGES; p++) {
      expect(await showingPageNumber(page)).toBe(p);
      await expect
        .poll(() => page.locator('#progress-label').textContent())
        .toBe(`Page ${p + 1} of ${PAGES}`);
      await answerShowingPage(page, p === 0 ? 'keyboard' : p === 1 ? 'mouse' : 'dom');
    }
    expect(await page.locator('h1').textContent()).toBe('Thank you!');
    await page.screenshot({ path: join(OUTPUT, `survey-thank-you-${backend}.png`) });
    await context.close();

    const status = await api<{ completed: boolean; completed_at: number }>(
      'GET',
      '/v1/assessment/user/status?id=browser-complete',
    );
    expect(status.completed).toBe(true);
    const row = await t.store.db
      .selectFrom('trait_scores')
      .select('scores')
      .where('dashboard_id', '=', dash.id)
      .where('user_id', '=', 'browser-complete')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.scores)).toEqual(expectedScores());
    expect((await statistics()).Complete).toBe(1);
  });

  it('resumes where the player stopped: two pages, tab closed, same link → page 3 (Partial)', async () => {
    const before = await statistics();
    const { token } = await register('browser-resume');
    const link = `${base}/survey?playerid=${token}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link);
    await consent(page);
    await answerShowingPage(page, 'mouse');
    await answerShowingPage(page, 'dom');
    expect(await showingPageNumber(page)).toBe(2);
    await page.close();
    expect((await statistics()).Partial).toBe(before.Partial + 1);

    const again = await context.newPage();
    await again.goto(link);
    expect(await showingPageNumber(again)).toBe(2);
    expect(await again.locator('#progress-label').textContent()).toBe(`Page 3 of ${PAGES}`);
    await again.screenshot({ path: join(OUTPUT, `survey-resumed-desktop-${backend}.png`) });
    await context.close();
  });

  it('disqualifies a player who fails an attention check, with a polite page', async () => {
    const before = await statistics();
    const { token } = await register('browser-careless');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/survey?playerid=${token}`);
    await consent(page);
    const checkPage = SURVEY_LAYOUT.pages.findIndex((entries) => entries.some((e) => e.kind === 'check'));
    for (let p = 0; p <= checkPage; p++) await answerShowingPage(page, 'dom', true);
    expect(await page.locator('h1').textContent()).toBe('Thank you for your time');
    expect(await page.locator('main').textContent()).toContain('we cannot use your answers');
    await page.screenshot({ path: join(OUTPUT, `survey-disqualified-${backend}.png`) });
    await context.close();
    const after = await statistics();
    expect(after.Disqualified).toBe(before.Disqualified + 1);
  });
});
