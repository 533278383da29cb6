import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csvRow } from '../../domain/csv-cell.js';
import type { Environment } from '../../domain/records.js';
import { AppError } from '../../errors.js';
import { NO_DISTINCT_PERSONAS } from '../../personas/clustering.js';
import type { RecomputeResult, SegmentSummary } from '../../personas/persona.service.js';
import type { StoredPersona } from '../../personas/personas.repository.js';
import { DEFAULT_SEGMENT } from '../../personas/segments.service.js';
import { CATEGORY_NAMES } from '../../survey/trait-catalogue.js';
import type { DashboardSummary } from '../../tenancy/tenancy.service.js';
import { count, emptyState, environmentOf, envSwitch, segmentField, table } from '../components.js';
import { html, jsonBlock, type Child, type Html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { dashboardFor, sendPage, viewerOf, type DashboardDeps } from '../request.js';
import { DashboardPageParams, EnvQuery, Text } from '../schemas.js';
import { round } from '../../domain/round.js';

/** Rows of the members list on the page; the CSV export has them all. */
export const MEMBERS_SHOWN = 200;
const MAX_SEGMENT_ID = 100;

/** "coreMotivations" → "Core motivations". */
export function categoryLabel(category: string): string {
  const words = category.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The mean of each category's trait means, in CATEGORY_NAMES order, to one decimal. */
export function categoryMeans(persona: Pick<StoredPersona, 'traitMeans'>): number[] {
  const means = persona.traitMeans as unknown as Record<string, Record<string, number> | undefined>;
  return CATEGORY_NAMES.map((category) => {
    const values = Object.values(means[category] ?? {}).filter((v) => Number.isFinite(v));
    const mean = values.length === 0 ? 50 : values.reduce((a, b) => a + b, 0) / values.length;
    return round(mean, 1);
  });
}

function share(part: number, whole: number): string {
  return whole === 0 ? '—' : `${((part / whole) * 100).toFixed(1)} %`;
}

interface Choice {
  segmentId: string;
  /** The persona whose members are listed (undefined: the first). */
  persona: number | undefined;
}

/** `?env=&segment=&persona=`: a segment id or a persona number that is not one shows the default. */
const PageQuery = Type.Composite([EnvQuery, Type.Object({ segment: Text, persona: Text })]);

function choiceOf(q: Static<typeof PageQuery>): Choice {
  const segmentId =
    q.segment !== undefined && q.segment.length > 0 && q.segment.length <= MAX_SEGMENT_ID
      ? q.segment
      : DEFAULT_SEGMENT.id;
  const persona = q.persona !== undefined && /^\d{1,9}$/.test(q.persona) ? Number(q.persona) : undefined;
  return { segmentId, persona };
}

function query(environment: Environment, segmentId: string, persona?: number | 'all'): string {
  const params = new URLSearchParams({ env: environment, segment: segmentId });
  if (persona !== undefined) params.set('persona', String(persona));
  return `?${params.toString()}`;
}

/** The answer of "Recompute now": one row per segment, as the admin API's summary. */
function recomputed(result: RecomputeResult): Html {
  const segments = result.environments.flatMap((e) => e.segments);
  return html`<section class="card" aria-labelledby="recompute-title" id="recompute-result">
    <h2 id="recompute-title">Recomputed</h2>
    ${table(
      `Personas per segment after this recompute (${result.environments.map((e) => e.environment).join(', ')})`,
      [
        'Segment',
        ['Players', 'num'],
        ['Surveyed', 'num'],
        ['Predicted', 'num'],
        ['Personas', 'num'],
        ['Prediction accuracy', 'num'],
      ],
      segments.map(
        (s) =>
          html`<tr>
            <td>${s.name}</td>
            <td class="num">${count(s.players)}</td>
            <td class="num">${count(s.surveyed)}</td>
            <td class="num">${count(s.predicted)}</td>
            <td class="num">${s.k === 1 && !s.distinct_personas ? `1 (${NO_DISTINCT_PERSONAS})` : s.k}</td>
            <td class="num">
              ${s.prediction?.accuracy === null || s.prediction?.accuracy === undefined
                ? '—'
                : `${(s.prediction.accuracy * 100).toFixed(1)} % (baseline ${((s.prediction.baseline ?? 0) * 100).toFixed(1)} %)`}
            </td>
          </tr>`,
      ),
    )}
  </section>`;
}

/** The model's verdict on the segment in one plain sentence, with its evidence. */
function verdict(summary: SegmentSummary): Html {
  // A summary stored before the mixture model (issue 12) has no verdict to show.
  if (!('distinct_personas' in summary)) return html``;
  const evidence = summary.evidence;
  if (!summary.distinct_personas) {
    const why = evidence
      ? evidence.conclusion
      : `only ${count(summary.surveyed)} surveyed players: too few to tell personas apart`;
    return html`<p class="notice" id="personas-verdict">
      <strong>${NO_DISTINCT_PERSONAS.charAt(0).toUpperCase() + NO_DISTINCT_PERSONAS.slice(1)}.</strong>
      The surveyed players form one group (${why}); persona 1 holds them all.
    </p>`;
  }
  const check = evidence?.null_check;
  return html`<p class="muted" id="personas-verdict">
    ${summary.k} distinct personas: a ${evidence?.model ?? 'mixture'} chose k = ${summary.k} by BIC among k =
    1 to
    ${evidence?.candidates.length ?? summary.k}${check
      ? `; its BIC gain over one persona (${check.observed}) beats ${check.replicates} data sets drawn from one Gaussian (at most ${check.null_max})`
      : ''}${evidence?.entropy != null ? `; classification entropy ${evidence.entropy}` : ''}.
  </p>`;
}

function recomputeForm(
  path: string,
  environment: Environment,
  segmentId: string,
  viewer: Parameters<typeof csrfField>[0],
): Html {
  return html`<form method="post" action="${path}/recompute${query(environment, segmentId)}" class="row">
    ${csrfField(viewer)}<button type="submit">Recompute now</button>
  </form>`;
}

/** Personas of one segment: sizes, a radar chart of category means per persona, the members. */
async function renderPersonasPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  dashboard: DashboardSummary,
  environment: Environment,
  choice: Choice,
  result?: RecomputeResult,
) {
  const viewer = viewerOf(request);
  const { personas: service } = deps.services;
  const path = `/dashboard/d/${dashboard.id}/personas`;
  const overview = await service.overview(dashboard.id, environment, choice.segmentId);
  const { segment, segments, personas, summary } = overview;
  const total = personas.reduce((sum, p) => sum + p.surveyed + p.predicted, 0);
  const chosen = personas.find((p) => p.persona === choice.persona) ?? personas[0];
  if (choice.persona !== undefined && chosen?.persona !== choice.persona) {
    throw new AppError(
      'not_found',
      `segment ${segment.name} has no persona ${choice.persona} in ${environment}`,
    );
  }
  const members = chosen
    ? await service.members(dashboard.id, environment, segment.id, chosen.persona, {
        limit: MEMBERS_SHOWN + 1,
      })
    : [];
  const more = members.length > MEMBERS_SHOWN;
  const means = personas.map((p) => ({ persona: p.persona, means: categoryMeans(p) }));
  const form = recomputeForm(path, environment, segment.id, viewer);

  const picker = html`<form method="get" action="${path}" class="row" id="segment-picker">
    <input type="hidden" name="env" value="${environment}" />
    ${segmentField(segments, segment.id)}
    <button type="submit" class="secondary">Show</button>
  </form>`;

  let body: Child;
  if (personas.length === 0) {
    body = html`<section class="card" aria-labelledby="personas-title">
      <h2 id="personas-title">Personas of ${segment.name} (${environment})</h2>
      ${overview.surveyed === 0
        ? emptyState(
            `No personas yet: no ${environment} player has completed the survey.`,
            html`<p>
              Personas are clusters of surveyed players' traits, so they need completed surveys first.
              <a href="/dashboard/d/${dashboard.id}/survey?env=${environment}">Send survey links</a> from the
              Survey tab; personas are computed a few seconds after completions.
            </p>`,
          )
        : summary === null
          ? emptyState(
              `No personas yet: not computed for this segment in ${environment}.`,
              html`<p>
                  ${count(overview.surveyed)} ${environment}
                  player${overview.surveyed === 1 ? ' has' : 's have'} completed the survey. Compute the
                  personas now:
                </p>
                ${form}`,
            )
          : emptyState(
              `No personas: the last recompute found too few surveyed players in this segment.`,
              html`<p>
                  It had ${count(summary.surveyed)} surveyed player${summary.surveyed === 1 ? '' : 's'} of
                  ${count(summary.players)} in the segment (at ${summary.computed_at} UTC); personas need at
                  least 10. Recompute once more players have completed the survey:
                </p>
                ${form}`,
            )}
    </section>`;
  } else {
    body = html`<section class="card" aria-labelledby="personas-title">
        <h2 id="personas-title">Personas of ${segment.name} (${environment})</h2>
        ${summary
          ? html`<p class="muted" id="personas-summary">
              Computed at ${summary.computed_at} UTC from ${count(summary.surveyed)} surveyed
              player${summary.surveyed === 1 ? '' : 's'}; ${count(summary.predicted)} more predicted from
              behaviour${summary.prediction?.accuracy !== null && summary.prediction?.accuracy !== undefined
                ? ` (${(summary.prediction.accuracy * 100).toFixed(1)} % right on held-out surveyed players)`
                : ''}.
            </p>`
          : ''}
        ${summary ? verdict(summary) : ''}
        ${table(
          `${personas.length} persona${personas.length === 1 ? '' : 's'}, ${count(total)} players`,
          [
            'Persona',
            ['Size', 'num'],
            ['Surveyed', 'num'],
            ['Surveyed (expected)', 'num'],
            ['Predicted', 'num'],
            ['Share', 'num'],
          ],
          personas.map((p) => {
            const size = p.surveyed + p.predicted;
            const expected = summary?.personas.find((s) => s.persona === p.persona)?.surveyed_expected;
            return html`<tr>
              <td>
                <a href="${path}${query(environment, segment.id, p.persona)}#members">Persona ${p.persona}</a>
              </td>
              <td class="num">${count(size)}</td>
              <td class="num">${count(p.surveyed)}</td>
              <td class="num">${expected === undefined ? '—' : expected.toFixed(1)}</td>
              <td class="num">${count(p.predicted)}</td>
              <td class="num">${share(size, total)}</td>
            </tr>`;
          }),
        )}
        ${form}
      </section>
      <section class="card" aria-labelledby="traits-title">
        <h2 id="traits-title">Mean traits per category</h2>
        <p class="muted">
          Each category's score is the mean of its traits (0–100) over the persona's surveyed players.
        </p>
        ${jsonBlock('personas-chart-data', {
          categories: CATEGORY_NAMES.map(categoryLabel),
          personas: means,
        })}
        <div class="radar-grid">
          ${means.map(
            (p) =>
              html`<figure class="radar">
                <div class="chart-box">
                  <canvas
                    id="persona-radar-${p.persona}"
                    data-persona="${p.persona}"
                    role="img"
                    aria-label="Persona ${p.persona}: mean trait score per category, 0 to 100 (figures in the table below)"
                  ></canvas>
                </div>
                <figcaption>Persona ${p.persona}</figcaption>
              </figure>`,
          )}
        </div>
        <details>
          <summary>The figures as a table</summary>
          ${table(
            'Mean trait score per category (0–100)',
            ['Category', ...means.map((p): [string, 'num'] => [`Persona ${p.persona}`, 'num'])],
            CATEGORY_NAMES.map(
              (category, i) =>
                html`<tr>
                  <th scope="row">${categoryLabel(category)}</th>
                  ${means.map((p) => html`<td class="num">${p.means[i]!.toFixed(1)}</td>`)}
                </tr>`,
            ),
          )}
        </details>
      </section>
      <section class="card" aria-labelledby="members-title" id="members">
        <h2 id="members-title">Members of persona ${chosen!.persona}</h2>
        <nav class="row" aria-label="Persona">
          ${personas.map(
            (p) =>
              html`<a
                href="${path}${query(environment, segment.id, p.persona)}#members"
                ${p.persona === chosen!.persona ? html` aria-current="true"` : ''}
                >Persona ${p.persona}</a
              >`,
          )}
        </nav>
        <p>
          <a
            class="button"
            id="export-link"
            href="${path}/export.csv${query(environment, segment.id, chosen!.persona)}"
            download
            >Export all ${count(chosen!.surveyed + chosen!.predicted)} as CSV</a
          >
          <span class="muted">(<code>user_id,persona,source</code>)</span>
        </p>
        ${table(
          more
            ? `The first ${MEMBERS_SHOWN} of ${count(chosen!.surveyed + chosen!.predicted)} members, by user id (the CSV has them all)`
            : `${members.length} member${members.length === 1 ? '' : 's'}, by user id`,
          ['User id', 'Source'],
          members.slice(0, MEMBERS_SHOWN).map(
            (m) =>
              html`<tr>
                <td class="mono">${m.user_id}</td>
                <td>
                  <span class="badge ${m.source === 'surveyed' ? 'ok' : ''}">${m.source}</span>
                </td>
              </tr>`,
          ),
        )}
      </section>`;
  }

  return sendPage(
    reply,
    page(
      {
        title: 'Personas',
        viewer,
        assets: deps.assets,
        dashboard: { id: dashboard.id, name: dashboard.name, tab: 'personas' },
        chart: personas.length > 0,
        notice: result
          ? `Personas recomputed in ${environment}: ${result.environments
              .flatMap((e) => e.segments)
              .map((s) => `${s.name} ${s.k} persona${s.k === 1 ? '' : 's'}`)
              .join(', ')}.`
          : undefined,
      },
      html`${envSwitch(path, environment, segment.id === DEFAULT_SEGMENT.id ? {} : { segment: segment.id })}
      ${picker} ${result ? recomputed(result) : ''} ${body}`,
    ),
  );
}

export function registerPersonasPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const schema = { params: DashboardPageParams, querystring: PageQuery };
  app.get('/d/:id/personas', { schema }, async (request, reply) => {
    const dashboard = await dashboardFor(deps, request, request.params.id);
    return renderPersonasPage(
      deps,
      request,
      reply,
      dashboard,
      environmentOf(request.query),
      choiceOf(request.query),
    );
  });

  // The same recompute as POST /admin/v1/dashboards/:id/personas/recompute, for this environment.
  app.post('/d/:id/personas/recompute', { schema }, async (request, reply) => {
    const dashboard = await dashboardFor(deps, request, request.params.id);
    const environment = environmentOf(request.query);
    const result = await deps.services.personas.recompute(dashboard.id, environment);
    return renderPersonasPage(deps, request, reply, dashboard, environment, choiceOf(request.query), result);
  });

  // Every member of a persona (persona=all: of the segment), streamed in pages of user ids.
  app.get('/d/:id/personas/export.csv', { schema }, async (request, reply) => {
    const dashboard = await dashboardFor(deps, request, request.params.id);
    const environment = environmentOf(request.query);
    const choice = choiceOf(request.query);
    const { segmentId } = choice;
    const persona = request.query.persona === 'all' ? 'all' : choice.persona;
    if (persona === undefined) throw new AppError('bad_request', 'persona must be a persona number or all');
    const pages = await deps.services.personas.memberPages(dashboard.id, environment, segmentId, persona);
    async function* lines() {
      yield csvRow(['user_id', 'persona', 'source']);
      for await (const rows of pages)
        yield rows.map((m) => csvRow([m.user_id, m.persona, m.source])).join('');
    }
    const name = `personas-${dashboard.id}-${environment}-${segmentId}-${persona}.csv`.replace(
      /[^\w.-]/g,
      '_',
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(Readable.from(lines()));
  });
}
