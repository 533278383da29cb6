import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ALL_RECORD_TYPES, type Environment } from '../../domain/records.js';
import { formatTimestamp } from '../../domain/timestamp.js';
import type { RecentBatch } from '../../ingest/recent-batches.js';
import {
  copyBlock,
  count,
  emptyState,
  environmentOf,
  envSwitch,
  firstPushCommand,
  statCard,
  table,
  when,
} from '../components.js';
import { html, jsonBlock } from '../html.js';
import { page } from '../layout.js';
import { baseUrl, dashboardFor, sendPage, viewerOf, type DashboardDeps } from '../request.js';
import { DashboardPageParams, EnvQuery, Text } from '../schemas.js';

export const CHART_DAYS = 30;
const TAIL_ROWS = 50;

function tailJson(batch: RecentBatch) {
  return {
    seq: batch.seq,
    at: `${formatTimestamp(batch.at)} UTC`,
    type: batch.type,
    count: batch.count,
    sample: batch.sample,
  };
}

/**
 * Ingestion of one environment: records per type per day (the `daily_counts` rollup, drawn by
 * Chart.js with the same figures as a table), the last refused pushes with their reasons, and a
 * live tail of accepted batches (this process's in-memory ring, polled every 3 s).
 */
export function registerIngestionPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const params = DashboardPageParams;
  const { records, rejects, recentBatches } = deps.services;

  app.get('/d/:id/ingestion', { schema: { params, querystring: EnvQuery } }, async (request, reply) => {
    const viewer = viewerOf(request);
    const dashboard = await dashboardFor(deps, request, request.params.id);
    const environment: Environment = environmentOf(request.query);
    const path = `/dashboard/d/${dashboard.id}/ingestion`;
    const [daily, refused] = await Promise.all([
      records.daily(dashboard.id, environment, CHART_DAYS),
      rejects.list(dashboard.id, environment, 50),
    ]);
    const types = ALL_RECORD_TYPES.filter(
      (t) => daily.series[t] !== undefined || daily.totals[t] !== undefined,
    );
    const inWindow = types.reduce((sum, t) => sum + (daily.series[t] ?? []).reduce((a, b) => a + b, 0), 0);
    const tail = recentBatches.list(dashboard.id, environment, 0, TAIL_ROWS);
    const keyHint = environment === 'production' ? '<your production key>' : '<your sandbox key>';

    const chart =
      inWindow === 0
        ? emptyState(
            `No ${environment} records in the last ${CHART_DAYS} days.`,
            html`<p>
                Push a first batch:
                <a href="/dashboard/d/${dashboard.id}/keys">create a ${environment} key</a> (its page shows
                this command with the key filled in), or use a key you have.
              </p>
              ${copyBlock('first-push', 'First push', firstPushCommand(baseUrl(request), keyHint))}`,
          )
        : html`${jsonBlock('ingestion-chart-data', {
              days: daily.days,
              types,
              series: Object.fromEntries(
                types.map((t) => [t, daily.series[t] ?? new Array<number>(CHART_DAYS).fill(0)]),
              ),
            })}
            <div class="chart-box">
              <canvas
                id="ingestion-chart"
                role="img"
                aria-label="Records received per day by type, last ${CHART_DAYS} days: ${count(
                  inWindow,
                )} in all"
              ></canvas>
            </div>
            <details>
              <summary>The figures as a table</summary>
              ${table(
                'Records received per UTC day',
                ['Day', ...types.map((t): [string, 'num'] => [t, 'num'])],
                daily.days
                  .map((day, i) => ({ day, values: types.map((t) => daily.series[t]?.[i] ?? 0) }))
                  .filter((r) => r.values.some((v) => v > 0))
                  .reverse()
                  .map(
                    (r) =>
                      html`<tr>
                        <td>${r.day}</td>
                        ${r.values.map((v) => html`<td class="num">${count(v)}</td>`)}
                      </tr>`,
                  ),
              )}
            </details>`;

    return sendPage(
      reply,
      page(
        {
          title: 'Ingestion',
          viewer,
          assets: deps.assets,
          dashboard: { id: dashboard.id, name: dashboard.name, tab: 'ingestion' },
          chart: inWindow > 0,
        },
        html`${envSwitch(path, environment)}
          <div class="grid">
            ${types.length === 0 ? statCard('Records stored', 0) : ''}
            ${types.map((t) => statCard(t, daily.totals[t] ?? 0))}
          </div>
          <section class="card" aria-labelledby="chart-title">
            <h2 id="chart-title">Records per day (${environment})</h2>
            ${chart}
          </section>
          <section class="card" aria-labelledby="tail-title">
            <h2 id="tail-title">Last batches received</h2>
            <p class="muted" id="live-tail-status" aria-live="polite">
              Updates every few seconds while this page is open.
            </p>
            <div class="table-wrap">
              <table
                id="live-tail"
                data-src="${path}/tail?env=${environment}"
                data-after="${tail[0]?.seq ?? 0}"
              >
                <caption class="muted">
                  Accepted batches seen by this server process, newest first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Type</th>
                    <th scope="col" class="num">Records</th>
                    <th scope="col">First record</th>
                  </tr>
                </thead>
                <tbody>
                  ${tail.length === 0
                    ? html`<tr class="tail-empty">
                        <td colspan="4">
                          Nothing received since this server started. New batches appear here as they arrive.
                        </td>
                      </tr>`
                    : tail.map(
                        (b) =>
                          html`<tr>
                            <td class="when">${when(b.at)}</td>
                            <td>${b.type}</td>
                            <td class="num">${count(b.count)}</td>
                            <td class="mono">${b.sample}</td>
                          </tr>`,
                      )}
                </tbody>
              </table>
            </div>
          </section>
          <section class="card" aria-labelledby="rejects-title">
            <h2 id="rejects-title">Refused pushes</h2>
            ${refused.length === 0
              ? html`<p>
                  No refused pushes in ${environment}. When a batch is refused (invalid records, too large…),
                  the reason the sender got shows here.
                </p>`
              : table(
                  `The last ${refused.length} refused pushes (the newest 200 are kept)`,
                  ['When', 'Type', 'Status', 'Reason', 'First errors'],
                  refused.map(
                    (r) =>
                      html`<tr>
                        <td>${when(r.created_at)}</td>
                        <td>${r.record_type}</td>
                        <td>${r.status}</td>
                        <td>${r.message}</td>
                        <td>
                          ${r.errors.length === 0
                            ? '—'
                            : html`<ul>
                                ${r.errors
                                  .slice(0, 5)
                                  .map((e) => html`<li>#${e.index} ${e.field ?? ''} ${e.message}</li>`)}
                              </ul>`}
                        </td>
                      </tr>`,
                  ),
                )}
          </section>`,
      ),
    );
  });

  const TailQuery = Type.Composite([EnvQuery, Type.Object({ after: Text })]);
  app.get('/d/:id/ingestion/tail', { schema: { params, querystring: TailQuery } }, async (request) => {
    const dashboard = await dashboardFor(deps, request, request.params.id);
    const after = Number(request.query.after ?? 0);
    const batches = recentBatches.list(
      dashboard.id,
      environmentOf(request.query),
      Number.isFinite(after) ? after : 0,
      TAIL_ROWS,
    );
    return { batches: batches.map(tailJson) };
  });
}
