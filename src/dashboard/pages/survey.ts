import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Environment } from '../../domain/records.js';
import type { SurveyStatus } from '../../store/database.js';
import type { ParticipantSummary } from '../../survey/survey.repository.js';
import type { ReliabilityReport } from '../../survey/survey-quality.service.js';
import type { Registration } from '../../survey/survey.service.js';
import type { DashboardSummary } from '../../tenancy/tenancy.service.js';
import {
  copyBlock,
  copyField,
  count,
  emptyState,
  environmentOf,
  envSwitch,
  statCard,
  table,
  when,
} from '../components.js';
import { html, type Child } from '../html.js';
import { csrfField, page } from '../layout.js';
import { baseUrl, dashboardFor, sendPage, viewerOf, type DashboardDeps } from '../request.js';
import { DashboardPageParams, EnvQuery, Form, Text } from '../schemas.js';

/** Rows of the recent participants table. */
export const RECENT_PARTICIPANTS = 50;
/** As the API's `id` (POST /v1/assessment/user/register). */
const MAX_USER_ID = 256;

const STATUS_BADGES: Record<SurveyStatus, { label: string; style: string }> = {
  requested: { label: 'requested', style: '' },
  partial: { label: 'partial', style: '' },
  disqualified: { label: 'disqualified', style: 'bad' },
  completed: { label: 'complete', style: 'ok' },
};

/** Registering a player through the API, ready to paste. */
export function registerCommand(base: string, key: string): string {
  return `curl -X POST ${base}/v1/assessment/user/register \\\n  -H "Authorization: Bearer ${key}" \\\n  -H "Content-Type: application/json" \\\n  -d '{"id":"player-1"}'`;
}

const fixed = (v: number | null, digits: number) => (v === null ? '–' : v.toFixed(digits));

/** A participant's careless-responding indices and the signals they raised (finished surveys only). */
function qualityCells(p: ParticipantSummary): Child {
  const signals = p.careless_signals === null ? null : p.careless_signals.split(',').filter(Boolean);
  return html`<td class="num">${p.rushed_pages}</td>
    <td class="num">${p.long_string ?? '–'}</td>
    <td class="num">${fixed(p.even_odd, 2)}</td>
    <td class="num">${fixed(p.mahalanobis, 0)}</td>
    <td>
      ${signals === null ? (p.disqualified_reason ?? '') : signals.length === 0 ? 'none' : signals.join(', ')}
    </td>`;
}

/** α and ω per scale with their intervals, or why there are none yet. */
function reliabilitySection(report: ReliabilityReport): Child {
  const interval = (e: { value: number; low: number; high: number } | null) =>
    e === null ? '–' : `${e.value.toFixed(2)} [${e.low.toFixed(2)}, ${e.high.toFixed(2)}]`;
  return html`<section class="card" aria-labelledby="reliability-title" id="survey-reliability">
    <h2 id="reliability-title">Reliability (${report.environment})</h2>
    ${report.available
      ? html`<p class="muted">
            Cronbach's α and McDonald's ω (one factor) per scale, ${report.message}, with 95% bootstrap
            intervals (${report.resamples} resamples, seeded). Also at
            <code>GET /admin/v1/dashboards/:id/survey/reliability</code>.
          </p>
          ${table(
            `Reliability of the ${report.scales.length} scales`,
            [
              'Construct',
              'Reported as',
              ['Items', 'num'],
              ['Players', 'num'],
              'α [95% interval]',
              'ω [95% interval]',
            ],
            report.scales.map(
              (s) =>
                html`<tr>
                  <td>${s.name}</td>
                  <td>${s.reported_as.join(', ')}</td>
                  <td class="num">${s.items}</td>
                  <td class="num">${count(s.respondents)}</td>
                  <td class="num">${interval(s.alpha)}</td>
                  <td class="num">${interval(s.omega)}</td>
                </tr>`,
            ),
          )}`
      : html`<p id="reliability-pending">
          No reliability figures yet: ${report.message}. Figures from fewer players would be too uncertain to
          act on.
        </p>`}
  </section>`;
}

/** A link just made: shown in this response only (the database keeps only the token's hash). */
interface FreshLink {
  userId: string;
  registration: Registration;
}

interface Outcome {
  fresh?: FreshLink;
  error?: string;
  /** The user id typed into the form, shown again after an error. */
  typed?: string;
}

function revealed(request: FastifyRequest, environment: Environment, fresh: FreshLink): Child {
  const url = `${baseUrl(request)}/survey?playerid=${fresh.registration.token}`;
  const finished = fresh.registration.status !== 'requested';
  return html`<section class="card" aria-labelledby="new-link-title">
    <h2 id="new-link-title">Survey link for player <span class="mono">${fresh.userId}</span></h2>
    <p>
      <strong>Anyone with this link can answer as this player: send it to them only.</strong> It is shown only
      here (Traitforge keeps only a hash of it); make another one any time.
    </p>
    ${copyField('survey-link', `Survey link (${environment})`, url)}
    <p class="muted">
      Works until ${when(fresh.registration.expiresAt)}. Earlier links of this player keep working until
      theirs expire.
    </p>
    ${finished
      ? html`<p>
          This player already finished the survey (${fresh.registration.status}): the link shows the thank-you
          page.
        </p>`
      : ''}
  </section>`;
}

/** Survey: players per stage, the newest registrations, and a form that makes a player's link. */
async function renderSurveyPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  dashboard: DashboardSummary,
  environment: Environment,
  outcome: Outcome = {},
  status = 200,
) {
  const viewer = viewerOf(request);
  const path = `/dashboard/d/${dashboard.id}/survey`;
  const scope = { dashboardId: dashboard.id, environment };
  const [counts, participants, reliability] = await Promise.all([
    deps.services.survey.counts(scope),
    deps.services.survey.recentParticipants(scope, RECENT_PARTICIPANTS),
    deps.services.surveyQuality.reliability(scope),
  ]);
  const keyHint = environment === 'production' ? '<your production key>' : '<your sandbox key>';
  const stats: [string, number][] = [
    ['Registered', counts.registered],
    ['Requested (not started)', counts.requested],
    ['Partial', counts.partial],
    ['Disqualified', counts.disqualified],
    ['Complete', counts.complete],
  ];

  return sendPage(
    reply,
    page(
      {
        title: 'Survey',
        viewer,
        assets: deps.assets,
        dashboard: { id: dashboard.id, name: dashboard.name, tab: 'survey' },
        notice: outcome.fresh
          ? `A survey link for player ${outcome.fresh.userId} is ready below.`
          : undefined,
        error: outcome.error,
      },
      html`${envSwitch(path, environment)}
        <div class="grid" id="survey-counts">${stats.map(([label, n]) => statCard(label, n))}</div>
        ${outcome.fresh ? revealed(request, environment, outcome.fresh) : ''}
        <section class="card" aria-labelledby="link-title">
          <h2 id="link-title">Survey link for a player</h2>
          <p class="muted">
            Registers the player in ${environment}, as <code>POST /v1/assessment/user/register</code> does,
            and shows the link to send them. The player answers in the browser; no key is needed.
          </p>
          <form method="post" action="${path}/link?env=${environment}" class="row">
            ${csrfField(viewer)}
            <div>
              <label for="user-id">Player's user id</label>
              <input
                type="text"
                id="user-id"
                name="user_id"
                required
                maxlength="${MAX_USER_ID}"
                autocomplete="off"
                spellcheck="false"
                value="${outcome.typed ?? ''}"
              />
            </div>
            <button type="submit">Make a link</button>
          </form>
        </section>
        <section class="card" aria-labelledby="participants-title">
          <h2 id="participants-title">Recent participants (${environment})</h2>
          ${participants.length === 0
            ? emptyState(
                `No ${environment} player registered for the survey yet.`,
                html`<p>
                    Register players from your game with a ${environment} key (<a
                      href="/dashboard/d/${dashboard.id}/keys"
                      >create one</a
                    >
                    if you have none); the answer's <code>token</code> makes the link
                    <code>${baseUrl(request)}/survey?playerid=&lt;token&gt;</code>. Or make a link for one
                    player with the form above.
                  </p>
                  ${copyBlock(
                    'register-command',
                    'Register a player',
                    registerCommand(baseUrl(request), keyHint),
                  )}`,
              )
            : table(
                counts.registered > participants.length
                  ? `The ${participants.length} newest of ${count(counts.registered)} registrations`
                  : `${participants.length} registration${participants.length === 1 ? '' : 's'}, newest first`,
                [
                  'User id',
                  'Status',
                  'Registered',
                  'Completed',
                  ['Rushed pages', 'num'],
                  ['Long string', 'num'],
                  ['Even–odd', 'num'],
                  ['Mahalanobis D²', 'num'],
                  'Careless signals',
                ],
                participants.map((p) => {
                  const badge = STATUS_BADGES[p.status];
                  return html`<tr>
                    <td class="mono">${p.user_id}</td>
                    <td><span class="badge ${badge.style}">${badge.label}</span></td>
                    <td class="when">${when(p.registered_at)}</td>
                    <td class="when">${when(p.completed_at)}</td>
                    ${qualityCells(p)}
                  </tr>`;
                }),
              )}
          <p class="muted">
            Careless-responding indices of finished surveys: two signals or more disqualify (see
            docs/psychometrics.md).
          </p>
        </section>
        ${reliabilitySection(reliability)}`,
    ),
    status,
  );
}

export function registerSurveyPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const page = { params: DashboardPageParams, querystring: EnvQuery };
  app.get('/d/:id/survey', { schema: page }, async (request, reply) => {
    const dashboard = await dashboardFor(deps, request, request.params.id);
    return renderSurveyPage(deps, request, reply, dashboard, environmentOf(request.query));
  });

  // The link is a credential: it is shown in this response only, never put in a URL or redirect.
  const body = Form({ user_id: Text });
  app.post('/d/:id/survey/link', { schema: { ...page, body } }, async (request, reply) => {
    const dashboard = await dashboardFor(deps, request, request.params.id);
    const environment = environmentOf(request.query);
    const typed = request.body.user_id ?? '';
    const userId = typed.trim();
    if (userId.length === 0 || userId.length > MAX_USER_ID) {
      return renderSurveyPage(
        deps,
        request,
        reply,
        dashboard,
        environment,
        {
          error: `a user id is 1 to ${MAX_USER_ID} characters: the id your game uses for the player`,
          typed: typed.slice(0, MAX_USER_ID),
        },
        400,
      );
    }
    const registration = await deps.services.survey.register(
      { dashboardId: dashboard.id, environment },
      userId,
    );
    return renderSurveyPage(deps, request, reply, dashboard, environment, {
      fresh: { userId, registration },
    });
  });
}
