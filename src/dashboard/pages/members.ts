import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { DashboardSummary } from '../../tenancy/tenancy.service.js';
import { emptyState, table, when } from '../components.js';
import { html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { MIN_PASSWORD_LENGTH } from '../password.js';
import { dashboardFor, requireOperator, sendPage, type DashboardDeps } from '../request.js';
import { DashboardPageParams, Form, RowId, Text } from '../schemas.js';

/** The operator's page for a dashboard's member accounts (e-mail and password). */
async function renderMembersPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  dashboard: DashboardSummary,
  messages: { notice?: string; error?: string; email?: string } = {},
  status = 200,
) {
  const viewer = requireOperator(request);
  const members = await deps.services.dashboardAuth.listMembers(dashboard.id);
  const path = `/dashboard/d/${dashboard.id}/members`;
  return sendPage(
    reply,
    page(
      {
        title: 'Members',
        viewer,
        assets: deps.assets,
        dashboard: { id: dashboard.id, name: dashboard.name, tab: 'members' },
        notice: messages.notice,
        error: messages.error,
      },
      html`<section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Add a member</h2>
          <p class="muted">
            Members sign in with their e-mail and password and see this dashboard only. Give them the password
            yourself; they cannot reset it.
          </p>
          <form method="post" action="${path}">
            ${csrfField(viewer)}
            <div class="row">
              <div>
                <label for="email">E-mail</label
                ><input
                  type="email"
                  id="email"
                  name="email"
                  required
                  autocomplete="off"
                  value="${messages.email ?? ''}"
                />
              </div>
              <div>
                <label for="password"
                  >Password <span class="muted">(at least ${MIN_PASSWORD_LENGTH} characters)</span></label
                >
                <input
                  type="password"
                  id="password"
                  name="password"
                  required
                  minlength="${MIN_PASSWORD_LENGTH}"
                  autocomplete="new-password"
                />
              </div>
              <button type="submit">Add member</button>
            </div>
          </form>
        </section>
        <section aria-labelledby="list-title">
          <h2 id="list-title">Members</h2>
          ${members.length === 0
            ? emptyState(
                'Nobody but the operator can open this dashboard yet.',
                html`<p>Add your team above.</p>`,
              )
            : table(
                `${members.length} member${members.length === 1 ? '' : 's'}`,
                ['E-mail', 'Added', ''],
                members.map(
                  (m) =>
                    html`<tr>
                      <td>${m.email}</td>
                      <td>${when(m.created_at)}</td>
                      <td>
                        <form
                          class="inline"
                          method="post"
                          action="${path}/${m.id}/delete"
                          data-confirm="Remove ${m.email}? They are signed out at once."
                        >
                          ${csrfField(viewer)}<button
                            type="submit"
                            class="danger small"
                            aria-label="Remove ${m.email}"
                          >
                            Remove
                          </button>
                        </form>
                      </td>
                    </tr>`,
                ),
              )}
        </section>`,
    ),
    status,
  );
}

export function registerMembersPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const params = DashboardPageParams;
  const MemberParams = Type.Object({ id: RowId, memberId: RowId });
  const notices: Record<string, string> = {
    added: 'The member can sign in now.',
    removed: 'The member is removed and signed out.',
  };

  const query = Type.Object({ done: Text });
  app.get('/d/:id/members', { schema: { params, querystring: query } }, async (request, reply) => {
    requireOperator(request);
    const dashboard = await dashboardFor(deps, request, request.params.id);
    const { done } = request.query;
    return renderMembersPage(deps, request, reply, dashboard, { notice: done ? notices[done] : undefined });
  });

  const body = Form({ email: Text, password: Text });
  app.post('/d/:id/members', { schema: { params, body } }, async (request, reply) => {
    requireOperator(request);
    const dashboard = await dashboardFor(deps, request, request.params.id);
    const form = request.body;
    try {
      await deps.services.dashboardAuth.createMember(dashboard.id, form.email ?? '', form.password ?? '');
    } catch (error) {
      if (error instanceof AppError && error.status < 500) {
        return renderMembersPage(
          deps,
          request,
          reply,
          dashboard,
          { error: error.message, email: form.email },
          error.status,
        );
      }
      throw error;
    }
    return reply.redirect(`/dashboard/d/${dashboard.id}/members?done=added`, 303);
  });

  app.post(
    '/d/:id/members/:memberId/delete',
    { schema: { params: MemberParams } },
    async (request, reply) => {
      requireOperator(request);
      const { id, memberId } = request.params;
      const dashboard = await dashboardFor(deps, request, id);
      await deps.services.dashboardAuth.deleteMember(dashboard.id, memberId);
      return reply.redirect(`/dashboard/d/${dashboard.id}/members?done=removed`, 303);
    },
  );
}
