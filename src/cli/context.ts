import type { Services } from '../services.js';
import { loadConfig, type Config } from '../config/config.js';
import type { Store } from '../store/store.js';

/** What a command works with: the server's own config, store and services. */
export interface CliContext {
  config: Config;
  store: Store;
  services: Services;
  /** Migrations this run applied: every command migrates first, as the server does on start. */
  applied: readonly string[];
}

/**
 * Opens the database named by the TRAITFORGE_* variables, migrates it, runs `fn` and closes
 * the store again whatever happens, so the process exits on its own (no open pool keeps it alive).
 */
export async function withContext<T>(
  fn: (context: CliContext) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  // Loaded on demand: app.js pulls in Fastify and both database drivers, which would make
  // --help, --version and usage errors take a second instead of a blink.
  const config = loadConfig(env);
  const [{ buildServices }, { openStore }, { migrateEventBackend }] = await Promise.all([
    import('../services.js'),
    import('../store/open-store.js'),
    import('../events/open-event-store.js'),
  ]);
  const store = openStore(config);
  try {
    const applied = [...(await store.migrate()), ...(await migrateEventBackend(config))];
    return await fn({ config, store, services: buildServices(config, store), applied });
  } finally {
    // A failure to close must not hide the command's own result or error.
    await store.close().catch(() => undefined);
  }
}
