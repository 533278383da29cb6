import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Environment } from '../../domain/records.js';
import { AppError } from '../../errors.js';
import type { Scope } from '../../insights/audience.js';
import { dayOf, dayText } from '../../insights/days.js';
import { DEFAULT_CHURN_DAYS } from '../../insights/figures.service.js';
import type { CohortFigures, DailyFigures } from '../../insights/insights.service.js';
import type { ProfileRow } from '../../insights/persona-profiles.service.js';
import { categoryLabel } from './personas.js';
import { DEFAULT_SEGMENT, type Segment } from '../../personas/segments.service.js';
import { INSIGHTS_EVERY_MS } from '../../services.js';
import type { DashboardSummary } from '../../tenancy/tenancy.service.js';
import {
  barChart,
  lineChart,
  personaColour,
  SEGMENT_COLOUR,
  stackedBarChart,
  type Series,
} from '../charts.js';
import { count, emptyState, environmentOf, envSwitch, segmentField, table } from '../components.js';
import { html, type Child, type Html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { dashboardFor, sendPage, viewerOf, type DashboardDeps } from '../request.js';
import { DashboardPageParams, Form } from '../schemas.js';

/** Days the page covers unless asked otherwise: the last 30, ending today (UTC). */
export const DEFAULT_RANGE_DAYS = 30;
/** Retention curve's day-N points unless `days` names others: 0 to 30. */
export const DEFAULT_CURVE = Array.from({ length: 31 }, (_, n) => n);
/** Trait rows per persona in the comparison table: its largest differences from the segment. */
export const TRAITS_SHOWN = 3;

const Query = Type.Object({
  env: Type.Optional(Type.String({ maxLength: 20 })),
  from: Type.Optional(Type.String({ maxLength: 10 })),
  to: Type.Optional(Type.String({ maxLength: 10 })),
  segment: Type.Optional(Type.String({ maxLength: 100 })),
  days: Type.Optional(Type.String({ maxLength: 200 })),
});
/** A form post carries only its CSRF token (checked by the dashboard's preValidation hook). */
const RefreshBody = Form({});
type Query = Static<typeof Query>;

/** What the page was asked, with the defaults filled in (a cleared date field means the default). */
interface Choice {
  environment: Environment;
  from: string;
  to: string;
  segmentId: string;
  /** The `days` text as given (undefined: the 0–30 curve). */
  days: string | undefined;
}

function choiceOf(query: Query, today: number): Choice {
  const given = (text: string | undefined) =>
    text === undefined || text.trim() === '' ? undefined : text.trim();
  return {
    environment: environmentOf(query),
    from: given(query.from) ?? dayText(today - DEFAULT_RANGE_DAYS + 1),
    to: given(query.to) ?? dayText(today),
    segmentId: given(query.segment) ?? DEFAULT_SEGMENT.id,
    days: given(query.days),
  };
}

/** A chart series' key: a persona number, the players without one, or the whole segment. */
type Group = number | 'none' | 'all';

const groupName = (g: Group) => (g === 'all' ? 'All players' : g === 'none' ? 'No persona' : `Persona ${g}`);
const groupColour = (g: Group) => (g === 'all' ? SEGMENT_COLOUR : personaColour(g));

interface Figures {
  personas: number[];
  /** Daily figures per persona and for the players without one (they add up to the segment). */
  daily: Map<Group, DailyFigures[]>;
  /** Day-N points of the curve and, per group, the cohorts' share active on install day + N. */
  offsets: number[];
  curves: Map<Group, { share: number | null; players: number }[]>;
  profiles: ProfileRow[];
}

/**
 * Retention by day N over every cohort of the range whose day N has come: the players active on
 * install day + N over the players of those cohorts (null when no cohort is old enough).
 */
export function retentionCurve(cohorts: readonly CohortFigures[], offsets: readonly number[]) {
  return offsets.map((n) => {
    let players = 0;
    let retained = 0;
    for (const c of cohorts) {
      const share = c.retention[String(n)];
      if (share === null || share === undefined) continue;
      players += c.players;
      retained += share * c.players;
    }
    return { share: players === 0 ? null : retained / players, players };
  });
}

async function figuresOf(deps: DashboardDeps, scope: Scope, choice: Choice): Promise<Figures> {
  const { insights, personas: personaService, personaProfiles } = deps.services;
  const overview = await personaService.overview(scope.dashboardId, scope.environment, choice.segmentId);
  const personas = overview.personas.map((p) => p.persona);
  const base = { from: choice.from, to: choice.to, segment: overview.segment.id };
  const days = choice.days ?? DEFAULT_CURVE.join(',');
  const stacks: Group[] = [...personas, 'none'];
  const curves: Group[] = [...stacks, 'all'];
  const [daily, cohorts, profiles] = await Promise.all([
    Promise.all(stacks.map((g) => insights.daily(scope, { ...base, persona: String(g) }))),
    Promise.all(curves.map((g) => insights.retention(scope, { ...base, persona: String(g), days }))),
    personaProfiles.profiles(scope, base),
  ]);
  // The range has at least one day, so one cohort; its keys are the offsets the service accepted.
  const offsets = Object.keys(cohorts[0]![0]!.retention)
    .map(Number)
    .sort((a, b) => a - b);
  return {
    personas,
    daily: new Map(stacks.map((g, i) => [g, daily[i]!])),
    offsets,
    curves: new Map(curves.map((g, i) => [g, retentionCurve(cohorts[i]!, offsets)])),
    profiles,
  };
}

const money = (v: number) => v.toFixed(2);
const percent = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** A chart with its figures in a table beside it (below it on a narrow screen). */
function chartWithTable(chart: Html, tableHtml: Html): Html {
  return html`<div class="chart-pair">
    ${chart}
    <div class="chart-table">${tableHtml}</div>
  </div>`;
}

function dauSection(f: Figures, choice: Choice, dashboardId: string): Html {
  const groups = [...f.daily.keys()];
  const x = f.daily.get('none')!.map((d) => d.day);
  const series: Series[] = groups.map((g) => ({
    name: groupName(g),
    colour: groupColour(g),
    values: f.daily.get(g)!.map((d) => d.dau),
  }));
  const chart = stackedBarChart({
    id: 'dau-chart',
    title: `Daily active players by persona, ${choice.from} to ${choice.to}`,
    description: `A bar per UTC day, stacked by persona (${groups.map(groupName).join(', ')}); the figures are in the table beside it.`,
    x,
    series,
    format: (v) => count(v),
  });
  const rows = x.map(
    (day, i) =>
      html`<tr>
        <th scope="row" class="when">${day}</th>
        ${series.map((s) => html`<td class="num">${count(s.values[i]!)}</td>`)}
        <td class="num">${count(sum(series.map((s) => s.values[i]!)))}</td>
      </tr>`,
  );
  return html`<section class="card" aria-labelledby="dau-title" id="dau">
    <h2 id="dau-title">Daily active players by persona</h2>
    ${f.personas.length === 0
      ? html`<p class="muted" id="no-personas">
          No personas yet in this segment, so every player counts as "No persona". Personas come from
          completed surveys: see the
          <a href="/dashboard/d/${dashboardId}/personas?env=${choice.environment}">Personas</a>
          tab.
        </p>`
      : ''}
    ${chartWithTable(
      chart,
      table(
        'Daily active players per UTC day',
        ['Day', ...series.map((s): [string, 'num'] => [s.name, 'num']), ['Total', 'num']],
        rows,
      ),
    )}
  </section>`;
}

function retentionSection(f: Figures): Html {
  const groups = [...f.curves.keys()];
  const x = f.offsets.map((n) => `D${n}`);
  const series: Series[] = groups.map((g) => ({
    name: groupName(g),
    colour: groupColour(g),
    values: f.curves.get(g)!.map((p) => p.share),
    dashed: g === 'all',
  }));
  const chart = lineChart({
    id: 'retention-chart',
    title: 'Retention by days since install, per persona',
    description: `A line per persona and one for all players of the segment: the share of the range's install cohorts active on install day + N, for N = ${f.offsets.join(', ')}.`,
    x,
    series,
    format: (v) => `${Math.round(v * 100)} %`,
    yMax: 1,
  });
  const rows = f.offsets.map(
    (n, i) =>
      html`<tr>
        <th scope="row">D${n}</th>
        ${groups.map((g) => {
          const p = f.curves.get(g)![i]!;
          return html`<td class="num" title="of ${count(p.players)} players">${percent(p.share)}</td>`;
        })}
      </tr>`,
  );
  const sizes = groups.map((g) => Math.max(0, ...f.curves.get(g)!.map((p) => p.players)));
  return html`<section class="card" aria-labelledby="retention-title" id="retention">
    <h2 id="retention-title">Retention curves per persona</h2>
    <p class="muted">
      Day-N retention: of the players who installed in the range, the share active on exactly install day + N
      (UTC), over the cohorts whose day N has come (— when none has).
    </p>
    ${chartWithTable(
      chart,
      table(
        `Share retained by day N (cohort sizes: ${groups.map((g, i) => `${groupName(g)} ${count(sizes[i]!)}`).join(', ')})`,
        ['Day N', ...series.map((s): [string, 'num'] => [s.name, 'num'])],
        rows,
      ),
    )}
  </section>`;
}

function revenueSection(f: Figures, choice: Choice): Html {
  const groups = [...f.daily.keys()];
  const totals = groups.map((g) => {
    const days = f.daily.get(g)!;
    const revenue = sum(days.map((d) => d.revenue));
    const playerDays = sum(days.map((d) => d.dau));
    return { g, revenue, playerDays, arpdau: playerDays === 0 ? 0 : revenue / playerDays };
  });
  const bars = (value: (t: (typeof totals)[number]) => number) =>
    totals.map((t) => ({ name: groupName(t.g), colour: groupColour(t.g), value: value(t) }));
  return html`<section class="card" aria-labelledby="revenue-title" id="revenue">
    <h2 id="revenue-title">Revenue per persona</h2>
    <p class="muted">
      Real-money purchases' price, summed over ${choice.from} to ${choice.to}; ARPDAU is that revenue over the
      persona's active player-days (the sum of its daily active players).
    </p>
    ${chartWithTable(
      html`<div class="chart-stack">
        ${barChart({
          id: 'revenue-chart',
          title: `Revenue per persona, ${choice.from} to ${choice.to}`,
          description:
            'A bar per persona: its revenue over the range; the figures are in the table beside it.',
          bars: bars((t) => t.revenue),
          format: money,
        })}
        ${barChart({
          id: 'arpdau-chart',
          title: `ARPDAU per persona, ${choice.from} to ${choice.to}`,
          description: 'A bar per persona: revenue per daily active player over the range.',
          bars: bars((t) => t.arpdau),
          format: money,
        })}
      </div>`,
      table(
        'Revenue and ARPDAU per persona',
        ['Persona', ['Revenue', 'num'], ['Active player-days', 'num'], ['ARPDAU', 'num']],
        totals.map(
          (t) =>
            html`<tr>
              <th scope="row">${groupName(t.g)}</th>
              <td class="num">${money(t.revenue)}</td>
              <td class="num">${count(t.playerDays)}</td>
              <td class="num">${money(t.arpdau)}</td>
            </tr>`,
        ),
      ),
    )}
  </section>`;
}

/** "retention_d1" → "D1 retention"; "trait:coreMotivations.competition" → "competition (Core motivations)". */
export function metricLabel(metric: string): string {
  if (metric === 'arpdau') return 'ARPDAU';
  if (metric === 'churn_rate') return `Churn (${DEFAULT_CHURN_DAYS} days without a login)`;
  const retention = /^retention_d(\d+)$/.exec(metric);
  if (retention) return `D${retention[1]} retention`;
  const [category = '', trait = ''] = metric.replace(/^trait:/, '').split('.');
  return `Trait ${trait} (${categoryLabel(category)})`;
}

function profileValue(row: ProfileRow, value: number | null): string {
  if (value === null) return '—';
  if (row.metric === 'arpdau') return money(value);
  if (row.metric.startsWith('trait:')) return value.toFixed(1);
  return percent(value);
}

function signed(row: ProfileRow): string {
  if (row.difference === null) return '—';
  const d = row.difference;
  const text =
    row.metric.startsWith('retention') || row.metric === 'churn_rate'
      ? `${(Math.abs(d) * 100).toFixed(1)} pt`
      : row.metric === 'arpdau'
        ? money(Math.abs(d))
        : Math.abs(d).toFixed(1);
  return `${d < 0 ? '−' : '+'}${text}`;
}

function comparisonSection(f: Figures, choice: Choice, dashboardId: string): Html {
  const byPersona = new Map<number, ProfileRow[]>();
  for (const row of f.profiles) byPersona.set(row.persona, [...(byPersona.get(row.persona) ?? []), row]);
  const shown = [...byPersona.values()].flatMap((rows) => [
    ...rows.filter((r) => !r.metric.startsWith('trait:')),
    ...rows.filter((r) => r.metric.startsWith('trait:')).slice(0, TRAITS_SHOWN),
  ]);
  const body: Child =
    shown.length === 0
      ? emptyState(
          'No personas yet: nothing to compare.',
          html`<p>
            The comparison needs the segment's personas, computed from completed surveys on the
            <a href="/dashboard/d/${dashboardId}/personas?env=${choice.environment}">Personas</a> tab.
          </p>`,
        )
      : table(
          `Each persona against segment ${choice.segmentId}: KPIs (95% Wilson interval for shares), then its ${TRAITS_SHOWN} largest trait differences (0–100)`,
          [
            'Persona',
            'Figure',
            ['Persona', 'num'],
            ['Segment', 'num'],
            ['Difference', 'num'],
            ['Players', 'num'],
            ['95% interval', 'num'],
          ],
          shown.map(
            (r) =>
              html`<tr data-persona="${r.persona}" data-metric="${r.metric}">
                <th scope="row">
                  <span class="swatch" aria-hidden="true"
                    ><svg width="10" height="10">
                      <rect width="10" height="10" fill="${personaColour(r.persona)}" /></svg
                  ></span>
                  Persona ${r.persona}
                </th>
                <td>${metricLabel(r.metric)}</td>
                <td class="num">${profileValue(r, r.value)}</td>
                <td class="num">${profileValue(r, r.segment_value)}</td>
                <td class="num">${signed(r)}</td>
                <td class="num">${count(r.players)}</td>
                <td class="num">
                  ${r.ci_low === null || r.ci_high === null
                    ? '—'
                    : `${percent(r.ci_low)} – ${percent(r.ci_high)}`}
                </td>
              </tr>`,
          ),
        );
  return html`<section class="card" aria-labelledby="comparison-title" id="comparison">
    <h2 id="comparison-title">Persona comparison</h2>
    ${body}
  </section>`;
}

function pickers(path: string, choice: Choice, segments: readonly Segment[]): Html {
  return html`<form method="get" action="${path}" class="row" id="insights-picker">
    <input type="hidden" name="env" value="${choice.environment}" />
    <div>
      <label for="from">From</label>
      <input type="date" id="from" name="from" value="${choice.from}" required />
    </div>
    <div>
      <label for="to">To</label>
      <input type="date" id="to" name="to" value="${choice.to}" required />
    </div>
    ${segmentField(segments, choice.segmentId)}
    ${choice.days === undefined ? '' : html`<input type="hidden" name="days" value="${choice.days}" />`}
    <button type="submit" class="secondary">Show</button>
  </form>`;
}

function queryString(choice: Choice): string {
  const params = new URLSearchParams({
    env: choice.environment,
    from: choice.from,
    to: choice.to,
    segment: choice.segmentId,
  });
  if (choice.days !== undefined) params.set('days', choice.days);
  return `?${params.toString()}`;
}

/** The Insights page: DAU, retention and revenue per persona and the persona comparison, for a range and segment. */
async function renderInsightsPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  dashboard: DashboardSummary,
  query: Query,
  notice?: string,
) {
  const viewer = viewerOf(request);
  const choice = choiceOf(query, dayOf(Date.now()));
  const scope: Scope = { dashboardId: dashboard.id, environment: choice.environment };
  const path = `/dashboard/d/${dashboard.id}/insights`;
  const segments = await deps.services.segments.all(dashboard.id);
  let figures: Figures | undefined;
  let problem: AppError | undefined;
  try {
    figures = await figuresOf(deps, scope, choice);
  } catch (error) {
    // A caller's mistake (a bad date, range or days list; an unknown segment) is shown on the page.
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    problem = error;
  }
  const refresh = html`<form method="post" action="${path}/refresh${queryString(choice)}" class="row">
    ${csrfField(viewer)}<button type="submit" class="secondary">Refresh figures now</button>
  </form>`;
  const freshness = html`<p class="muted" id="freshness">
    Figures come from rollups the server brings up to date every ${INSIGHTS_EVERY_MS / 1000} s (records are
    counted by their own timestamp, UTC days); custom segments' members as of that refresh, personas as of
    their last recompute. <strong>Refresh figures now</strong> folds every record stored so far.
  </p>`;

  let body: Child = '';
  if (figures) {
    const active = sum([...figures.daily.values()].flatMap((days) => days.map((d) => d.dau)));
    const installs = Math.max(0, ...[...figures.curves.values()].flatMap((c) => c.map((p) => p.players)));
    body =
      active === 0 && installs === 0
        ? html`<section class="card" id="no-data">
            ${emptyState(
              `No activity from ${choice.from} to ${choice.to} in ${choice.environment}.`,
              html`<p>
                No player of this segment has a record timestamped in that range. Pick another range, or, if
                records have just arrived, refresh the figures.
              </p>`,
            )}
          </section>`
        : html`${dauSection(figures, choice, dashboard.id)} ${retentionSection(figures)}
          ${revenueSection(figures, choice)}`;
    body = html`${body} ${comparisonSection(figures, choice, dashboard.id)}`;
  }

  const keep: Record<string, string> = { from: choice.from, to: choice.to, segment: choice.segmentId };
  return sendPage(
    reply,
    page(
      {
        title: 'Insights',
        viewer,
        assets: deps.assets,
        dashboard: { id: dashboard.id, name: dashboard.name, tab: 'insights' },
        notice,
        error: problem?.message,
      },
      html`${envSwitch(path, choice.environment, keep)} ${pickers(path, choice, segments)} ${freshness}
      ${refresh} ${body}`,
    ),
    problem?.status ?? 200,
  );
}

export function registerInsightsPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/d/:id/insights',
    { schema: { params: DashboardPageParams, querystring: Query } },
    async (request, reply) => {
      const dashboard = await dashboardFor(deps, request, request.params.id);
      return renderInsightsPage(deps, request, reply, dashboard, request.query);
    },
  );

  // The same fold as POST /admin/v1/dashboards/:id/insights/refresh, for this environment.
  app.post(
    '/d/:id/insights/refresh',
    { schema: { params: DashboardPageParams, querystring: Query, body: RefreshBody } },
    async (request, reply) => {
      const dashboard = await dashboardFor(deps, request, request.params.id);
      const environment = environmentOf(request.query);
      await deps.services.insights.refresh({ dashboardId: dashboard.id, environment });
      return renderInsightsPage(
        deps,
        request,
        reply,
        dashboard,
        request.query,
        `Figures refreshed in ${environment}: every record stored so far is counted.`,
      );
    },
  );
}
