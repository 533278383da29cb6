import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { envelope, EnvelopeSchema, ErrorEnvelopeSchema } from '../envelope.js';
import { INSIGHTS_ANSWERS, sendCsv, wantsCsv, type InsightsServices } from '../insights-schemas.js';
import { Type } from '@sinclair/typebox';
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

/** Player insights of the key's dashboard and environment (`GET /v1/insights/<answer>`), with the 12traits key. */
export function v1InsightsRoutes(tenancy: TenancyService, services: InsightsServices) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiKey(tenancy));
    for (const answer of INSIGHTS_ANSWERS) {
      const data = Type.Object({
        [answer.list]: Type.Array(answer.rows, { description: answer.listDescription }),
      });
      app.get(
        `/v1/insights/${answer.name}`,
        {
          schema: {
            tags,
            security,
            summary: answer.summary,
            description: `${answer.description} ${FRESHNESS}`,
            querystring: answer.query,
            response: {
              200: EnvelopeSchema(data, {
                code: 200,
                message: '',
                data: { [answer.list]: [answer.example] },
              }),
              ...errors,
            },
          },
        },
        async (request, reply) => {
          const principal = principalOf(request);
          const { query } = request;
          const rows = await answer.run(services, principal, query);
          if (wantsCsv(query.format, request.headers.accept))
            return sendCsv(reply, answer, `insights-${answer.name}-${query.from}-${query.to}`, rows);
          return envelope(200, '', { [answer.list]: rows });
        },
      );
    }
  };
}
