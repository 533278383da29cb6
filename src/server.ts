import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { openStore } from './store/open-store.js';

/** `npm start`: read config, open and migrate the store, listen; on SIGTERM finish in-flight work and exit. */
async function main(): Promise<void> {
  const config = loadConfig();
  const store = openStore(config);
  await store.migrate();
  const app = await buildApp(config, store);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    void app
      .close()
      .then(() => store.close())
      .then(() => {
        app.log.info('stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    {
      backend: store.backend,
      admin_api: config.adminToken ? 'enabled' : 'disabled (set TRAITFORGE_ADMIN_TOKEN)',
    },
    'traitforge ready',
  );
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`traitforge: cannot start: ${message}\n`);
  process.exit(1);
});
