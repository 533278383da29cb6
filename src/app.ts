import { v1InsightsRoutes } from './http/routes/v1-insights.js';
import { adminInsightsRoutes } from './http/routes/admin-insights.js';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { readTls, type Config } from './config/config.js';
import { installBodyParsing } from './http/plugins/body.js';
import { clientErrorHandler } from './http/plugins/client-errors.js';
import { installCors } from './http/plugins/cors.js';
import { installDocs } from './http/plugins/docs.js';
import { answerFrameworkError, installErrorHandler } from './http/plugins/errors.js';
import { AppError } from './errors.js';
import { installRequireHttps } from './http/plugins/https.js';
import { installRequestTimeouts, serverTimeouts } from './http/plugins/timeouts.js';
import { installValidation } from './http/plugins/validation.js';
import { adminV1Routes } from './http/routes/admin-v1.js';
import { gamesV1Routes } from './http/routes/games-v1.js';
import { healthRoutes } from './http/routes/health.js';
import { playFabRoutes } from './http/routes/playfab.js';
import { v1IngestRoutes } from './http/routes/v1-ingest.js';
import type { Store } from './store/store.js';
import { VERSION } from './version.js';
import { buildServices, type ServiceOptions } from './services.js';
import { fileRoutes } from './http/routes/files.js';
import { adminForgeRoutes } from './http/routes/admin-forge.js';
import { adminSourceRoutes } from './http/routes/admin-sources.js';
import { FORGE_PREFIX, forgeRoutes } from './http/routes/forge.js';
import { assessmentRoutes } from './http/routes/assessment.js';
import { surveyPageRoutes } from './http/routes/survey-page.js';
import { DASHBOARD_PREFIX, dashboardPlugin } from './dashboard/plugin.js';
import { adminPersonaRoutes } from './http/routes/admin-personas.js';
import { adminSurveyRoutes } from './http/routes/admin-survey.js';
import { v1PersonaRoutes } from './http/routes/v1-personas.js';

export interface AppOptions {
  /**
   * Pino options (e.g. `{ level, stream }` to capture logs in a test), or false for none. Given
   * options keep the app's own redacting serializers: no option can make logs carry keys.
   */
  logger?: FastifyServerOptions['logger'];
  /** Run background workers (webhook deliveries) while the app is up: `npm start` does; tests drive them. */
  startWorkers?: boolean;
  /** CSV upload limit and job worker settings (tests shorten the poll interval). */
  services?: ServiceOptions;
  /** Told of every route as it is registered (the OpenAPI test compares them with the document). */
  onRoute?: (route: RouteOptions) => void;
}

/** Paths only: a query string may carry an API key (PlayFab's `?api_key=`), headers carry tokens. */
const LOG_SERIALIZERS = {
  req: (req: { method: string; url: string; id: string }) => ({
    id: req.id,
    method: req.method,
    path: req.url.split('?')[0],
  }),
};

/** Defence in depth: should a header or key ever reach a log line, its value is replaced. */
const LOG_REDACT = {
  paths: [
    'req.headers.authorization',
    'req.headers["x-api-key"]',
    'req.query.api_key',
    'headers.authorization',
    'headers["x-api-key"]',
    'authorization',
    'api_key',
  ],
  censor: '[redacted]',
};

function loggerOptions(config: Config, given: AppOptions['logger']): FastifyServerOptions['logger'] {
  if (given === false) return false;
  const base = typeof given === 'object' ? given : { level: config.logLevel };
  return {
    ...base,
    redact: LOG_REDACT,
    serializers: { ...base.serializers, ...LOG_SERIALIZERS },
  };
}

/** config → store → services → Fastify app. Does not listen: `server.ts` does. */
export async function buildApp(
  config: Config,
  store: Store,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const services = buildServices(config, store, {
    // Called only once workers run, after the app (and its logger) below exists.
    onTaskError: (task, error) => {
      app.log.error({ err: error, task }, `periodic task ${task} failed`);
    },
    ...options.services,
  });
  const tls = readTls(config);
  const app = Fastify({
    ...(tls ? { https: { ...tls, ...serverTimeouts(config) } } : { http: serverTimeouts(config) }),
    // Bodies are timed by installRequestTimeouts (uploads get a rate instead of a deadline).
    requestTimeout: 0,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    logger: loggerOptions(config, options.logger),
    bodyLimit: config.bodyLimitBytes,
    // Long enough that an over-long id reaches route validation and gets a 400 in the API's shape.
    routerOptions: { maxParamLength: 1000 },
    // X-Forwarded-* (proto, for, host) are believed only from these peers.
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    // Answered below with the API's own envelope instead of Fastify's body.
    return503OnClosing: false,
    // Headers too slow (408), malformed or too large (400, 431): the envelope too, then close.
    clientErrorHandler: clientErrorHandler(config),
    // A URL Fastify cannot route (bad escape, over-long parameter) gets its family's error body.
    frameworkErrors: (error, request, reply) => {
      void answerFrameworkError(error, request, reply);
    },
  }) as unknown as FastifyInstance;
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.decorateRequest('principal', null);
  app.decorateRequest('forgeCaller', null);

  installValidation(app);
  installErrorHandler(app);
  installBodyParsing(app);
  installShutdownBehaviour(app, store);
  installRequestTimeouts(app, config);
  // Before the HTTPS check: a page must be able to read that refusal too.
  installCors(app, config.corsOrigins);
  if (config.requireHttps) installRequireHttps(app);
  services.metrics.install(app);
  await installDocs(app, VERSION);

  await app.register(healthRoutes(store));
  await app.register(
    v1IngestRoutes(services.tenancy, services.ingest, config.maxBatchRecords, services.rejects),
  );
  await app.register(fileRoutes(services.tenancy, services.files));
  await app.register(assessmentRoutes(services.tenancy, services.survey));
  await app.register(surveyPageRoutes(services.survey));
  await app.register(
    gamesV1Routes(services.tenancy, services.ingest, config.maxBatchRecords, services.rejects),
  );
  await app.register(adminV1Routes(services.tenancy, services.records, services.playfab, config.adminToken), {
    prefix: '/admin/v1',
  });
  await app.register(playFabRoutes(services.tenancy, services.playfab));
  await app.register(forgeRoutes(services), { prefix: FORGE_PREFIX });
  await app.register(
    adminForgeRoutes(services.forgeKeys, services.players, services.quests, config.adminToken),
    {
      prefix: '/admin/v1',
    },
  );
  await app.register(
    adminSourceRoutes(services.storageConnections, services.notifications, config.adminToken),
    {
      prefix: '/admin/v1',
    },
  );
  await app.register(dashboardPlugin(services, config), { prefix: DASHBOARD_PREFIX });
  await app.register(v1PersonaRoutes(services.tenancy, services.personas, services.userData));
  await app.register(
    adminPersonaRoutes(services.segments, services.personas, services.traitImport, config.adminToken),
    {
      prefix: '/admin/v1',
    },
  );
  await app.register(adminSurveyRoutes(services.tenancy, services.surveyQuality, config.adminToken), {
    prefix: '/admin/v1',
  });
  await app.register(v1InsightsRoutes(services.tenancy, services));
  await app.register(adminInsightsRoutes(services.tenancy, services, config.adminToken), {
    prefix: '/admin/v1',
  });
  // Debounced recomputes must not outlive the app (nor keep a closing store busy).
  app.addHook('onClose', () => services.personas.stop());
  if (options.startWorkers && config.workers) {
    app.addHook('onReady', async () => {
      services.workers.start();
    });
    app.addHook('onClose', () => services.workers.stop());
  }
  return app;
}

/**
 * Graceful shutdown, from the moment `app.close()` starts: requests already running finish
 * (their batches commit), their answers close the connection so keep-alive clients do not
 * hold the server open, and requests that arrive later get 503 (the readiness probe included,
 * so a load balancer stops sending traffic).
 */
function installShutdownBehaviour(app: FastifyInstance, store: Store): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    void reply.code(503).header('connection', 'close');
    if (request.routeOptions.url === '/readyz') {
      return reply.send({ status: 'unavailable', backend: store.backend });
    }
    // Each API family's error handler writes its documented body, even now.
    throw new AppError('unavailable', 'the server is shutting down; retry the request');
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });
}
