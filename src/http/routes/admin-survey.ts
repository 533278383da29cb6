import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ENVIRONMENTS } from '../../domain/records.js';
import type { SurveyQualityService } from '../../survey/survey-quality.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { requireAdmin } from '../plugins/auth.js';
import { StringEnum } from '../schemas.js';
import { ADMIN_ERRORS, adminDoc, DashboardParams } from '../admin-schemas.js';

const EnvironmentQuery = Type.Object(
  {
    environment: Type.Optional(StringEnum(ENVIRONMENTS, { description: 'production (default) or sandbox' })),
  },
  { additionalProperties: false },
);

const EstimateSchema = Type.Union([
  Type.Object({
    value: Type.Number(),
    low: Type.Number({ description: '2.5th percentile of the bootstrap' }),
    high: Type.Number({ description: '97.5th percentile of the bootstrap' }),
  }),
  Type.Null(),
]);

const ReliabilitySchema = Type.Object({
  environment: StringEnum(ENVIRONMENTS),
  complete: Type.Integer({ description: 'Complete surveys in the environment' }),
  minimum: Type.Integer({ description: 'Complete surveys needed before any figure is given' }),
  available: Type.Boolean({ description: 'False below `minimum`: `scales` is then empty' }),
  message: Type.String(),
  respondents: Type.Integer({ description: 'The most recent complete surveys the figures come from' }),
  resamples: Type.Integer({
    description: 'Bootstrap resamples (seeded: the same answers give the same intervals)',
  }),
  scales: Type.Array(
    Type.Object({
      construct: Type.String(),
      name: Type.String(),
      reported_as: Type.Array(Type.String(), {
        description:
          '`category.trait` names of the traits response; `-` marks an opposite pole (100 − score)',
      }),
      items: Type.Integer(),
      respondents: Type.Integer({ description: 'Players who answered every statement of the scale' }),
      alpha: EstimateSchema,
      omega: EstimateSchema,
    }),
  ),
});

/** The survey's quality figures for the operator, under /admin/v1/dashboards/:id/survey. */
export function adminSurveyRoutes(
  tenancy: TenancyService,
  quality: SurveyQualityService,
  adminToken: string | undefined,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireAdmin(adminToken));

    app.get(
      '/dashboards/:id/survey/reliability',
      {
        schema: {
          ...adminDoc('admin: survey'),
          summary:
            "Cronbach's α and McDonald's ω per scale, with 95% bootstrap intervals, from the stored answers (from 100 complete surveys on)",
          params: DashboardParams,
          querystring: EnvironmentQuery,
          response: { 200: ReliabilitySchema, ...ADMIN_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { environment } = request.query;
        await tenancy.getDashboard(id);
        return quality.reliability({ dashboardId: id, environment: environment ?? 'production' });
      },
    );
  };
}
