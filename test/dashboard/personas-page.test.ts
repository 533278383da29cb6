import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryLabel, MEMBERS_SHOWN } from '../../src/dashboard/pages/personas.js';
import { csvCell, csvRow } from '../../src/domain/csv-cell.js';
import { CATEGORY_NAMES } from '../../src/survey/trait-catalogue.js';
import { correlatedPlayers, insertTraitScores, surveyedPlayers } from '../personas/factory.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { DashboardClient } from './dashboard-client.js';

/** Markup without the whitespace between tags (the templates are formatted source). */
const squash = (body: string) => body.replace(/>\s+</g, '><').replace(/\s+/g, ' ');
const PASSWORD = 'correct horse battery';
/** Two trait clusters of 210 players each: every persona has more members than the page lists. */
const PER_CLUSTER = 210;

interface ChartData {
  categories: string[];
  personas: { persona: number; means: number[] }[];
}
interface Summary {
  segment_id: string;
  k: number;
  personas: {
    persona: number;
    size: number;
    surveyed: number;
    surveyed_expected: number;
    predicted: number;
  }[];
}

function chartData(body: string): ChartData {
  const json = /<script type="application\/json" id="personas-chart-data">(.*?)<\/script>/s.exec(body)?.[1];
  expect(json).toBeDefined();
  return JSON.parse(json!) as ChartData;
}

/** The rows of the members table: [user id, source]. */
function memberRows(body: string): [string, string][] {
  const section = /<section[^>]*id="members">(.*?)<\/section>/s.exec(squash(body))?.[1] ?? '';
  return [
    ...section.matchAll(/<tr><td class="mono">([^<]*)<\/td><td><span class="badge[^"]*">(\w+)<\/span>/g),
  ].map((m) => [m[1]!, m[2]!]);
}

describe('personas page helpers', () => {
  it('labels categories', () => {
    expect(categoryLabel('coreMotivations')).toBe('Core motivations');
    expect(categoryLabel('openness')).toBe('Openness');
  });

  it('quotes CSV cells (RFC 4180) and writes text a spreadsheet would run as a formula as text', () => {
    expect(csvCell('plain-id')).toBe('plain-id');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(3)).toBe('3');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const lead of ['+', '-', '@', '\t']) expect(csvCell(`${lead}x`)).toBe(`'${lead}x`);
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvRow(['=a', 1, 'b'])).toBe("'=a,1,b\n");
  });
});

describe.each(BACKENDS)(
  'dashboard personas page on %s',
  (backend) => {
    let t: TestApp;
    let dash: TestDashboard;
    let other: TestDashboard;
    let web: DashboardClient;
    let summary: Summary;
    const path = () => `/dashboard/d/${dash.id}/personas`;

    beforeAll(async () => {
      t = await createTestApp(backend);
      dash = await t.createDashboard('Persona game');
      other = await t.createDashboard('Other game');
      web = new DashboardClient(t.app);
      await web.signInOperator();
    });
    afterAll(async () => {
      await t.close();
    });

    it('is a tab between Survey and Members; with no surveyed player it points to the Survey tab', async () => {
      const res = await web.get(path());
      expect(res.statusCode).toBe(200);
      const body = squash(res.body);
      expect(body).toContain(`<a href="${path()}" aria-current="page">Personas</a>`);
      expect(body.indexOf('>Survey</a>')).toBeLessThan(body.indexOf('>Personas</a>'));
      expect(body.indexOf('>Personas</a>')).toBeLessThan(body.indexOf('>Members</a>'));
      expect(body).toContain('No personas yet: no production player has completed the survey.');
      expect(body).toContain(`href="/dashboard/d/${dash.id}/survey?env=production"`);
      expect(body).not.toContain('Recompute now');
      expect(body).not.toContain('chart.umd.min.js');
      expect(body).toContain('<option value="default" selected>');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('before the first recompute offers the button; it needs the CSRF token', async () => {
      await insertTraitScores(t.store.db, dash.id, 'production', surveyedPlayers(2, PER_CLUSTER, 'p'));
      const res = await web.get(path());
      const body = squash(res.body);
      expect(body).toContain('No personas yet: not computed for this segment in production.');
      expect(body).toContain(`${2 * PER_CLUSTER} production players have completed the survey.`);
      expect(body).toContain(`action="${path()}/recompute?env=production&amp;segment=default"`);

      const url = `${path()}/recompute?env=production&segment=default`;
      expect((await web.post(url, {}, null)).statusCode).toBe(403);
      expect((await web.post(url, {}, 'not-the-token')).statusCode).toBe(403);
      expect(squash((await web.get(path())).body)).toContain('not computed for this segment');

      const done = await web.post(url, {});
      expect(done.statusCode).toBe(200);
      const after = squash(done.body);
      expect(after).toContain('Personas recomputed in production: default 2 personas.');
      expect(after).toContain('id="recompute-result"');
      const n = 2 * PER_CLUSTER;
      expect(after).toContain(`<td>default</td><td class="num">${n}</td><td class="num">${n}</td>`);
      // The same figures as the admin API's recompute answers.
      const api = await t.admin('POST', `/dashboards/${dash.id}/personas/recompute?environment=production`);
      summary = api.json<{ environments: { segments: Summary[] }[] }>().environments[0]!.segments[0]!;
      expect(summary.k).toBe(2);
    });

    it('says plainly when a segment has no distinct personas', async () => {
      const flat = await t.createDashboard('No personas game');
      await insertTraitScores(t.store.db, flat.id, 'production', correlatedPlayers(60, { seed: 8 }));
      const done = await web.post(
        `/dashboard/d/${flat.id}/personas/recompute?env=production&segment=default`,
        {},
      );
      expect(squash(done.body)).toContain('<td class="num">1 (no distinct personas in this segment)</td>');
      const body = squash((await web.get(`/dashboard/d/${flat.id}/personas`)).body);
      expect(body).toContain('<strong>No distinct personas in this segment.</strong>');
      expect(body).toContain('persona 1 holds them all');
    });

    it('shows each persona’s size and share, the radar chart data and its table', async () => {
      const res = await web.get(path());
      expect(res.statusCode).toBe(200);
      const body = squash(res.body);
      expect(body).toContain('chart.umd.min.js');
      expect(body).toContain(`2 personas, ${2 * PER_CLUSTER} players`);
      expect(body).toContain('2 distinct personas: a gaussian mixture, tied covariance chose k = 2 by BIC');
      for (const p of summary.personas) {
        expect(body).toContain(
          `>Persona ${p.persona}</a></td><td class="num">${p.size}</td><td class="num">${p.surveyed}</td><td class="num">${p.surveyed_expected.toFixed(1)}</td><td class="num">${p.predicted}</td><td class="num">${((p.size / (2 * PER_CLUSTER)) * 100).toFixed(1)} %</td>`,
        );
        expect(body).toContain(
          `<canvas id="persona-radar-${p.persona}" data-persona="${p.persona}" role="img"`,
        );
      }
      const data = chartData(res.body);
      expect(data.categories).toEqual(CATEGORY_NAMES.map(categoryLabel));
      expect(data.personas.map((p) => p.persona)).toEqual(summary.personas.map((p) => p.persona));
      // Each category's figure is the mean of its traits in the API's persona traits.
      for (const p of data.personas) {
        const traits = (
          await t.call('GET', `/v1/segments/default/personas/${p.persona}/traits`, dash.keys.production)
        ).json<{
          data: Record<string, Record<string, number>>;
        }>().data;
        const expected = CATEGORY_NAMES.map((c) => {
          const values = Object.values(traits[c]!);
          return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
        });
        expect(p.means).toEqual(expected);
        expect(p.means.some((m) => m > 45)).toBe(true);
        // The table has the same figures.
        expect(body).toContain(`<th scope="row">${categoryLabel(CATEGORY_NAMES[0]!)}</th>`);
        expect(body).toContain(`<td class="num">${p.means[0]!.toFixed(1)}</td>`);
      }
      expect(body).toContain('Mean trait score per category (0–100)');
    });

    it('lists a persona’s first members and exports them all as CSV', async () => {
      const [first, second] = summary.personas;
      const res = await web.get(`${path()}?env=production&segment=default&persona=${second!.persona}`);
      expect(res.statusCode).toBe(200);
      const body = squash(res.body);
      expect(body).toContain(`Members of persona ${second!.persona}`);
      const rows = memberRows(res.body);
      expect(second!.size).toBeGreaterThan(MEMBERS_SHOWN);
      expect(rows).toHaveLength(MEMBERS_SHOWN);
      expect(rows.every(([, source]) => source === 'surveyed')).toBe(true);
      expect(rows.map(([id]) => id)).toEqual(rows.map(([id]) => id).sort());
      expect(body).toContain(`The first ${MEMBERS_SHOWN} of ${second!.size} members`);
      const href = `${path()}/export.csv?env=production&amp;segment=default&amp;persona=${second!.persona}`;
      expect(body).toContain(`href="${href}"`);

      const csv = await web.get(href.replace(/&amp;/g, '&'));
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe(
        `attachment; filename="personas-${dash.id}-production-default-${second!.persona}.csv"`,
      );
      const lines = csv.body.trimEnd().split('\n');
      expect(lines[0]).toBe('user_id,persona,source');
      expect(lines).toHaveLength(second!.size + 1);
      expect(lines.slice(1).every((l) => l.endsWith(`,${second!.persona},surveyed`))).toBe(true);
      expect(lines.slice(1, 1 + rows.length).map((l) => l.split(',')[0])).toEqual(rows.map(([id]) => id));
      // The players of one persona are one trait cluster.
      expect(new Set(lines.slice(1).map((l) => l.split('-')[1]))).toHaveProperty('size', 1);

      const all = await web.get(`${path()}/export.csv?env=production&segment=default&persona=all`);
      expect(all.body.trimEnd().split('\n')).toHaveLength(2 * PER_CLUSTER + 1);
      expect(all.body).toContain(`,${first!.persona},surveyed\n`);

      expect(
        (await web.get(`${path()}/export.csv?env=production&segment=default&persona=99`)).statusCode,
      ).toBe(404);
      expect((await web.get(`${path()}/export.csv?env=production&segment=default`)).statusCode).toBe(400);
      expect((await web.get(`${path()}?persona=99`)).statusCode).toBe(404);
      expect((await web.get(`${path()}?segment=seg_nope`)).statusCode).toBe(404);
    });

    it('keeps environments apart', async () => {
      const sandbox = squash((await web.get(`${path()}?env=sandbox`)).body);
      expect(sandbox).toContain('No personas yet: no sandbox player has completed the survey.');
      expect(sandbox).not.toContain('persona-radar-');
      const csv = await web.get(`${path()}/export.csv?env=sandbox&segment=default&persona=1`);
      expect(csv.statusCode).toBe(404);

      await insertTraitScores(t.store.db, dash.id, 'sandbox', surveyedPlayers(3, 20, 's', 7));
      await web.get(`${path()}?env=sandbox`);
      const done = await web.post(`${path()}/recompute?env=sandbox&segment=default`, {});
      expect(done.statusCode).toBe(200);
      const body = squash(done.body);
      expect(body).toContain('Personas recomputed in sandbox');
      expect(body).toContain('60 players');
      expect(body).toMatch(/<td class="mono">s-\d-\d+<\/td>/);
      expect(body).not.toMatch(/<td class="mono">p-/);
      // Production is as it was.
      expect(squash((await web.get(path())).body)).toContain(`2 personas, ${2 * PER_CLUSTER} players`);
    });

    it('exports ids a spreadsheet would run as formulas as inert text', async () => {
      // Ids are written by whoever holds a client key, and client keys ship inside game builds.
      const leads = ['=HYPERLINK("http://evil.example/?x","open")', '+1', '-2', '@SUM(A1)', '\tx', '\rx'];
      const players = surveyedPlayers(2, 30, 'f', 3).map((p, i) => ({
        ...p,
        userId: `${leads[i % leads.length]!}${p.userId}`,
      }));
      await insertTraitScores(t.store.db, other.id, 'production', players);
      const page = `/dashboard/d/${other.id}/personas`;
      await web.get(page);
      expect((await web.post(`${page}/recompute?env=production&segment=default`, {})).statusCode).toBe(200);
      const csv = await web.get(`${page}/export.csv?env=production&segment=default&persona=all`);
      expect(csv.statusCode).toBe(200);
      const lines = csv.body.slice(0, -1).split('\n');
      expect(lines).toHaveLength(players.length + 1);
      for (const line of lines.slice(1)) expect(line).toMatch(/^("?)'[=+\-@\t\r]/);
      expect(lines.find((l) => l.includes('f-0-0"'))).toMatch(
        /^"'=HYPERLINK\(""http:\/\/evil\.example\/\?x"",""open""\)f-0-0",\d,surveyed$/,
      );
      expect(csv.body).toContain("'+1f-0-1,");
      expect(csv.body).toContain("'@SUM(A1)f-0-3,");
    });

    it('picks custom segments', async () => {
      const created = await t.admin('POST', `/dashboards/${dash.id}/segments`, {
        name: 'US payers',
        filter: { country: 'US' },
      });
      expect(created.statusCode).toBe(201);
      const segment = created.json<{ id: string }>().id;
      const page = squash((await web.get(path())).body);
      expect(page).toMatch(new RegExp(`<option value="${segment}" ?> ?US payers ?</option>`));
      const res = squash((await web.get(`${path()}?env=production&segment=${segment}`)).body);
      expect(res).toMatch(new RegExp(`<option value="${segment}" selected> ?US payers ?</option>`));
      expect(res).toContain('Personas of US payers (production)');
      // The environment switch keeps the segment.
      expect(res).toContain(`href="${path()}?env=sandbox&amp;segment=${segment}"`);
      // No player of the segment has completed the survey: no personas once computed.
      await web.post(`${path()}/recompute?env=production&segment=${segment}`, {});
      const after = squash((await web.get(`${path()}?env=production&segment=${segment}`)).body);
      expect(after).toContain(
        'No personas: the last recompute found too few surveyed players in this segment.',
      );
    });

    it('is open to the dashboard’s members, and to no other dashboard’s', async () => {
      await web.get(`/dashboard/d/${dash.id}/members`);
      const added = await web.post(`/dashboard/d/${dash.id}/members`, {
        email: 'pat@studio.example',
        password: PASSWORD,
      });
      expect(added.statusCode).toBe(303);
      const member = new DashboardClient(t.app);
      expect(
        (await member.signIn({ mode: 'member', email: 'pat@studio.example', password: PASSWORD })).statusCode,
      ).toBe(303);
      const own = await member.get(path());
      expect(own.statusCode).toBe(200);
      expect(own.body).toContain('>Personas</a>');
      expect(own.body).not.toContain('>Members</a>');
      expect(own.body).toContain('persona-radar-');
      const csv = await member.get(`${path()}/export.csv?env=production&segment=default&persona=all`);
      expect(csv.statusCode).toBe(200);
      expect((await member.post(`${path()}/recompute?env=production`, {})).statusCode).toBe(200);

      const foreign = `/dashboard/d/${other.id}/personas`;
      expect((await member.get(foreign)).statusCode).toBe(404);
      expect(
        (await member.get(`${foreign}/export.csv?env=production&segment=default&persona=all`)).statusCode,
      ).toBe(404);
      expect((await member.post(`${foreign}/recompute?env=production`, {})).statusCode).toBe(404);
      // Without a session: sent to sign in, nothing exported.
      const anonymous = await t.app.inject({ method: 'GET', url: `${path()}/export.csv?persona=all` });
      expect(anonymous.statusCode).toBe(303);
      expect(anonymous.body).not.toContain('user_id,persona');
    });
  },
  // Each recompute fits the persona mixture and its null check: seconds on a busy machine.
  120_000,
);
