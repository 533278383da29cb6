import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { MAX_CURSOR_LENGTH } from '../../personas/id-cursor.js';
import { DEFAULT_IDS_LIMIT, MAX_IDS_LIMIT, type PersonaService } from '../../personas/persona.service.js';
import type { UserDataService } from '../../privacy/user-data.service.js';
import { TRAIT_CATEGORIES } from '../../survey/trait-catalogue.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { envelope, EnvelopeSchema, ErrorEnvelopeSchema } from '../envelope.js';
import { principalOf, requireApiKey } from '../plugins/auth.js';

const tags = ['12traits personas'];
const security = [{ apiKey: [] }];
const errors = {
  400: ErrorEnvelopeSchema,
  401: ErrorEnvelopeSchema,
  403: ErrorEnvelopeSchema,
  404: ErrorEnvelopeSchema,
};
const PersonaParams = Type.Object({
  segment_id: Type.String({ minLength: 1, maxLength: 100, description: 'A segment id, or default' }),
  persona: Type.String({ maxLength: 20, description: 'A persona index from 1, or all' }),
});
const IdsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_IDS_LIMIT,
        description: `Ids per answer (default ${DEFAULT_IDS_LIMIT}); when more remain, the X-Next-After response header holds the cursor of the next page`,
      }),
    ),
    after: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_CURSOR_LENGTH,
        description:
          'The X-Next-After header of the previous answer, as received (an opaque cursor: base64url of the last id)',
      }),
    ),
  },
  { additionalProperties: false },
);
const TraitsData = Type.Object(
  Object.fromEntries(
    Object.entries(TRAIT_CATEGORIES).map(([category, traits]) => [
      category,
      Type.Object(Object.fromEntries(traits.map((trait) => [trait, Type.Number()]))),
    ]),
  ),
);
const DeleteBody = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 256, description: 'The user id' }) },
  { additionalProperties: true },
);
const DeletionQuery = Type.Object(
  {
    user_id: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The user id given to DELETE /v1/userData',
    }),
  },
  { additionalProperties: false },
);
const DeletionData = Type.Object({
  user_id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('completed')], {
    description:
      'pending: the event backend (ClickHouse) is still removing the records in the background (reads already leave them out); completed: nothing of the user is left',
  }),
  requested_at: Type.Integer({ description: 'When the deletion was asked for (epoch seconds)' }),
  completed_at: Type.Union([Type.Integer(), Type.Null()], {
    description: 'When it completed (epoch seconds); null while pending',
  }),
});

/** Epoch milliseconds → the whole epoch seconds of the 12traits API. */
const seconds = (ms: number) => Math.floor(ms / 1000);

/** "3" → 3, "all" → all; anything else is the caller's mistake. */
function personaOf(text: string): number | 'all' {
  if (text === 'all') return 'all';
  if (!/^[1-9]\d{0,8}$/.test(text))
    throw new AppError('bad_request', `persona must be a persona index from 1, or all; got "${text}"`);
  return Number(text);
}

/** Personas of segments and the deletion of a player's data, with the 12traits key. */
export function v1PersonaRoutes(
  tenancy: TenancyService,
  personas: PersonaService,
  userData: UserDataService,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiKey(tenancy));

    app.get(
      '/v1/segments/:segment_id/personas/:persona/user-ids',
      {
        schema: {
          tags,
          security,
          summary: 'Get Segment / Persona User IDs',
          description:
            '`all`: every member of the segment (its filter evaluated now), with a persona or not; a persona index: the players assigned to it at the last recompute. In user id order; when more remain, the `X-Next-After` header is the `after` of the next page.',
          params: PersonaParams,
          querystring: IdsQuery,
          response: {
            200: EnvelopeSchema(Type.Object({ ids: Type.Array(Type.String()) }), {
              code: 200,
              message: '',
              data: { ids: ['1001', '1002'] },
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const { dashboardId, environment } = principalOf(request);
        const params = request.params;
        const query = request.query;
        const page = await personas.userIds(
          dashboardId,
          environment,
          params.segment_id,
          personaOf(params.persona),
          query,
        );
        if (page.next !== undefined) void reply.header('x-next-after', page.next);
        return envelope(200, '', { ids: page.ids });
      },
    );

    app.get(
      '/v1/segments/:segment_id/personas/:persona/traits',
      {
        schema: {
          tags,
          security,
          summary: 'Get Segment / Persona Traits',
          description: 'Mean trait scores (0–100) of the persona’s surveyed members, by category.',
          params: PersonaParams,
          response: { 200: EnvelopeSchema(TraitsData), ...errors },
        },
      },
      async (request) => {
        const { dashboardId, environment } = principalOf(request);
        const params = request.params;
        const data = await personas.traits(
          dashboardId,
          environment,
          params.segment_id,
          personaOf(params.persona),
        );
        return envelope(200, '', data);
      },
    );

    app.delete(
      '/v1/userData',
      {
        schema: {
          tags,
          security,
          summary: 'Remove User Data',
          description:
            'Deletes every record of the user in the key’s dashboard and environment, permanently.',
          body: DeleteBody,
          response: {
            200: EnvelopeSchema(
              Type.Object({
                deleted: Type.Integer(),
                pending: Type.Boolean({
                  description:
                    'True while the event backend (ClickHouse) is still removing the records in the background; reads already leave them out.',
                }),
              }),
              {
                code: 200,
                message: 'user data has been deleted',
                data: { deleted: 42, pending: false },
              },
            ),
            ...errors,
          },
        },
      },
      async (request) => {
        const { dashboardId, environment } = principalOf(request);
        const { id } = request.body;
        const { records: deleted, complete } = await userData.deletePlayer(dashboardId, environment, id);
        // `pending` is added to the documented shape: true while an event backend (ClickHouse)
        // still removes the rows in the background; every read already leaves them out.
        return envelope(
          200,
          deleted === 0 ? 'no data of this user was stored' : 'user data has been deleted',
          {
            deleted,
            pending: !complete,
          },
        );
      },
    );

    app.get(
      '/v1/userData/deletion',
      {
        schema: {
          tags,
          security,
          summary: 'Get User Data Deletion Status',
          description:
            'Where the last `DELETE /v1/userData` of the user in the key’s dashboard and environment stands. 404 when no deletion of that user id is known there.',
          querystring: DeletionQuery,
          response: {
            200: EnvelopeSchema(DeletionData, {
              code: 200,
              message: '',
              data: {
                user_id: '1001',
                status: 'completed',
                requested_at: 1765100000,
                completed_at: 1765100031,
              },
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { dashboardId, environment } = principalOf(request);
        const userId = request.query.user_id;
        const status = await userData.deletionStatus(dashboardId, environment, userId);
        if (!status) throw new AppError('not_found', 'no deletion of this user is known');
        return envelope(200, '', {
          user_id: userId,
          status: status.completedAt === null ? 'pending' : 'completed',
          requested_at: seconds(status.requestedAt),
          completed_at: status.completedAt === null ? null : seconds(status.completedAt),
        });
      },
    );
  };
}
