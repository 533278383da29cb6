import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { ForgeCaller, ForgeKeyService } from '../../forge/forge-keys.service.js';
import type { ForgeIngestService, ForgeIngestResult } from '../../forge/forge-ingest.service.js';
import { AchievementSchema, PlaytimeSchema } from '../../forge/forge-records.js';
import { IdentityError, readIdentity } from '../../forge/identity.js';
import type { PlayersService } from '../../forge/players.service.js';
import type { QuestService } from '../../forge/quests.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { QuestProgressList } from '../forge-schemas.js';
import { installErrorHandler, sendJsonError, type ErrorFamily } from '../plugins/errors.js';
import { VALIDATED_BY_SERVICE } from '../plugins/validation.js';

declare module 'fastify' {
  interface FastifyRequest {
    forgeCaller: ForgeCaller | null;
  }
}

/** Forge's documented error bodies: the message of a 401/403/429/5xx is fixed by the documents. */
export const FORGE_PREFIX = '/player';

export function forgeError(status: number, message: string) {
  const fixed =
    status === 401
      ? 'UnAuthorized'
      : status === 403
        ? 'Forbidden'
        : status === 429
          ? 'Quota exceeded'
          : status >= 500
            ? 'Service Unavailable'
            : message;
  return { records_processed: 0, errors: [{ message: fixed }] };
}

/** Forge's error bodies for every failure under /player, a body it cannot read included. */
const forgeErrors: ErrorFamily = {
  send: (problem, _request, reply) =>
    sendJsonError(reply, problem.status, forgeError(problem.status, problem.message)),
  notFound: (path, request) => `No endpoint ${request.method} ${path}`,
};

const ErrorBody = Type.Object({
  records_processed: Type.Integer(),
  records_failed: Type.Optional(Type.Integer()),
  errors: Type.Array(Type.Object({ record_id: Type.Optional(Type.String()), message: Type.String() })),
});
const ResultBody = Type.Object(
  { records_processed: Type.Integer() },
  { examples: [{ records_processed: 10 }] },
);
const PartialBody = Type.Object(
  {
    records_processed: Type.Integer(),
    records_failed: Type.Integer(),
    errors: Type.Array(Type.Object({ record_id: Type.String(), message: Type.String() })),
  },
  {
    examples: [
      {
        records_processed: 10,
        records_failed: 2,
        errors: [
          { record_id: '1', message: 'Invalid wallet address.' },
          { record_id: '2', message: 'Invalid email address.' },
        ],
      },
    ],
  },
);
/** A 400 is either some records refused, or a request that could not be read at all. */
const RefusedBody = Type.Union([PartialBody, ErrorBody], {
  description:
    'Some records were refused (`records_failed` and one error per record), or the body could not be read (malformed JSON, empty, corrupt gzip): `records_processed: 0` and one error naming the problem',
});
const forgeDoc = { tags: ['forge'], security: [{ forgeKey: [] }] };
const errorResponses = {
  401: ErrorBody,
  403: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};

export interface ForgeRouteServices {
  forgeKeys: ForgeKeyService;
  forgeIngest: ForgeIngestService;
  players: PlayersService;
  quests: QuestService;
  tenancy: TenancyService;
}

function callerOf(request: FastifyRequest): ForgeCaller {
  if (!request.forgeCaller) throw new AppError('unauthorized', 'UnAuthorized');
  return request.forgeCaller;
}

/** The Forge partner API under /player, with `X-API-Key` and Forge's own answer shapes. */
export function forgeRoutes(s: ForgeRouteServices) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    installErrorHandler(app, forgeErrors, FORGE_PREFIX);

    app.addHook('onRequest', async (request) => {
      const header = request.headers['x-api-key'];
      const key = Array.isArray(header) ? header[0] : header;
      try {
        request.forgeCaller = await s.forgeKeys.authenticate(key);
      } catch (error) {
        // A 12traits key on the Forge API is the wrong family: 403, not 401.
        if (key !== undefined && (await s.tenancy.isApiKey(key)))
          throw new AppError('forbidden', 'Forbidden');
        throw error;
      }
      await s.forgeKeys.countRequest(request.forgeCaller);
    });

    const send = (result: ForgeIngestResult) =>
      result.records_failed === 0
        ? { status: 200, body: { records_processed: result.records_processed } }
        : { status: 400, body: result };

    app.post(
      '/playtime',
      {
        schema: {
          ...forgeDoc,
          summary: 'Record play sessions (one record or an array)',
          body: Type.Union([PlaytimeSchema, Type.Array(PlaytimeSchema)], { [VALIDATED_BY_SERVICE]: true }),
          response: { 200: ResultBody, 400: RefusedBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { status, body } = send(await s.forgeIngest.playtime(callerOf(request), request.body));
        return reply.code(status).send(body);
      },
    );

    app.post(
      '/achievement',
      {
        schema: {
          ...forgeDoc,
          summary: 'Record achievements (one record or an array)',
          body: Type.Union([AchievementSchema, Type.Array(AchievementSchema)], {
            [VALIDATED_BY_SERVICE]: true,
          }),
          response: { 200: ResultBody, 400: RefusedBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { status, body } = send(await s.forgeIngest.achievement(callerOf(request), request.body));
        return reply.code(status).send(body);
      },
    );

    const ProgressQuery = Type.Object({
      user_email: Type.Optional(Type.String({ maxLength: 254 })),
      wallet_address: Type.Optional(Type.String({ maxLength: 128 })),
      blockchain: Type.Optional(Type.String({ maxLength: 32 })),
      platform: Type.Optional(Type.String({ maxLength: 32 })),
      platform_user_id: Type.Optional(Type.String({ maxLength: 256 })),
    });
    app.get(
      '/progress',
      {
        schema: {
          ...forgeDoc,
          summary: "A player's progress on this game's quests, by one identity",
          querystring: ProgressQuery,
          response: {
            200: QuestProgressList,
            404: ErrorBody,
            400: ErrorBody,
            ...errorResponses,
          },
        },
      },
      async (request) => {
        let identity;
        try {
          identity = readIdentity(request.query);
        } catch (error) {
          if (error instanceof IdentityError) throw new AppError('bad_request', error.message);
          throw error;
        }
        const playerId = await s.players.holderOf(identity);
        if (playerId === undefined) {
          throw new AppError(
            'not_found',
            'No player holds this identity yet: its records are archived until a player registers or links it.',
          );
        }
        return s.quests.progress(playerId, callerOf(request).gameId);
      },
    );
  };
}
