import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ENVIRONMENTS, type Environment } from '../../domain/records.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { ADMIN_ERRORS, adminDoc, DashboardParams } from '../admin-schemas.js';
import { INSIGHTS_ANSWERS, sendCsv, wantsCsv, type InsightsServices } from '../insights-schemas.js';
import { requireAdmin } from '../plugins/auth.js';
import { StringEnum } from '../schemas.js';

const admin = adminDoc('admin: insights');
const EnvironmentParam = StringEnum(ENVIRONMENTS, { description: 'production (default) or sandbox' });
const RefreshQuery = Type.Object(
  { environment: Type.Optional(EnvironmentParam) },
  { additionalProperties: false },
);

/** The insights answers for the operator, any dashboard, under /admin/v1/dashboards/:id/insights. */
export function adminInsightsRoutes(
  tenancy: TenancyService,
  services: InsightsServices,
  adminToken: string | undefined,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireAdmin(adminToken));

    const scopeOf = async (id: string, environment: Environment | undefined) => {
      await tenancy.getDashboard(id);
      return { dashboardId: id, environment: environment ?? 'production' };
    };

    for (const answer of INSIGHTS_ANSWERS) {
      app.get(
        `/dashboards/:id/insights/${answer.name}`,
        {
          schema: {
            ...admin,
            summary: `${answer.summary} (as GET /v1/insights/${answer.name}, without the envelope)`,
            params: DashboardParams,
            querystring: Type.Composite(
              [answer.query, Type.Object({ environment: Type.Optional(EnvironmentParam) })],
              {
                additionalProperties: false,
              },
            ),
            response: {
              // The rows' schema serializes them; their TS types are the services' own.
              200: Type.Object({
                [answer.list]: Type.Array(Type.Unsafe<object>(answer.rows), {
                  description: answer.listDescription,
                }),
              }),
              ...ADMIN_ERRORS,
            },
          },
        },
        async (request, reply) => {
          const { query } = request;
          const { id } = request.params;
          const rows = await answer.run(services, await scopeOf(id, query.environment), query);
          if (wantsCsv(query.format, request.headers.accept))
            return sendCsv(reply, answer, `insights-${answer.name}-${id}-${query.from}-${query.to}`, rows);
          return { [answer.list]: rows };
        },
      );
    }

    app.post(
      '/dashboards/:id/insights/refresh',
      {
        schema: {
          ...admin,
          summary:
            'Fold the records stored so far into the insights rollups now (workers do it every minute)',
          params: DashboardParams,
          querystring: RefreshQuery,
          response: {
            200: Type.Object({
              dashboard_id: Type.String(),
              environment: Type.String(),
              refreshed: Type.Literal(true),
            }),
            ...ADMIN_ERRORS,
          },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { environment } = request.query;
        const scope = await scopeOf(id, environment);
        await services.insights.refresh(scope);
        return { dashboard_id: id, environment: scope.environment, refreshed: true as const };
      },
    );
  };
}
