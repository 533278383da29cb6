import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GameActionSchema, GamePlayerSchema, RECORD_TYPE_DEFS } from '../../domain/records.js';
import type { IngestService } from '../../ingest/ingest.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { principalOf, requireApiKey } from '../plugins/auth.js';
import type { RejectLog } from '../../ingest/reject-log.js';
import { ingestHandler, ingestSchema, installRejectLog, type IngestRouteSpec } from './ingest-route.js';

/**
 * The first-version API: POST /v1/games/:game/actions and /player-logins, with `player_id`.
 * `:game` must be the key's own dashboard, by id or slug.
 */
export function gamesV1Routes(
  tenancy: TenancyService,
  ingest: IngestService,
  maxBatch: number,
  rejects?: RejectLog,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiKey(tenancy));
    if (rejects) installRejectLog(app, rejects);
    const specs: [string, IngestRouteSpec][] = [
      [
        '/v1/games/:game/actions',
        {
          def: RECORD_TYPE_DEFS.actions,
          bodyKey: 'actions',
          recordSchema: GameActionSchema,
          noun: 'action(s)',
          userField: 'player_id',
          maxBatch,
          example: { actions: GameActionSchema.examples as unknown[] },
        },
      ],
      [
        '/v1/games/:game/player-logins',
        {
          def: RECORD_TYPE_DEFS.logins,
          bodyKey: 'players',
          recordSchema: GamePlayerSchema,
          noun: 'player(s)',
          userField: 'player_id',
          maxBatch,
          example: { players: GamePlayerSchema.examples as unknown[] },
        },
      ],
    ];
    for (const [path, spec] of specs) {
      const schema = {
        ...ingestSchema(spec, 'first version', `Push ${spec.noun} (first version)`),
        params: Type.Object({ game: Type.String({ description: "The key's dashboard id or game slug" }) }),
      };
      app.post(
        path,
        {
          schema,
          config: { recordType: spec.def.type },
          // `:game` must name the key's own dashboard.
          preHandler: async (request) => tenancy.checkGame(principalOf(request), request.params.game),
        },
        ingestHandler(ingest, spec),
      );
    }
  };
}
