import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { emptyState, table, when } from '../components.js';
import { html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { requireOperator, sendPage, type DashboardDeps } from '../request.js';
import { Form, Text } from '../schemas.js';
import { renderKeysPage } from './keys.js';

/** The operator's list of dashboards (one per game) and the form that creates one. */
export function registerDashboardsPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/dashboards', async (request, reply) => {
    const viewer = requireOperator(request);
    const dashboards = await deps.services.tenancy.listDashboards();
    const rows = dashboards.map(
      (d) =>
        html`<tr>
          <td><a href="/dashboard/d/${d.id}/ingestion">${d.name}</a></td>
          <td class="mono">${d.id}</td>
          <td>${d.slug ?? '—'}</td>
          <td>${when(d.created_at.slice(0, 19).replace('T', ' '))}</td>
        </tr>`,
    );
    return sendPage(
      reply,
      page(
        { title: 'Dashboards', viewer, assets: deps.assets, section: 'dashboards' },
        html`<section class="card" aria-labelledby="create-title">
            <h2 id="create-title">Create a dashboard</h2>
            <p class="muted">One dashboard per game or app. It starts with a production and a sandbox key.</p>
            <form method="post" action="/dashboard/dashboards" class="row">
              ${csrfField(viewer)}
              <div>
                <label for="name">Name</label
                ><input type="text" id="name" name="name" required maxlength="200" />
              </div>
              <div>
                <label for="slug">Slug <span class="muted">(optional, for /v1/games/:game)</span></label>
                <input type="text" id="slug" name="slug" pattern="[a-z0-9][a-z0-9-]{0,62}" maxlength="63" />
              </div>
              <button type="submit">Create dashboard</button>
            </form>
          </section>
          <section aria-labelledby="list-title">
            <h2 id="list-title">All dashboards</h2>
            ${dashboards.length === 0
              ? emptyState(
                  'No dashboards yet.',
                  html`<p>Create the first one above: you get its keys and the command for a first push.</p>`,
                )
              : table(
                  `${dashboards.length} dashboard${dashboards.length === 1 ? '' : 's'}`,
                  ['Name', 'Id', 'Slug', 'Created'],
                  rows,
                )}
          </section>`,
      ),
    );
  });

  app.post('/dashboards', { schema: { body: Form({ name: Text, slug: Text }) } }, async (request, reply) => {
    requireOperator(request);
    const form = request.body;
    const slug = form.slug?.trim();
    const created = await deps.services.tenancy.createDashboard(form.name ?? '', slug ? slug : undefined);
    return renderKeysPage(
      deps,
      request,
      reply,
      created,
      [created.keys.production, created.keys.sandbox],
      `Dashboard ${created.name} is ready.`,
    );
  });
}
