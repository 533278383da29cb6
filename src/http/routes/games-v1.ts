import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', requireApiKey(tenancy));
    if (rejects) installRejectLog(app, rejects);
    app.addHook('preHandler', async (request: FastifyRequest) => {
      // A hook is typed for no route in particular; every route of this plugin has a validated `:game`.
      await tenancy.checkGame(principalOf(request), (request.params as { game: string }).game);
    });
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
      app.post(path, { schema, config: { recordType: spec.def.type } }, ingestHandler(ingest, spec));
    }
  };
}
