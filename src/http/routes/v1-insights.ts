import type { FastifyInstance } from 'fastify';
import type { InsightsService } from '../../insights/insights.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { envelope, EnvelopeSchema, ErrorEnvelopeSchema } from '../envelope.js';
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
import { principalOf, requireApiKey } from '../plugins/auth.js';

const tags = ['12traits insights'];
const security = [{ apiKey: [] }];
const errors = {
  400: ErrorEnvelopeSchema,
  401: ErrorEnvelopeSchema,
  403: ErrorEnvelopeSchema,
  404: ErrorEnvelopeSchema,
};
const FRESHNESS = 'Figures come from rollups refreshed every minute (docs/insights.md).';

/** Player insights of the key's dashboard and environment, with the 12traits key. */
export function v1InsightsRoutes(tenancy: TenancyService, insights: InsightsService) {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', requireApiKey(tenancy));

    app.get(
      '/v1/insights/daily',
      {
        schema: {
          tags,
          security,
          summary: 'Daily KPIs: DAU, new players, revenue, paying players, ARPDAU',
          description: `One entry per UTC day of the range, zeros included, for the segment's players (all, one persona, or none). ${FRESHNESS}`,
          querystring: InsightsQuerySchema,
          response: {
            200: EnvelopeSchema(DailySchema, {
              code: 200,
              message: '',
              data: {
                days: [
                  {
                    day: '2024-03-01',
                    dau: 120,
                    new_players: 30,
                    revenue: 59.9,
                    paying_players: 4,
                    arpdau: 0.4992,
                  },
                ],
              },
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const query = request.query as InsightsQueryParams;
        const days = await insights.daily(principal, query);
        if (wantsCsv(request))
          return sendCsv(reply, `insights-daily-${query.from}-${query.to}`, dailyCsv(days));
        return envelope(200, '', { days });
      },
    );

    app.get(
      '/v1/insights/retention',
      {
        schema: {
          tags,
          security,
          summary: 'Day-N retention by install cohort',
          description: `One entry per install day of the range: the share of its players active on exactly install day + N. ${FRESHNESS}`,
          querystring: RetentionQuerySchema,
          response: {
            200: EnvelopeSchema(RetentionSchema, {
              code: 200,
              message: '',
              data: {
                cohorts: [
                  { cohort: '2024-03-01', players: 30, retention: { '1': 0.4, '7': 0.2, '30': null } },
                ],
              },
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const query = request.query as RetentionQueryParams;
        const cohorts = await insights.retention(principal, query);
        if (wantsCsv(request))
          return sendCsv(reply, `insights-retention-${query.from}-${query.to}`, retentionCsv(cohorts));
        return envelope(200, '', { cohorts });
      },
    );
  };
}
