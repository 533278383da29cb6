import type { FastifyInstance } from 'fastify';
import { RECORD_TYPE_DEFS, type RecordTypeDef } from '../../domain/records.js';
import type { IngestService } from '../../ingest/ingest.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { requireApiKey } from '../plugins/auth.js';
import type { RejectLog } from '../../ingest/reject-log.js';
import { ingestHandler, ingestSchema, installRejectLog, type IngestRouteSpec } from './ingest-route.js';

/**
 * The seven 12traits pushes: POST /v1/actions, /v1/logins, … with `Authorization: Bearer <key>`.
 * Types without a JSON endpoint (`path: null`: KPIs, survey answers) arrive as files instead.
 */
export function v1IngestRoutes(
  tenancy: TenancyService,
  ingest: IngestService,
  maxBatch: number,
  rejects?: RejectLog,
) {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', requireApiKey(tenancy));
    if (rejects) installRejectLog(app, rejects);
    for (const def of Object.values<RecordTypeDef>(RECORD_TYPE_DEFS)) {
      if (def.path === null) continue;
      const spec: IngestRouteSpec = {
        def,
        bodyKey: def.bodyKey,
        recordSchema: def.schema,
        noun: def.noun,
        maxBatch,
        example: { [def.bodyKey]: def.schema.examples as unknown[] },
      };
      app.post(
        def.path,
        {
          schema: ingestSchema(spec, '12traits ingestion', `Push ${def.noun}`),
          config: { recordType: def.type },
        },
        ingestHandler(ingest, spec),
      );
    }
  };
}
