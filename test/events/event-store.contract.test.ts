import { CLICKHOUSE_URLS, openClickHouseEvents } from '../support/clickhouse.js';
import { sqlEventStore } from '../../src/events/sql/sql-event-store.js';
import { BACKENDS, createTestDatabase } from '../support/backends.js';
import { describeEventStore } from './event-store.contract.js';

// One line per backend: SQLite and (with TRAITFORGE_TEST_DATABASE_URL) PostgreSQL.
for (const backend of BACKENDS) {
  describeEventStore(backend, async () => {
    const database = await createTestDatabase(backend);
    const store = database.openStore();
    await store.migrate();
    return {
      events: sqlEventStore(store),
      close: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
}

// ClickHouse (with TRAITFORGE_TEST_CLICKHOUSE_URL): a fresh database on every shard, the control plane on SQLite.
if (CLICKHOUSE_URLS.length > 0) describeEventStore('clickhouse', openClickHouseEvents);
