import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { ROOT } from '../support/server-process.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { operatorSession, signedInPage, VIEWPORTS, type Session, type Viewport } from './browser-session.js';
import { D, date, seedInsights } from './insights-seed.js';

const SHOTS = join(ROOT, 'test-output', 'dashboard');

/** How the charts and their tables measure, read in the page (tests compile without DOM types). */
interface Measures {
  viewport: number;
  page: number;
  charts: { id: string; width: number; height: number; marks: number; legend: string[] }[];
  /** The DAU chart's box and its table's box. */
  dau: { chart: Box; table: Box };
}
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
const MEASURE = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
  return {
    viewport: window.innerWidth,
    page: document.documentElement.scrollWidth,
    charts: [...document.querySelectorAll('figure.chart')].map((f) => {
      const svg = f.querySelector('svg[role="img"]').getBoundingClientRect();
      return {
        id: f.id,
        width: svg.width,
        height: svg.height,
        marks: f.querySelectorAll('svg [data-value]').length,
        legend: [...f.querySelectorAll('.legend li')].map((li) => li.textContent.trim()),
      };
    }),
    dau: {
      chart: box(document.getElementById('dau-chart')),
      table: box(document.querySelector('#dau .chart-table')),
    },
  };
})()`;

/**
 * The Insights page in a real browser: its SVG charts render at a size with their legends under
 * the dashboard's CSP, tables sit beside the charts on a wide screen and below them on a phone,
 * and the range form changes the figures. SQLite only; screenshots in test-output/dashboard/.
 */
describe('insights page in Chromium', () => {
  let t: TestApp;
  let dash: TestDashboard;
  let base: string;
  let browser: Browser;
  let session: Session;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp('sqlite');
    dash = await t.createDashboard('Insights game');
    await seedInsights(t, dash, await t.createDashboard('Other game'));
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    session = await operatorSession(browser, base);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** The page at a viewport, with every console error (a CSP refusal among them) collected. */
  async function open(viewport: Viewport, path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await signedInPage(browser, session, viewport);
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}${path}`);
    return { page, errors };
  }

  for (const viewport of VIEWPORTS) {
    it(`draws the charts with legends and tables, within the screen (${viewport.name})`, async () => {
      const { page, errors } = await open(viewport, `/dashboard/d/${dash.id}/insights`);
      const m = await page.evaluate<Measures>(MEASURE);
      await page.screenshot({ path: join(SHOTS, `insights-${viewport.name}.png`), fullPage: true });
      expect(errors).toEqual([]);
      expect(m.charts.map((c) => c.id)).toEqual([
        'dau-chart',
        'retention-chart',
        'revenue-chart',
        'arpdau-chart',
      ]);
      for (const chart of m.charts) {
        expect(chart.width, chart.id).toBeGreaterThan(200);
        expect(chart.height, chart.id).toBeGreaterThan(80);
        expect(chart.width, chart.id).toBeLessThanOrEqual(m.viewport);
        expect(chart.marks, chart.id).toBeGreaterThan(0);
      }
      expect(m.charts[0]!.legend).toEqual(['Persona 1', 'Persona 2', 'No persona']);
      expect(m.charts[1]!.legend).toEqual(['Persona 1', 'Persona 2', 'No persona', 'All players (dashed)']);
      expect(m.charts[0]!.marks).toBe(5); // the DAU stacks of D and D+1
      expect(m.page).toBeLessThanOrEqual(m.viewport);
      if (viewport.name === 'desktop') {
        // Beside: the table starts right of the chart, on the same row.
        expect(m.dau.table.left).toBeGreaterThanOrEqual(m.dau.chart.right);
        expect(m.dau.table.top).toBeLessThan(m.dau.chart.bottom);
      } else {
        expect(m.dau.table.top).toBeGreaterThanOrEqual(m.dau.chart.bottom);
      }
      await page.context().close();
    });
  }

  it('changes the range through the form', async () => {
    const { page, errors } = await open(VIEWPORTS[0], `/dashboard/d/${dash.id}/insights`);
    await page.fill('#from', date(D + 1));
    await page.fill('#to', date(D + 1));
    await Promise.all([
      page.waitForURL(`**/insights?env=production&from=${date(D + 1)}**`),
      page.click('text=Show'),
    ]);
    expect(new URL(page.url()).searchParams.get('to')).toBe(date(D + 1));
    const days = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#dau tbody tr')].map((r) => [...r.children].map((c) => c.textContent.trim()).join(' '))`,
    );
    expect(days).toEqual([`${date(D + 1)} 1 1 1 3`]);
    const marks = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#dau-chart svg [data-value]')].map((e) => e.getAttribute('data-series') + '=' + e.getAttribute('data-value'))`,
    );
    expect(marks).toEqual(['Persona 1=1', 'Persona 2=1', 'No persona=1']);
    await page.screenshot({ path: join(SHOTS, 'insights-one-day-desktop.png'), fullPage: true });
    // A range the wrong way round: the message on the page, the form kept.
    await page.fill('#from', date(D + 2));
    await Promise.all([
      page.waitForURL(`**/insights?env=production&from=${date(D + 2)}**`),
      page.click('text=Show'),
    ]);
    expect(await page.textContent('[role="alert"]')).toBe(
      `to (${date(D + 1)}) must not be before from (${date(D + 2)})`,
    );
    expect(await page.inputValue('#from')).toBe(date(D + 2));
    expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });
}, 180_000);
