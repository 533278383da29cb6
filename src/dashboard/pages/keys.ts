import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENVIRONMENTS } from '../../domain/records.js';
import { AppError } from '../../errors.js';
import type { CreatedKey, DashboardSummary } from '../../tenancy/tenancy.service.js';
import { copyBlock, copyField, emptyState, firstPushCommand, table, when } from '../components.js';
import { html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { baseUrl, dashboardFor, sendPage, viewerOf, type DashboardDeps } from '../request.js';
import { DashboardPageParams, Form, RowId, Text } from '../schemas.js';

/** A key just made: its secret, once, with a copy button and the first push ready to paste. */
function revealed(request: FastifyRequest, key: CreatedKey) {
  return html`<section class="card" aria-labelledby="new-${key.id}">
    <h2 id="new-${key.id}">New ${key.environment} key</h2>
    <p><strong>Copy it now: it is shown only once.</strong> Traitforge keeps only a hash of it.</p>
    ${copyField(`secret-${key.id}`, `${key.environment} key ${key.prefix}…`, key.key)}
    ${copyBlock(`curl-${key.id}`, 'Send a first record with it', firstPushCommand(baseUrl(request), key.key))}
  </section>`;
}

/** The keys page; `fresh` are keys created by this very request (their secrets shown once). */
export async function renderKeysPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  dashboard: DashboardSummary,
  fresh: CreatedKey[] = [],
  notice?: string,
) {
  const viewer = viewerOf(request);
  const keys = await deps.services.tenancy.listKeys(dashboard.id);
  const path = `/dashboard/d/${dashboard.id}/keys`;
  const rows = keys.map(
    (k) =>
      html`<tr>
        <td class="mono">${k.prefix}…</td>
        <td>${k.environment}</td>
        <td>${when(k.created_at.slice(0, 19).replace('T', ' '))}</td>
        <td>
          ${k.revoked_at === null
            ? html`<span class="badge ok">active</span>`
            : html`<span class="badge bad">revoked ${k.revoked_at.slice(0, 10)}</span>`}
        </td>
        <td>
          ${k.revoked_at === null
            ? html`<form
                class="inline"
                method="post"
                action="${path}/${k.id}/revoke"
                data-confirm="Revoke key ${k.prefix}…? Pushes with it are refused at once."
              >
                ${csrfField(viewer)}<button
                  type="submit"
                  class="danger small"
                  aria-label="Revoke key ${k.prefix}"
                >
                  Revoke
                </button>
              </form>`
            : ''}
        </td>
      </tr>`,
  );
  return sendPage(
    reply.header('cache-control', 'no-store'),
    page(
      {
        title: 'API keys',
        viewer,
        assets: deps.assets,
        dashboard: { id: dashboard.id, name: dashboard.name, tab: 'keys' },
        notice,
      },
      html`${fresh.map((k) => revealed(request, k))}
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Create a key</h2>
          <p class="muted">
            Production and sandbox data never mix: a key writes to its own environment. Send it as
            <code>Authorization: Bearer &lt;key&gt;</code>.
          </p>
          <form method="post" action="${path}" class="row">
            ${csrfField(viewer)}
            <div>
              <label for="environment">Environment</label>
              <select id="environment" name="environment">
                ${ENVIRONMENTS.map((e) => html`<option value="${e}">${e}</option>`)}
              </select>
            </div>
            <button type="submit">Create key</button>
          </form>
        </section>
        <section aria-labelledby="list-title">
          <h2 id="list-title">Keys</h2>
          ${keys.length === 0
            ? emptyState('This dashboard has no keys.', html`<p>Create one above to start sending data.</p>`)
            : table(
                'Keys are listed by prefix; the full key was shown once, at creation.',
                ['Prefix', 'Environment', 'Created', 'Status', ''],
                rows,
              )}
        </section>`,
    ),
  );
}

export function registerKeysPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const params = DashboardPageParams;
  const KeyParams = Type.Object({ id: RowId, keyId: RowId });

  app.get(
    '/d/:id/keys',
    { schema: { params, querystring: Type.Object({ done: Text }) } },
    async (request, reply) => {
      const dashboard = await dashboardFor(deps, request, request.params.id);
      const { done } = request.query;
      return renderKeysPage(
        deps,
        request,
        reply,
        dashboard,
        [],
        done === 'revoked' ? 'The key is revoked: pushes with it are refused from now on.' : undefined,
      );
    },
  );

  app.post(
    '/d/:id/keys',
    { schema: { params, body: Form({ environment: Text }) } },
    async (request, reply) => {
      const dashboard = await dashboardFor(deps, request, request.params.id);
      const environment = ENVIRONMENTS.find((e) => e === request.body.environment);
      if (environment === undefined) throw new AppError('bad_request', 'choose production or sandbox');
      const key = await deps.services.tenancy.createKey(dashboard.id, environment);
      return renderKeysPage(deps, request, reply, dashboard, [key]);
    },
  );

  app.post('/d/:id/keys/:keyId/revoke', { schema: { params: KeyParams } }, async (request, reply) => {
    const { id, keyId } = request.params;
    const dashboard = await dashboardFor(deps, request, id);
    await deps.services.tenancy.revokeKey(dashboard.id, keyId);
    return reply.redirect(`/dashboard/d/${dashboard.id}/keys?done=revoked`, 303);
  });
}
