import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTraitScores, surveyedPlayers } from '../personas/factory.js';
import { launchChromium } from '../support/browser.js';
import { ROOT } from '../support/server-process.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/test-app.js';

/** Screenshots land here for a person to look at (CI keeps test-output/). */
const SHOTS = join(ROOT, 'test-output', 'dashboard');
const PASSWORD = 'member password 42';

/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the app
 * listening on 127.0.0.1: the operator's whole first-day path, a member, the phone layout.
 * SQLite only: the pages' storage rules are covered on both backends by the inject tests.
 */
describe('dashboard in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];
  let dashboardId = '';
  let productionKey = '';

  const push = (key: string, users: string[]) =>
    fetch(`${base}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        actions: users.map((u) => ({ user_id: u, action_id: 'a', action_name: 'play' })),
      }),
    });
  const watch = (p: Page) => {
    p.on('request', (r) => requests.push(r.url()));
    p.on('console', (m) => {
      // The refusals this test provokes on purpose (wrong password 401, missing CSRF token 403) log too.
      if (m.type() === 'error' && !/status of 40[13] /.test(m.text())) problems.push(m.text());
    });
    p.on('pageerror', (e) => problems.push(e.message));
    p.on('dialog', (d) => void d.accept());
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp('sqlite');
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    watch(page);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs the operator in with the admin token; the first Tab reaches the skip link', async () => {
    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('text=Sign in as operator');
    await expect.poll(() => page.textContent('[role=alert]')).toContain('that is not the admin token');
    await page.fill('#token', ADMIN_TOKEN);
    await Promise.all([page.waitForURL('**/dashboard/dashboards'), page.click('text=Sign in as operator')]);
    expect(await page.textContent('h1')).toBe('Dashboards');
    expect(await page.textContent('main')).toContain('No dashboards yet.');
  });

  it('creates a dashboard: both keys shown once, copy button, the first push command', async () => {
    await page.fill('#name', 'Browser game');
    await Promise.all([
      page.waitForURL('**/dashboard/dashboards'),
      page.click('button:text("Create dashboard")'),
    ]);
    expect(await page.textContent('[role=status]')).toContain('Dashboard Browser game is ready.');
    const secrets = await page.evaluate<string[]>(
      `[...document.querySelectorAll('input[id^="secret-"]')].map((i) => i.value)`,
    );
    expect(secrets).toHaveLength(2);
    productionKey = secrets.find((s) => s.startsWith('tf_live_'))!;
    expect(productionKey).toMatch(/^tf_live_[\w-]{43}$/);
    const copy = page.locator('button[data-copy^="secret-"]').first();
    await copy.click();
    await expect.poll(() => copy.textContent()).toBe('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(productionKey);
    expect(await page.textContent('pre[id^="curl-"]')).toContain(`${base}/v1/actions`);
    dashboardId = (await page.textContent('.crumb .mono'))!.trim();
    expect(dashboardId).toMatch(/^dsh_/);
    await page.screenshot({ path: join(SHOTS, 'keys-created.png'), fullPage: true });
  });

  it('shows a pushed batch on the ingestion chart, and new batches in the live tail', async () => {
    expect((await push(productionKey, ['p1', 'p2', 'p3'])).status).toBe(201);
    await Promise.all([page.waitForURL('**/ingestion'), page.click('nav.sub >> text=Ingestion')]);
    // The page's own globals (Chart.js, the DOM) are reached with expressions: tests compile without DOM types.
    await page.waitForFunction(`window.Chart && Chart.getChart('ingestion-chart') !== undefined`);
    const total = await page.evaluate(
      `Chart.getChart('ingestion-chart').data.datasets.map((d) => [d.label, d.data.reduce((a, b) => a + b, 0)])`,
    );
    expect(total).toEqual([['actions', 3]]);
    // The canvas has been drawn on: count painted pixels.
    const painted = await page.evaluate<{ n: number; of: number }>(`(() => {
      const c = document.getElementById('ingestion-chart');
      const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) n++;
      return { n, of: pixels.length / 4 };
    })()`);
    expect(painted.n).toBeGreaterThan(500);
    expect(painted.n).toBeLessThan(painted.of);
    await page.locator('.chart-box').screenshot({ path: join(SHOTS, 'ingestion-chart.png') });
    await page.screenshot({ path: join(SHOTS, 'ingestion.png'), fullPage: true });

    expect((await push(productionKey, ['tail-player'])).status).toBe(201);
    await page.waitForSelector('#live-tail tbody >> text=tail-player', { timeout: 15_000 });
    expect(await page.textContent('#live-tail-status')).toContain('Live: checked at');
  });

  it('switches between production and sandbox', async () => {
    await Promise.all([
      page.waitForURL('**/ingestion?env=sandbox'),
      page.click('.env-switch >> text=sandbox'),
    ]);
    expect(await page.getAttribute('.env-switch a[aria-current="true"]', 'href')).toContain('env=sandbox');
    expect(await page.textContent('main')).toContain('No sandbox records in the last 30 days.');
    expect(await page.$('#ingestion-chart')).toBeNull();
    await Promise.all([
      page.waitForURL('**/ingestion?env=production'),
      page.click('.env-switch >> text=production'),
    ]);
    expect(await page.$('#ingestion-chart')).not.toBeNull();
  });

  it('refuses a POST without the CSRF token (403)', async () => {
    const status = await page.evaluate(async (id) => {
      const res = await fetch(`/dashboard/d/${id}/keys`, {
        method: 'POST',
        body: new URLSearchParams({ environment: 'sandbox' }),
      });
      return res.status;
    }, dashboardId);
    expect(status).toBe(403);
  });

  it('makes a survey link from the Survey tab with the keyboard; the link opens the survey', async () => {
    await Promise.all([page.waitForURL('**/survey'), page.click('nav.sub >> text=Survey')]);
    expect(await page.textContent('main')).toContain('No production player registered for the survey yet.');
    await page.focus('#user-id');
    await page.keyboard.type('browser-player');
    await Promise.all([page.waitForURL('**/survey/link?env=production'), page.keyboard.press('Enter')]);
    expect(await page.textContent('[role=status]')).toContain('A survey link for player browser-player');
    const link = await page.inputValue('#survey-link');
    expect(link).toMatch(new RegExp(`^${base}/survey\\?playerid=[0-9a-f]{40}$`));
    const copy = page.locator('button[data-copy="survey-link"]');
    await copy.click();
    await expect.poll(() => copy.textContent()).toBe('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(link);
    await page.screenshot({ path: join(SHOTS, 'survey-link.png'), fullPage: true });
    expect((await fetch(link)).status).toBe(200);
  });

  it('computes personas from the Personas tab and draws each one’s radar chart', async () => {
    await insertTraitScores(t.store.db, dashboardId, 'production', surveyedPlayers(2, 30, 'radar'));
    await Promise.all([page.waitForURL('**/personas'), page.click('nav.sub >> text=Personas')]);
    expect(await page.textContent('main')).toContain('not computed for this segment in production');
    await Promise.all([
      page.waitForURL('**/personas/recompute?**'),
      page.click('button:text("Recompute now")'),
    ]);
    expect(await page.textContent('[role=status]')).toContain('Personas recomputed in production');
    await page.waitForFunction(`window.Chart && Chart.getChart('persona-radar-1') !== undefined`);
    expect(await page.evaluate(`Chart.getChart('persona-radar-1').config.type`)).toBe('radar');
    const painted = await page.evaluate<number>(`(() => {
      const c = document.getElementById('persona-radar-1');
      const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) n++;
      return n;
    })()`);
    expect(painted).toBeGreaterThan(500);
    await page.screenshot({ path: join(SHOTS, 'personas.png'), fullPage: true });
  });

  it('revokes the key: the next push with it is refused with 401', async () => {
    await Promise.all([page.waitForURL('**/keys'), page.click('nav.sub >> text=Keys')]);
    const prefix = productionKey.slice(0, 14);
    await Promise.all([
      page.waitForURL('**/keys?done=revoked'),
      page.click(`button[aria-label="Revoke key ${prefix}"]`),
    ]);
    expect(await page.textContent('[role=status]')).toContain('The key is revoked');
    expect(await page.textContent('main')).toContain('revoked');
    expect((await push(productionKey, ['late'])).status).toBe(401);
  });

  it('lets a member in with the right password only, to their dashboard, on a phone-sized screen', async () => {
    await Promise.all([page.waitForURL('**/members'), page.click('nav.sub >> text=Members')]);
    await page.fill('#email', 'ana@studio.example');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL('**/members?done=added'), page.click('button:text("Add member")')]);

    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const member = await phone.newPage();
    watch(member);
    await member.goto(`${base}/dashboard/sign-in`);
    await member.screenshot({ path: join(SHOTS, 'sign-in-phone.png'), fullPage: true });
    await member.fill('#email', 'ana@studio.example');
    await member.fill('#password', 'wrong password!');
    await member.click('button:text("Sign in")');
    await expect.poll(() => member.textContent('[role=alert]')).toContain('wrong e-mail or password');
    expect(await phone.cookies()).not.toContainEqual(expect.objectContaining({ name: 'tf_session' }));
    await member.fill('#email', 'ana@studio.example');
    await member.fill('#password', PASSWORD);
    await Promise.all([
      member.waitForURL(`**/dashboard/d/${dashboardId}/ingestion`),
      member.click('button:text("Sign in")'),
    ]);
    const session = (await phone.cookies()).find((c) => c.name === 'tf_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/dashboard' });
    await member.waitForSelector('#ingestion-chart');
    // Nothing is wider than the phone: tables scroll inside their own box.
    expect(await member.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await member.$('nav.sub >> text=Members')).toBeNull();
    await member.screenshot({ path: join(SHOTS, 'ingestion-phone.png'), fullPage: true });
    await phone.close();
  });

  it('asked no other origin and logged no script or CSP error', () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((url) => !url.startsWith(base))).toEqual([]);
    expect(problems).toEqual([]);
  });
}, 180_000);
