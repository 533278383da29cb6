import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** A postgres:// URL selects PostgreSQL; otherwise the embedded SQLite file under the data dir. */
export function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Store {
  return config.databaseUrl
    ? PostgresStore.open(config.databaseUrl)
    : SqliteStore.open(join(config.dataDir, 'traitforge.sqlite'));
}
