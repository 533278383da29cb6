import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Migration } from './dialect.js';

interface Outbox {
  game_id: string;
  payload: string;
  attempts: number;
  next_attempt_at: number | string;
  last_error: string | null;
  created_at: number | string;
}

interface NotificationJob {
  id: string;
  payload: string;
}

/**
 * One delivery path for outbound webhooks: the endpoints of dashboards (notifications) and
 * Forge games (quest completions) move to `webhook_endpoints`, with room for a sealed signing
 * secret (null here: the migration has no server key; deliveries are unsigned until the
 * operator rotates the secret). The quest outbox's pending deliveries become `webhook` jobs on
 * the durable queue, as do queued notification jobs; the old tables go.
 */
export const webhooks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhook_endpoints')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('secret', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('webhook_endpoints_pk', ['scope', 'owner_id'])
      .execute();
    await sql`insert into webhook_endpoints (scope, owner_id, url, secret, created_at, updated_at)
      select 'dashboard', dashboard_id, webhook_url, null, updated_at, updated_at from dashboard_notifications`.execute(
      db,
    );
    await sql`insert into webhook_endpoints (scope, owner_id, url, secret, created_at, updated_at)
      select 'game', game_id, url, null, updated_at, updated_at from forge_game_webhooks`.execute(db);

    const now = Date.now();
    const pending =
      await sql<Outbox>`select game_id, payload, attempts, next_attempt_at, last_error, created_at
      from forge_webhook_deliveries where delivered_at is null and failed_at is null order by id`.execute(db);
    for (const row of pending.rows) {
      const event = (JSON.parse(row.payload) as { event?: string }).event ?? 'quest.completed';
      const payload = JSON.stringify({ scope: 'game', owner: row.game_id, event, body: row.payload });
      await sql`insert into jobs (id, kind, payload, status, attempts, max_attempts, run_after, lease_until,
          lease_owner, checkpoint, last_error, created_at, updated_at)
        values (${randomUUID()}, 'webhook', ${payload}, 'queued', ${row.attempts}, ${Math.max(10, row.attempts + 1)},
          ${Number(row.next_attempt_at)}, null, null, null, ${row.last_error}, ${Number(row.created_at)}, ${now})`.execute(
        db,
      );
    }

    const notifications = await sql<NotificationJob>`select id, payload from jobs
      where kind = 'notification' and status in ('queued', 'running')`.execute(db);
    for (const job of notifications.rows) {
      const { notification } = JSON.parse(job.payload) as {
        notification: { event: string; dashboard_id: string };
      };
      const payload = JSON.stringify({
        scope: 'dashboard',
        owner: notification.dashboard_id,
        event: notification.event,
        body: JSON.stringify(notification),
      });
      await sql`update jobs set kind = 'webhook', payload = ${payload}, updated_at = ${now} where id = ${job.id}`.execute(
        db,
      );
    }

    await db.schema.dropTable('forge_webhook_deliveries').execute();
    await db.schema.dropTable('forge_game_webhooks').execute();
    await db.schema.dropTable('dashboard_notifications').execute();
  },
};
