import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlayFabService } from '../../playfab/playfab.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { envelope, EnvelopeSchema, ErrorEnvelopeSchema } from '../envelope.js';
import { bearerToken, principalOf } from '../plugins/auth.js';
import { VALIDATED_BY_SERVICE } from '../plugins/validation.js';

/** PlayFab webhooks can only put the key in the URL or a custom header. */
function playFabKey(request: FastifyRequest): string | undefined {
  // Read in onRequest, before the query is validated: the raw parsed query, checked by typeof.
  const { query } = request;
  const key = typeof query === 'object' && query !== null && 'api_key' in query ? query.api_key : undefined;
  if (typeof key === 'string' && key !== '') return key;
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  return bearerToken(request);
}

const Result = Type.Object({
  received: Type.Integer(),
  ingested: Type.Integer(),
  duplicates: Type.Integer(),
  rejected: Type.Array(
    Type.Object({
      index: Type.Integer(),
      field: Type.Union([Type.String(), Type.Null()]),
      message: Type.String(),
    }),
  ),
});

/** POST /v1/playfab?api_key=… — PlayStream V1 events, one object or an array. */
export function playFabRoutes(tenancy: TenancyService, playfab: PlayFabService) {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      request.principal = await tenancy.authenticate(playFabKey(request));
    });
    app.post(
      '/v1/playfab',
      {
        schema: {
          tags: ['12traits ingestion'],
          // The key may come in any of the three places; PlayFab itself can only use the first.
          security: [{ playFabKey: [] }, { apiKey: [] }],
          summary: 'PlayFab webhook: PlayStream V1 events (key in ?api_key= or X-Api-Key)',
          querystring: Type.Object({ api_key: Type.Optional(Type.String({ maxLength: 200 })) }),
          body: Type.Union(
            [
              Type.Object({}, { additionalProperties: true }),
              Type.Array(Type.Object({}, { additionalProperties: true })),
            ],
            {
              [VALIDATED_BY_SERVICE]: true,
              examples: [
                {
                  EventName: 'player_logged_in',
                  EventNamespace: 'com.playfab',
                  EntityType: 'player',
                  EntityId: 'A1B2C3D4E5F60718',
                  EventId: '3c1d2e4f5a6b47c8a9d0e1f2a3b4c5d6',
                  Timestamp: '2026-03-04T18:22:07.1234567Z',
                  TitleId: '9F3E',
                  Location: { CountryCode: 'FR' },
                  Platform: 'AndroidDevice',
                },
              ],
            },
          ),
          response: {
            200: EnvelopeSchema(Result),
            400: ErrorEnvelopeSchema,
            401: ErrorEnvelopeSchema,
            403: ErrorEnvelopeSchema,
            413: ErrorEnvelopeSchema,
          },
        },
      },
      async (request) => {
        const result = await playfab.receive(principalOf(request), request.body);
        const message =
          `${result.ingested} events have been successfully ingested` +
          (result.duplicates > 0 ? `, ${result.duplicates} were already received` : '');
        return envelope(200, message, result);
      },
    );
  };
}
