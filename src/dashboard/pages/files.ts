import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Environment } from '../../domain/records.js';
import type { DashboardSummary } from '../../tenancy/tenancy.service.js';
import { count, emptyState, environmentOf, envSwitch, table, when } from '../components.js';
import { DashboardPageParams, EnvQuery, RowId } from '../schemas.js';
import { html, type Child } from '../html.js';
import { csrfField, page } from '../layout.js';
import { dashboardFor, sendPage, viewerOf, type DashboardDeps } from '../request.js';

interface Outcome {
  notice?: string;
  error?: string;
  details?: Child;
}

/** Files: storage connections (last sync, files and records ingested, test / sync now) and CSV uploads. */
async function renderFilesPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  dashboard: DashboardSummary,
  environment: Environment,
  outcome: Outcome = {},
) {
  const viewer = viewerOf(request);
  const path = `/dashboard/d/${dashboard.id}/files`;
  const [connections, ingestions] = await Promise.all([
    deps.services.storageConnections.list(dashboard.id),
    deps.services.files.list(dashboard.id, environment, 20),
  ]);
  const here = connections.filter((c) => c.environment === environment);
  const action = (cid: string, what: 'test' | 'sync', label: string, style: string) =>
    html`<form class="inline" method="post" action="${path}/${cid}/${what}?env=${environment}">
      ${csrfField(viewer)}<button type="submit" class="${style}">${label}</button>
    </form>`;
  const place = (c: (typeof connections)[number]) =>
    c.provider === 'local' ? (c.path ?? '') : `${c.bucket ?? ''}${c.prefix ? `/${c.prefix}` : ''}`;

  return sendPage(
    reply,
    page(
      {
        title: 'Files',
        viewer,
        assets: deps.assets,
        dashboard: { id: dashboard.id, name: dashboard.name, tab: 'files' },
        notice: outcome.notice,
        error: outcome.error,
      },
      html`${envSwitch(path, environment)} ${outcome.details ?? ''}
        <section class="card" aria-labelledby="conn-title">
          <h2 id="conn-title">Storage connections (${environment})</h2>
          ${here.length === 0
            ? emptyState(
                `No ${environment} storage connection.`,
                html`<p>
                  Connect a bucket (S3, Azure or a server directory) with the admin API:
                  <code>POST /admin/v1/dashboards/${dashboard.id}/storage-connections</code> (see
                  docs/buckets.md). Its files are then ingested on each sync.
                </p>`,
              )
            : table(
                'Each file (path and version) is ingested once',
                [
                  'Provider',
                  'Location',
                  'Last sync',
                  ['Files', 'num'],
                  ['Records', 'num'],
                  ['Rejected', 'num'],
                  'Actions',
                ],
                here.map(
                  (c) =>
                    html`<tr>
                      <td>${c.provider}</td>
                      <td class="mono">${place(c)}</td>
                      <td>
                        ${c.last_sync_at === null ? 'never' : when(c.last_sync_at)}${c.schedule_minutes
                          ? html`<br /><span class="muted">every ${c.schedule_minutes} min</span>`
                          : ''}
                      </td>
                      <td class="num">${count(c.files_ingested)}</td>
                      <td class="num">${count(c.records_ingested)}</td>
                      <td class="num">${count(c.records_rejected)}</td>
                      <td>
                        ${action(c.id, 'test', 'Test connection', 'secondary small')}
                        ${action(c.id, 'sync', 'Sync now', 'small')}
                      </td>
                    </tr>`,
                ),
              )}
        </section>
        <section class="card" aria-labelledby="csv-title">
          <h2 id="csv-title">CSV uploads (${environment})</h2>
          ${ingestions.length === 0
            ? emptyState(
                `No ${environment} CSV upload yet.`,
                html`<p>
                  Upload KPIs or survey data with a ${environment} key:
                  <code>curl -F file=@kpis.csv -H "Authorization: Bearer &lt;key&gt;" …/v1/kpis/csv</code>.
                  Each upload's progress shows here.
                </p>`,
              )
            : table(
                'The 20 newest uploads',
                ['Uploaded', 'Kind', 'Status', ['Accepted', 'num'], ['Rejected', 'num'], 'First errors'],
                ingestions.map(
                  (i) =>
                    html`<tr>
                      <td>${when(i.created_at)}</td>
                      <td>${i.kind}</td>
                      <td>
                        <span
                          class="badge ${i.status === 'succeeded'
                            ? 'ok'
                            : i.status === 'failed'
                              ? 'bad'
                              : ''}"
                          >${i.status}</span
                        >
                      </td>
                      <td class="num">${count(i.rows_accepted)}</td>
                      <td class="num">${count(i.rows_rejected)}</td>
                      <td>
                        ${i.errors.length === 0
                          ? '—'
                          : html`<ul>
                              ${i.errors
                                .slice(0, 3)
                                .map((e) => html`<li>line ${e.line}: ${e.field ?? ''} ${e.message}</li>`)}
                            </ul>`}
                      </td>
                    </tr>`,
                ),
              )}
        </section>`,
    ),
  );
}

export function registerFilesPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const page = { params: DashboardPageParams, querystring: EnvQuery };
  const connection = { params: Type.Object({ id: RowId, cid: RowId }), querystring: EnvQuery };
  const connections = deps.services.storageConnections;

  app.get('/d/:id/files', { schema: page }, async (request, reply) => {
    const dashboard = await dashboardFor(deps, request, request.params.id);
    return renderFilesPage(deps, request, reply, dashboard, environmentOf(request.query));
  });

  app.post('/d/:id/files/:cid/test', { schema: connection }, async (request, reply) => {
    const { id, cid } = request.params;
    const dashboard = await dashboardFor(deps, request, id);
    const result = await connections.test(dashboard.id, cid);
    return renderFilesPage(
      deps,
      request,
      reply,
      dashboard,
      environmentOf(request.query),
      result.ok
        ? { notice: `Connection works: ${result.message}` }
        : { error: `Unable to connect: ${result.message}` },
    );
  });

  app.post('/d/:id/files/:cid/sync', { schema: connection }, async (request, reply) => {
    const { id, cid } = request.params;
    const dashboard = await dashboardFor(deps, request, id);
    const environment = environmentOf(request.query);
    let summary;
    try {
      summary = await connections.sync(dashboard.id, cid);
    } catch (error) {
      request.log.warn({ err: error }, 'dashboard sync failed');
      return renderFilesPage(deps, request, reply, dashboard, environment, {
        error: `Sync failed: ${(error as Error).message}`,
      });
    }
    const failed = summary.files_failed > 0 || summary.errors.length > 0;
    return renderFilesPage(deps, request, reply, dashboard, environment, {
      [failed ? 'error' : 'notice']:
        `Sync done: ${summary.files_ingested} new file(s), ${summary.records_ingested} record(s) ingested, ${summary.records_already_stored} already stored, ${summary.files_failed} file(s) failed.`,
      details:
        summary.errors.length === 0
          ? ''
          : html`<section class="card" aria-labelledby="sync-errors">
              <h2 id="sync-errors">Errors of this sync</h2>
              ${table(
                'The first errors, by file and line',
                ['File', 'Line', 'Field', 'Message'],
                summary.errors.slice(0, 50).map(
                  (e) =>
                    html`<tr>
                      <td class="mono">${e.file}</td>
                      <td>${e.line ?? '—'}</td>
                      <td>${e.field ?? '—'}</td>
                      <td>${e.message}</td>
                    </tr>`,
                ),
              )}
            </section>`,
    });
  });
}
