import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { buildServices } from '../../src/services.js';
import { POSTGRES_MIGRATION_DIALECT, SQLITE_MIGRATION_DIALECT } from '../../src/store/migrations/dialect.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import type { Store } from '../../src/store/store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { receiver, type Receiver } from '../support/receiver.js';

/** Applies (and records) the migrations before `until`: a database as an older server left it. */
async function migrateBefore(db: Kysely<unknown>, backend: string, until: string): Promise<void> {
  const dialect = backend === 'sqlite' ? SQLITE_MIGRATION_DIALECT : POSTGRES_MIGRATION_DIALECT;
  await sql`create table traitforge_migrations (name text primary key, applied_at bigint not null)`.execute(
    db,
  );
  for (const [name, migration] of MIGRATIONS) {
    if (name >= until) break;
    await db.transaction().execute(async (trx) => {
      await migration.up(trx, dialect);
      await sql`insert into traitforge_migrations (name, applied_at) values (${name}, 0)`.execute(trx);
    });
  }
}

describe.each(BACKENDS)('migration 0013 (one webhook delivery path) on %s', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let hook: Receiver;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    store = database.openStore();
    hook = await receiver(0);
  });
  afterAll(async () => {
    await hook.close();
    await store.close();
    await database.drop();
  });

  it('moves endpoints, the pending quest outbox and queued notifications onto the job queue', async () => {
    const db = store.db as unknown as Kysely<unknown>;
    await migrateBefore(db, backend, '0013');
    const gameUrl = `${hook.url}?token=legacy-4711`;
    const body = (player: string) =>
      JSON.stringify({ event: 'quest.completed', game_id: 'old-game', quest_id: 'q1', player_id: player });
    await sql`insert into forge_game_webhooks (game_id, url, updated_at) values ('old-game', ${gameUrl}, 1)`.execute(
      db,
    );
    await sql`insert into dashboard_notifications (dashboard_id, webhook_url, updated_at)
      values ('dsh_old', ${hook.url}, 2)`.execute(db);
    await sql`insert into forge_webhook_deliveries (game_id, url, payload, attempts, next_attempt_at, delivered_at,
        failed_at, last_error, created_at)
      values ('old-game', ${gameUrl}, ${body('pending')}, 2, 0, null, null, 'HTTP 500', 5),
             ('old-game', ${gameUrl}, ${body('delivered')}, 1, 0, 7, null, null, 5),
             ('old-game', ${gameUrl}, ${body('gave-up')}, 10, 0, null, 9, 'HTTP 500', 5)`.execute(db);
    const notification = { event: 'storage_sync.failed', dashboard_id: 'dsh_old', occurred_at: 'then' };
    await sql`insert into jobs (id, kind, payload, status, attempts, max_attempts, run_after, lease_until, lease_owner,
        checkpoint, last_error, created_at, updated_at)
      values ('job-old', 'notification', ${JSON.stringify({ notification })}, 'queued', 0, 10, 0, null, null,
        null, null, 3, 3)`.execute(db);

    await store.migrate();

    const endpoints = await store.db
      .selectFrom('webhook_endpoints')
      .select(['scope', 'owner_id', 'url', 'secret'])
      .orderBy('scope')
      .execute();
    expect(endpoints).toEqual([
      { scope: 'dashboard', owner_id: 'dsh_old', url: hook.url, secret: null },
      { scope: 'game', owner_id: 'old-game', url: gameUrl, secret: null },
    ]);
    const jobs = await store.db.selectFrom('jobs').selectAll().orderBy('created_at').execute();
    expect(jobs).toMatchObject([
      { id: 'job-old', kind: 'webhook', status: 'queued' },
      { kind: 'webhook', status: 'queued', attempts: 2, max_attempts: 10, last_error: 'HTTP 500' },
    ]);
    for (const table of ['forge_webhook_deliveries', 'forge_game_webhooks', 'dashboard_notifications']) {
      await expect(sql`select 1 from ${sql.table(table)}`.execute(db)).rejects.toThrow();
    }

    // The worker seals the legacy URL carrying a token, then delivers both (unsigned: no secret yet).
    const services = buildServices(
      parseConfig({ dataDir: database.dataDir, logLevel: 'silent', webhookAllow: ['127.0.0.1'] }),
      store,
    );
    expect(await services.webhooks.sealStoredUrls()).toBe(1);
    const sealed = await store.db
      .selectFrom('webhook_endpoints')
      .select('url')
      .where('scope', '=', 'game')
      .execute();
    expect(sealed[0]!.url).not.toContain('legacy-4711');
    expect(await services.webhooks.endpoint({ scope: 'game', owner: 'old-game' })).toEqual({
      url: `${hook.url}?token=***`,
    });
    expect(await services.jobs.runOnce()).toBe(2);
    expect(
      hook.requests.map((r) => [r.url, r.headers['traitforge-event'], r.headers['traitforge-signature']]),
    ).toEqual([
      ['/hook', 'storage_sync.failed', undefined],
      ['/hook?token=legacy-4711', 'quest.completed', undefined],
    ]);
    expect(hook.requests[0]!.headers['traitforge-delivery']).toBe('job-old');
    expect(hook.bodies).toEqual([notification, JSON.parse(body('pending'))]);
  });
});
