import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ENVIRONMENTS, type Environment } from '../../domain/records.js';
import type { InsightsService } from '../../insights/insights.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { ADMIN_ERRORS, adminDoc, DashboardParams } from '../admin-schemas.js';
import {
  dailyCsv,
  DailySchema,
  InsightsQuerySchema,
  retentionCsv,
  RetentionQuerySchema,
  RetentionSchema,
  sendCsv,
  wantsCsv,
  type InsightsQueryParams,
  type RetentionQueryParams,
} from '../insights-schemas.js';
import { requireAdmin } from '../plugins/auth.js';
import { StringEnum } from '../schemas.js';

const admin = adminDoc('admin: insights');
const Environment = StringEnum(ENVIRONMENTS, { description: 'production (default) or sandbox' });
const withEnvironment = <T extends typeof InsightsQuerySchema | typeof RetentionQuerySchema>(schema: T) =>
  Type.Composite([schema, Type.Object({ environment: Type.Optional(Environment) })], {
    additionalProperties: false,
  });
const AdminDailyQuery = withEnvironment(InsightsQuerySchema);
const AdminRetentionQuery = withEnvironment(RetentionQuerySchema);
const RefreshQuery = Type.Object(
  { environment: Type.Optional(Environment) },
  { additionalProperties: false },
);

/** The insights answers for the operator, any dashboard, under /admin/v1/dashboards/:id/insights. */
export function adminInsightsRoutes(
  tenancy: TenancyService,
  insights: InsightsService,
  adminToken: string | undefined,
) {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', requireAdmin(adminToken));

    const scopeOf = async (id: string, environment: Environment | undefined) => {
      await tenancy.getDashboard(id);
      return { dashboardId: id, environment: environment ?? 'production' };
    };

    app.get(
      '/dashboards/:id/insights/daily',
      {
        schema: {
          ...admin,
          summary: 'Daily KPIs of a dashboard (as GET /v1/insights/daily, without the envelope)',
          params: DashboardParams,
          querystring: AdminDailyQuery,
          response: { 200: DailySchema, ...ADMIN_ERRORS },
        },
      },
      async (request, reply) => {
        const query = request.query as InsightsQueryParams & { environment?: Environment };
        const { id } = request.params as Static<typeof DashboardParams>;
        const days = await insights.daily(await scopeOf(id, query.environment), query);
        if (wantsCsv(request))
          return sendCsv(reply, `insights-daily-${id}-${query.from}-${query.to}`, dailyCsv(days));
        return { days };
      },
    );

    app.get(
      '/dashboards/:id/insights/retention',
      {
        schema: {
          ...admin,
          summary: 'Day-N retention by install cohort (as GET /v1/insights/retention, without the envelope)',
          params: DashboardParams,
          querystring: AdminRetentionQuery,
          response: { 200: RetentionSchema, ...ADMIN_ERRORS },
        },
      },
      async (request, reply) => {
        const query = request.query as RetentionQueryParams & { environment?: Environment };
        const { id } = request.params as Static<typeof DashboardParams>;
        const cohorts = await insights.retention(await scopeOf(id, query.environment), query);
        if (wantsCsv(request))
          return sendCsv(reply, `insights-retention-${id}-${query.from}-${query.to}`, retentionCsv(cohorts));
        return { cohorts };
      },
    );

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
        const { id } = request.params as Static<typeof DashboardParams>;
        const { environment } = request.query as Static<typeof RefreshQuery>;
        const scope = await scopeOf(id, environment);
        await insights.refresh(scope);
        return { dashboard_id: id, environment: scope.environment, refreshed: true as const };
      },
    );
  };
}
