import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { ensureBuilt, startServer, type ServerProcess } from '../support/server-process.js';

const ADMIN = 'quota-admin-token-0123456789';

/** The quota lives in PostgreSQL: two server processes on one database share one exact count. */
describe.runIf(process.env.TRAITFORGE_TEST_DATABASE_URL)(
  'Forge quota across two server processes on PostgreSQL',
  () => {
    let database: TestDatabase;
    let servers: ServerProcess[] = [];
    beforeAll(async () => {
      ensureBuilt();
      database = await createTestDatabase('postgres');
      const settings = {
        TRAITFORGE_DATABASE_URL: database.databaseUrl!,
        TRAITFORGE_ADMIN_TOKEN: ADMIN,
        TRAITFORGE_PORT: '0',
        TRAITFORGE_DATA_DIR: database.dataDir,
      };
      // One at a time: the first migrates, the second finds the schema ready.
      servers = [startServer(settings)];
      await servers[0]!.url();
      servers.push(startServer(settings));
      await servers[1]!.url();
    }, 60_000);
    afterAll(async () => {
      for (const s of servers) s.kill();
      await Promise.all(servers.map((s) => s.exited));
      await database.drop();
    });

    it('lets exactly the quota through, whichever process answers', async () => {
      const [a, b] = [await servers[0]!.url(), await servers[1]!.url()];
      const created = await fetch(`${a}/admin/v1/forge-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ partner: 'p', game: 'g', game_id: 'quota', daily_quota: 25 }),
      });
      const { key } = (await created.json()) as { key: string };
      const send = (base: string) =>
        fetch(`${base}/player/achievement`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ achievement_title: 'x', user_email: 'quota@example.com' }),
        }).then((r) => r.status);
      const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => send(i % 2 === 0 ? a : b)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(25);
      expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    });
  },
);
