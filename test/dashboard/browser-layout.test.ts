import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../src/domain/timestamp.js';
import { launchChromium } from '../support/browser.js';
import { ROOT } from '../support/server-process.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { operatorSession, signedInPage, VIEWPORTS, type Session, type Viewport } from './browser-session.js';

const SHOTS = join(ROOT, 'test-output', 'dashboard');

/** How the page's boxes measure, read in the page (tests compile without DOM types). */
interface Measures {
  viewport: number;
  page: number;
  /** The live tail's card and its scrolling wrapper. */
  card: number;
  wrap: { scroll: number; client: number; overflowX: string };
  /** Each count card's label: text, its full width, its box's width. */
  labels: { text: string; scroll: number; client: number }[];
}
const MEASURE = `(() => {
  const wrap = document.getElementById('live-tail')?.closest('.table-wrap');
  const card = wrap?.closest('.card');
  return {
    viewport: window.innerWidth,
    page: document.documentElement.scrollWidth,
    card: card ? card.getBoundingClientRect().width : -1,
    wrap: wrap
      ? { scroll: wrap.scrollWidth, client: wrap.clientWidth, overflowX: getComputedStyle(wrap).overflowX }
      : { scroll: -1, client: -1, overflowX: '' },
    labels: [...document.querySelectorAll('.stat .stat-label')].map((l) => ({
      text: l.textContent,
      scroll: l.scrollWidth,
      client: l.clientWidth,
    })),
  };
})()`;

/** Every count card label is laid out (a box, not a bare inline) and no wider than its box. */
function expectLabelsFit(m: Measures): void {
  expect(m.labels.length).toBeGreaterThan(0);
  for (const label of m.labels) {
    expect(label.client, label.text).toBeGreaterThan(0);
    expect(label.scroll, label.text).toBeLessThanOrEqual(label.client);
  }
}

/**
 * Layout in a real browser: a wide table scrolls inside its card instead of widening the card
 * and the page, and count cards hold their labels, at desktop and phone widths. SQLite only.
 */
describe('dashboard layout in Chromium', () => {
  let t: TestApp;
  let dash: TestDashboard;
  let base: string;
  let browser: Browser;
  let session: Session;

  const push = async (path: string, field: string, records: Record<string, unknown>[]) => {
    const res = await t.call('POST', path, dash.keys.production, { [field]: records });
    expect(res.statusCode, res.body).toBe(201);
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp('sqlite');
    dash = await t.createDashboard('Layout game');
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    const now = formatTimestamp(Date.now());
    // Long values without spaces: the first-record cell cannot wrap, so the table is very wide.
    const long = 'x'.repeat(250);
    await push('/v1/actions', 'actions', [
      { timestamp: now, user_id: long, action_id: long, action_name: long },
    ]);
    // The longest type names, as count card labels.
    await push('/v1/virtual-purchases', 'virtual_purchases', [
      { timestamp: now, user_id: 'u1', item_id: 'i1', count: 1, virtual_price: 2, currency: 'gold' },
    ]);
    await push('/v1/social-dynamics', 'social_dynamics', [
      { timestamp: now, user_id: 'u1', target_user_id: 'u2', connection: 'linked', interaction: 'friend' },
    ]);
    session = await operatorSession(browser, base);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(viewport: Viewport, path: string): Promise<Page> {
    const page = await signedInPage(browser, session, viewport);
    await page.goto(`${base}${path}`);
    return page;
  }

  for (const viewport of VIEWPORTS) {
    it(`scrolls the wide last-batches table inside its card, and fits count labels (${viewport.name})`, async () => {
      const page = await open(viewport, `/dashboard/d/${dash.id}/ingestion`);
      await page.waitForSelector('#live-tail tbody td.mono');
      const m = await page.evaluate<Measures>(MEASURE);
      await page.screenshot({ path: join(SHOTS, `layout-ingestion-${viewport.name}.png`), fullPage: true });
      expect(m.viewport).toBe(viewport.width);
      expect(m.wrap.overflowX).toBe('auto');
      expect(m.wrap.scroll).toBeGreaterThan(m.wrap.client); // the table is wider: it scrolls in place
      expect(m.card).toBeGreaterThan(0);
      expect(m.card).toBeLessThanOrEqual(m.viewport);
      expect(m.page).toBeLessThanOrEqual(m.viewport);
      expect(m.labels.map((l) => l.text).sort()).toEqual(['actions', 'social_dynamics', 'virtual_purchases']);
      expectLabelsFit(m);
      await page.context().close();
    });

    it(`fits the survey's count labels (${viewport.name})`, async () => {
      const page = await open(viewport, `/dashboard/d/${dash.id}/survey`);
      const m = await page.evaluate<Measures>(MEASURE);
      await page
        .locator('#survey-counts')
        .screenshot({ path: join(SHOTS, `layout-survey-counts-${viewport.name}.png`) });
      expect(m.labels.map((l) => l.text)).toContain('Requested (not started)');
      expectLabelsFit(m);
      expect(m.page).toBeLessThanOrEqual(m.viewport);
      await page.context().close();
    });

    it(`creates a Forge key from its page; the form and the new key fit the screen (${viewport.name})`, async () => {
      const page = await open(viewport, '/dashboard/forge/keys');
      await page.fill('#partner', `Partner ${viewport.name}`);
      await page.fill('#game', 'Layout Quest');
      await page.fill('#game-id', `layout-${viewport.name}`);
      await page.fill('#daily-quota', '1000');
      await Promise.all([
        page.waitForURL('**/dashboard/forge/keys'),
        page.click('button:text("Create Forge key")'),
      ]);
      const key = await page.inputValue('input[id^="secret-fk_"]');
      expect(Buffer.from(key, 'base64').toString()).toMatch(
        new RegExp(`^Partner ${viewport.name}:Layout Quest:layout-${viewport.name}:[A-Za-z0-9]{12}$`),
      );
      expect(await page.textContent('pre[id^="curl-fk_"]')).toContain(`${base}/player/playtime`);
      await page.screenshot({ path: join(SHOTS, `layout-forge-keys-${viewport.name}.png`), fullPage: true });
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      await page.context().close();
    });
  }
}, 180_000);
