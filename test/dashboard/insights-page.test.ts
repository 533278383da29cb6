import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  barChart,
  lineChart,
  niceTicks,
  personaColour,
  stackedBarChart,
} from '../../src/dashboard/charts.js';
import { metricLabel, retentionCurve } from '../../src/dashboard/pages/insights.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { DashboardClient } from './dashboard-client.js';
import { chartValues, D, date, seedInsights, today } from './insights-seed.js';

/** Markup without the whitespace between tags (the templates are formatted source). */
const squash = (body: string) => body.replace(/>\s+</g, '><').replace(/\s+/g, ' ');

/** A table's rows (after squash) as the text of their cells, from the section with that id. */
function rows(body: string, sectionId: string): string[][] {
  const section =
    new RegExp(`<section[^>]*id="${sectionId}"[^>]*>(.*?)</section>`, 's').exec(body)?.[1] ?? '';
  const tbody = /<tbody>(.*?)<\/tbody>/s.exec(section)?.[1] ?? '';
  return [...tbody.matchAll(/<tr[^>]*>(.*?)<\/tr>/gs)].map((r) =>
    [...r[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map((c) =>
      c[1]!
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

describe('insights charts', () => {
  it('picks round ticks from 0 to at least the largest value', () => {
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
  });

  it('stacks bars in series order and labels the SVG for screen readers', () => {
    const svg = squash(
      stackedBarChart({
        id: 'c',
        title: 'DAU <by> persona',
        description: 'desc',
        x: ['d1', 'd2'],
        series: [
          { name: 'A', colour: '#000001', values: [2, 0] },
          { name: 'B', colour: '#000002', values: [1, 3] },
        ],
        format: String,
      }).text,
    );
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="c-title c-desc"');
    expect(svg).toContain('<title id="c-title">DAU &lt;by&gt; persona</title>');
    expect(chartValues(svg, 'c')).toEqual({ 'A|d1': 2, 'B|d1': 1, 'B|d2': 3 });
    // A stacks on top of nothing, B on top of A: B's bar ends where A's begins.
    const rect = (series: string, x: string) =>
      new RegExp(
        `<rect x="[^"]*" y="([^"]*)" width="[^"]*" height="([^"]*)"[^>]*data-series="${series}" data-x="${x}"`,
      ).exec(svg)!;
    const [, aY] = rect('A', 'd1');
    const [, bY, bH] = rect('B', 'd1');
    expect(Number(bY) + Number(bH)).toBeCloseTo(Number(aY), 0);
    expect(svg).not.toContain('style=');
  });

  it('breaks a line at unknown values and draws bars per category', () => {
    const lines = lineChart({
      id: 'l',
      title: 't',
      description: 'd',
      x: ['D0', 'D1', 'D2'],
      series: [{ name: 'A', colour: '#000', values: [1, null, 0.5] }],
      format: String,
      yMax: 1,
    }).text;
    expect(chartValues(lines, 'l')).toEqual({ 'A|D0': 1, 'A|D2': 0.5 });
    expect(lines).not.toContain('<polyline'); // no two known neighbours: no segment drawn
    const bars = barChart({
      id: 'b',
      title: 't',
      description: 'd',
      bars: [
        { name: 'Persona 1', colour: personaColour(1), value: 15 },
        { name: 'No persona', colour: personaColour('none'), value: 20 },
      ],
      format: String,
    }).text;
    expect(chartValues(bars, 'b')).toEqual({ 'Persona 1': 15, 'No persona': 20 });
    expect(personaColour(1)).not.toBe(personaColour(2));
    expect(personaColour(9)).toBe(personaColour(1));
  });

  it('weights cohorts by size and leaves out those whose day N has not come', () => {
    const curve = retentionCurve(
      [
        { cohort: 'a', players: 3, retention: { '1': 2 / 3, '7': null } },
        { cohort: 'b', players: 1, retention: { '1': 0, '7': null } },
      ],
      [1, 7],
    );
    expect(curve).toEqual([
      { share: 0.5, players: 4 },
      { share: null, players: 0 },
    ]);
    expect(metricLabel('retention_d7')).toBe('D7 retention');
    expect(metricLabel('trait:coreMotivations.competition')).toBe('Trait competition (Core motivations)');
  });
});

describe.each(BACKENDS)(
  'dashboard insights page on %s',
  (backend) => {
    let t: TestApp;
    let dash: TestDashboard;
    let other: TestDashboard;
    let web: DashboardClient;
    let payers: string;
    const path = () => `/dashboard/d/${dash.id}/insights`;
    const open = async (query = '') => {
      const res = await web.get(`${path()}${query}`);
      return { status: res.statusCode, body: squash(res.body) };
    };

    beforeAll(async () => {
      t = await createTestApp(backend);
      dash = await t.createDashboard('Insights game');
      other = await t.createDashboard('Other game');
      ({ payers } = await seedInsights(t, dash, other));
      web = new DashboardClient(t.app);
      await web.signInOperator();
    }, 60_000);
    afterAll(async () => {
      await t.close();
    });

    it('is a tab after Personas; by default the last 30 days of the default segment', async () => {
      const { status, body } = await open();
      expect(status).toBe(200);
      expect(body).toContain(`<a href="${path()}" aria-current="page">Insights</a>`);
      expect(body.indexOf('>Personas</a>')).toBeLessThan(body.indexOf('>Insights</a>'));
      expect(body).toContain(
        `<input type="date" id="from" name="from" value="${date(today - 29)}" required />`,
      );
      expect(body).toContain(`<input type="date" id="to" name="to" value="${date(today)}" required />`);
      expect(body).toContain('<option value="default" selected>');
      expect(body).toContain(`<option value="${payers}" > payers </option>`);
      // No script is needed: the charts are SVG in the page.
      expect(body).not.toContain('chart.umd.min.js');
    });

    it('stacks DAU by persona per day, with the same figures in the table', async () => {
      const { body } = await open();
      const dau = chartValues(body, 'dau-chart');
      expect(dau).toEqual({
        [`Persona 1|${date(D)}`]: 2,
        [`Persona 2|${date(D)}`]: 1,
        [`Persona 1|${date(D + 1)}`]: 1,
        [`Persona 2|${date(D + 1)}`]: 1,
        [`No persona|${date(D + 1)}`]: 1,
      });
      const table = rows(body, 'dau');
      expect(table).toHaveLength(30);
      expect(table.find((r) => r[0] === date(D))).toEqual([date(D), '2', '1', '0', '3']);
      expect(table.find((r) => r[0] === date(D + 1))).toEqual([date(D + 1), '1', '1', '1', '3']);
      expect(body).toContain(
        '<th scope="col" class="num">Persona 1</th><th scope="col" class="num">Persona 2</th><th scope="col" class="num">No persona</th>',
      );
    });

    it('draws retention curves per persona, unknown days left out', async () => {
      const { body } = await open();
      const curve = chartValues(body, 'retention-chart');
      expect(curve['Persona 1|D0']).toBe(1);
      expect(curve['Persona 1|D1']).toBe(0.5);
      expect(curve['Persona 1|D2']).toBe(0);
      expect(curve['Persona 1|D10']).toBe(0);
      expect(curve['Persona 1|D11']).toBeUndefined(); // D + 11 is tomorrow
      expect(curve['Persona 2|D1']).toBe(1);
      expect(curve['No persona|D0']).toBe(1);
      expect(curve['No persona|D1']).toBe(0);
      expect(curve['No persona|D10']).toBeUndefined(); // erin installed on D + 1
      expect(curve['All players|D1']).toBe(0.5);
      const table = rows(body, 'retention');
      expect(table).toHaveLength(31);
      expect(table[1]).toEqual(['D1', '50.0 %', '100.0 %', '0.0 %', '50.0 %']);
      expect(table[11]).toEqual(['D11', '—', '—', '—', '—']);
    });

    it('shows revenue and ARPDAU per persona', async () => {
      const { body } = await open();
      expect(chartValues(body, 'revenue-chart')).toEqual({
        'Persona 1': 15,
        'Persona 2': 0,
        'No persona': 20,
      });
      expect(chartValues(body, 'arpdau-chart')).toEqual({ 'Persona 1': 5, 'Persona 2': 0, 'No persona': 20 });
      expect(rows(body, 'revenue')).toEqual([
        ['Persona 1', '15.00', '3', '5.00'],
        ['Persona 2', '0.00', '2', '0.00'],
        ['No persona', '20.00', '1', '20.00'],
      ]);
    });

    it('compares each persona with its segment: KPIs with intervals, then trait differences', async () => {
      const { body } = await open();
      const table = rows(body, 'comparison');
      const row = (persona: number, figure: string) =>
        table.find((r) => r[0] === `Persona ${persona}` && r[1] === figure);
      // ARPDAU: persona 1 15 / 3 = 5 against the segment's 35 / 6.
      expect(row(1, 'ARPDAU')).toEqual(['Persona 1', 'ARPDAU', '5.00', '5.83', '−0.83', '3', '—']);
      // D1: persona 2's one player came back; the segment's 2 of 4 did.
      expect(row(2, 'D1 retention')!.slice(0, 6)).toEqual([
        'Persona 2',
        'D1 retention',
        '100.0 %',
        '50.0 %',
        '+50.0 pt',
        '1',
      ]);
      expect(row(2, 'D1 retention')![6]).toMatch(/^\d+\.\d % – 100\.0 %$/);
      expect(row(1, 'Trait curiosity (Openness)')).toEqual([
        'Persona 1',
        'Trait curiosity (Openness)',
        '80.0',
        '60.0',
        '+20.0',
        '2',
        '—',
      ]);
      expect(row(2, 'Trait curiosity (Openness)')?.[4]).toBe('−40.0');
    });

    it('answers for the range and segment picked', async () => {
      const one = await open(`?from=${date(D + 1)}&to=${date(D + 1)}`);
      expect(one.status).toBe(200);
      expect(rows(one.body, 'dau')).toEqual([[date(D + 1), '1', '1', '1', '3']]);
      expect(chartValues(one.body, 'revenue-chart')).toEqual({
        'Persona 1': 5,
        'Persona 2': 0,
        'No persona': 20,
      });
      // The picker keeps the choice; the env switch keeps the range.
      expect(one.body).toContain(`name="from" value="${date(D + 1)}"`);
      expect(one.body).toContain(
        `?env=sandbox&amp;from=${date(D + 1)}&amp;to=${date(D + 1)}&amp;segment=default`,
      );

      const seg = await open(`?segment=${payers}`);
      expect(seg.status).toBe(200);
      expect(seg.body).toContain(`<option value="${payers}" selected>`);
      expect(seg.body).toContain('id="no-personas"');
      expect(chartValues(seg.body, 'dau-chart')).toEqual({
        [`No persona|${date(D)}`]: 2, // alice, bob
        [`No persona|${date(D + 1)}`]: 2, // alice, erin
      });
      expect(chartValues(seg.body, 'revenue-chart')).toEqual({ 'No persona': 35 });
      expect(seg.body).toContain('No personas yet: nothing to compare.');

      const sandbox = await open('?env=sandbox');
      expect(chartValues(sandbox.body, 'revenue-chart')).toEqual({ 'No persona': 700 });
    });

    it('shows a bad choice on the page with a 400 (or 404), never a 500', async () => {
      const cases: [string, number, string][] = [
        ['?from=2024-02-30&to=2024-03-01', 400, 'from must be a date YYYY-MM-DD; got &quot;2024-02-30&quot;'],
        ['?from=2024-03-02&to=2024-03-01', 400, 'to (2024-03-01) must not be before from (2024-03-02)'],
        ['?from=2023-01-01&to=2024-01-02', 400, 'the range covers 367 days; at most 366 are allowed'],
        [
          '?days=1,x',
          400,
          'days must be a comma-separated list of whole days from 0 to 366; got &quot;x&quot;',
        ],
        [
          '?segment=seg_nope',
          404,
          'segment seg_nope does not exist: use default or an id from the segments list',
        ],
      ];
      for (const [query, status, message] of cases) {
        const { status: got, body } = await open(query);
        expect(got, query).toBe(status);
        expect(body, query).toContain(`<div class="error" role="alert">${message}</div>`);
        // The form is still there to correct the choice, and no figure is drawn.
        expect(body, query).toContain('id="insights-picker"');
        expect(body, query).not.toContain('id="dau-chart"');
      }
      const long = await open(`?from=${'9'.repeat(11)}`);
      expect(long.status).toBe(400);
      expect(long.body).toContain('role="alert"');
      expect(long.body).toContain('from must NOT have more than 10 characters');
    });

    it('says so when the range has no activity', async () => {
      const { status, body } = await open('?from=2020-01-01&to=2020-01-31');
      expect(status).toBe(200);
      expect(body).toContain('No activity from 2020-01-01 to 2020-01-31 in production.');
      expect(body).not.toContain('id="dau-chart"');
    });

    it("never shows another dashboard's figures, and refuses its page to this dashboard's member", async () => {
      const { body } = await open();
      expect(body).not.toContain('999');
      expect(body).not.toContain('700');
      const theirs = squash((await web.get(`/dashboard/d/${other.id}/insights`)).body);
      expect(chartValues(theirs, 'dau-chart')).toEqual({ [`No persona|${date(D)}`]: 1 });
      expect(chartValues(theirs, 'revenue-chart')).toEqual({ 'No persona': 999 });
      expect(theirs).toContain('No personas yet: nothing to compare.');

      await web.post(`/dashboard/d/${dash.id}/members`, {
        email: 'insights-member@studio.example',
        password: 'member password 42',
      });
      const member = new DashboardClient(t.app);
      const signed = await member.signIn({
        mode: 'member',
        email: 'insights-member@studio.example',
        password: 'member password 42',
      });
      expect(signed.statusCode).toBe(303);
      expect((await member.get(`/dashboard/d/${dash.id}/insights`)).statusCode).toBe(200);
      const refused = await member.get(`/dashboard/d/${other.id}/insights`);
      expect(refused.statusCode).toBe(404);
      expect(refused.body).not.toContain('999');
    });

    it('folds new records on "Refresh figures now" (a POST with the CSRF token)', async () => {
      const res = await t.call('POST', '/v1/logins', dash.keys.production, {
        users: [{ user_id: 'zoe', timestamp: `${date(D + 2)} 12:00:00` }],
      });
      expect(res.statusCode, res.body).toBe(201);
      const day = (body: string) => rows(body, 'dau').find((r) => r[0] === date(D + 2));
      expect(day((await open()).body)).toEqual([date(D + 2), '0', '0', '0', '0']);

      const url = `${path()}/refresh?env=production&from=${date(D)}&to=${date(D + 5)}&segment=default`;
      expect((await web.post(url, {}, null)).statusCode).toBe(403);
      const done = await web.post(url, {});
      expect(done.statusCode).toBe(200);
      const body = squash(done.body);
      expect(body).toContain('Figures refreshed in production');
      expect(rows(body, 'dau')).toHaveLength(6);
      expect(day(body)).toEqual([date(D + 2), '0', '0', '1', '1']);
    });
  },
  120_000,
);
