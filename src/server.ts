import cluster from 'node:cluster';
import {
  ConfigError,
  configWarnings,
  loadConfig,
  processCount,
  readTls,
  unknownSettings,
  type Config,
} from './config/config.js';
import { SchemaTooNewError } from './store/migrations/index.js';
import type { Store } from './store/store.js';
import type { StartupWarning } from './cluster/primary.js';

/**
 * Failures an operator fixes from the message alone: bad settings, a too-new database, and
 * system or database errors with a code (port in use, database unreachable, access denied).
 */
function isOperatorError(error: unknown): error is Error {
  if (error instanceof ConfigError || error instanceof SchemaTooNewError) return true;
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** Unknown TRAITFORGE_* variables (likely typos) and valid settings that are probably mistakes. */
function startupWarnings(config: Config): StartupWarning[] {
  return [
    ...unknownSettings().map((name) => ({
      fields: { setting: name },
      msg: `unknown setting ${name} is ignored (misspelt?)`,
    })),
    ...configWarnings(config).map((msg) => ({ fields: {}, msg })),
  ];
}

/** An error's message; an AggregateError (connecting to every address of a host) has none of its own. */
function messageOf(error: Error): string {
  if (error.message) return error.message;
  if (error instanceof AggregateError) {
    return error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  return error.name;
}

/** Opens the store and brings its schema up to date; a failure closes it again. */
async function openMigratedStore(config: Config): Promise<Store> {
  // The rest of the server loads only once the settings are known good: a typo fails at once.
  const [{ openStore }, { migrateEventBackend }] = await Promise.all([
    import('./store/open-store.js'),
    import('./events/open-event-store.js'),
  ]);
  const store = openStore(config);
  try {
    await store.migrate();
    await migrateEventBackend(config);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

/**
 * `npm start`: read config, open and migrate the store, listen; on SIGTERM/SIGINT stop
 * accepting work, let in-flight requests finish and commit, close the store and exit 0. With
 * several processes (TRAITFORGE_PROCESSES) the primary migrates once and supervises, and each
 * worker forked by node:cluster runs this same server on the shared port.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Certificate problems must stop the server before it touches the database.
  readTls(config);
  const processes = processCount(config);
  if (processes > 1 && cluster.isPrimary) {
    // Migrating before forking leaves the workers nothing to race over.
    await (await openMigratedStore(config)).close();
    const { runPrimary } = await import('./cluster/primary.js');
    runPrimary(config, processes, startupWarnings(config));
    return;
  }
  const { buildApp } = await import('./app.js');
  const store: Store = cluster.isWorker
    ? (await import('./store/open-store.js')).openStore(config)
    : await openMigratedStore(config);
  const app = await buildApp(config, store, { startWorkers: true });
  // A worker's settings are its primary's, which has already said what was wrong with them.
  if (!cluster.isWorker) for (const { fields, msg } of startupWarnings(config)) app.log.warn(fields, msg);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error({ timeout_ms: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      .then(() => store.close())
      .then(
        () => {
          app.log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  app.log.info(
    {
      // The real address: with TRAITFORGE_PORT=0 the system picked the port.
      url: `${config.tlsCertFile ? 'https' : 'http'}://${host}:${port}`,
      port,
      backend: store.backend,
      https: Boolean(config.tlsCertFile),
      require_https: config.requireHttps,
      admin_api: config.adminToken ? 'enabled' : 'disabled (set TRAITFORGE_ADMIN_TOKEN)',
    },
    'traitforge ready',
  );
}

main().catch((error: unknown) => {
  // Bad settings and a too-new database are the operator's to fix: the message says how, a
  // stack trace would only bury it. Anything else is a fault: keep its stack.
  const message = isOperatorError(error)
    ? messageOf(error)
    : error instanceof Error
      ? (error.stack ?? messageOf(error))
      : String(error);
  process.stderr.write(`traitforge: cannot start: ${message}\n`);
  process.exit(1);
});
