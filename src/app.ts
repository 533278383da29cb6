import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config/config.js';
import { installBodyParsing } from './http/plugins/body.js';
import { installDocs } from './http/plugins/docs.js';
import { installErrorHandler } from './http/plugins/errors.js';
import { installRequireHttps } from './http/plugins/https.js';
import { Metrics } from './http/plugins/metrics.js';
import { installValidation } from './http/plugins/validation.js';
import { adminV1Routes } from './http/routes/admin-v1.js';
import { gamesV1Routes } from './http/routes/games-v1.js';
import { healthRoutes } from './http/routes/health.js';
import { v1IngestRoutes } from './http/routes/v1-ingest.js';
import { IngestService } from './ingest/ingest.service.js';
import { RecordsRepository } from './records/records.repository.js';
import { RecordsService } from './records/records.service.js';
import type { Store } from './store/store.js';
import { TenancyRepository } from './tenancy/tenancy.repository.js';
import { TenancyService } from './tenancy/tenancy.service.js';
import { VERSION } from './version.js';

export interface Services {
  tenancy: TenancyService;
  ingest: IngestService;
  records: RecordsService;
  metrics: Metrics;
}

/** The composition root's service half: shared by the HTTP app and the CLI. */
export function buildServices(config: Config, store: Store): Services {
  const metrics = new Metrics();
  return {
    metrics,
    tenancy: new TenancyService(new TenancyRepository(store.db)),
    ingest: new IngestService(store, config.maxBatchRecords, metrics),
    records: new RecordsService(new RecordsRepository(store.db)),
  };
}

export interface AppOptions {
  /** Pino options, or false for none (tests). */
  logger?: FastifyServerOptions['logger'];
}

/** config → store → services → Fastify app. Does not listen: `server.ts` does. */
export async function buildApp(
  config: Config,
  store: Store,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const services = buildServices(config, store);
  const https =
    config.tlsCertFile && config.tlsKeyFile
      ? { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) } }
      : {};
  const app = Fastify({
    ...https,
    logger: options.logger ?? {
      level: config.logLevel,
      // API keys may sit in a query string (PlayFab): log paths only, never query strings or headers.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
      },
    },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  app.decorateRequest('principal', null);

  installValidation(app);
  installErrorHandler(app);
  installBodyParsing(app);
  if (config.requireHttps) installRequireHttps(app);
  services.metrics.install(app);
  await installDocs(app, VERSION);

  await app.register(healthRoutes(store));
  await app.register(v1IngestRoutes(services.tenancy, services.ingest, config.maxBatchRecords));
  await app.register(gamesV1Routes(services.tenancy, services.ingest, config.maxBatchRecords));
  await app.register(adminV1Routes(services.tenancy, services.records, config.adminToken), {
    prefix: '/admin/v1',
  });
  return app;
}
