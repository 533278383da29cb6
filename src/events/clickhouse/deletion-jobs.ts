import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Job, JobQueue } from '../../jobs/job-queue.js';
import { JobInterruptedError, type JobContext, type JobHandler } from '../../jobs/job-worker.js';
import { playerHash } from '../../privacy/player-hash.js';
import type { DeletionStatus, EventScope } from '../event-store.js';
import type { DeletionTracker } from './deletion-tracker.js';

export const DELETION_JOB = 'events.clickhouse-deletion';

/** Where a player's deletion stands, with the records it removes. */
export interface LedgerStatus extends DeletionStatus {
  records: number;
}

interface DeletionPayload {
  dashboardId: string;
  environment: EventScope['environment'];
  userHash: string;
}

/**
 * The durable side of ClickHouse deletions: a row in `event_deletions` (control plane) and a job
 * that follows the mutations until `system.mutations` says they are done and no row of the
 * player is left, then records the completion and forgets the id. A worker that dies leaves the
 * job to another; a restart resumes it.
 */
export class DeletionLedger {
  constructor(
    private readonly db: Kysely<unknown>,
    private readonly queue: JobQueue,
  ) {}

  /** Records a deletion in progress and queues the job that completes it. */
  async started(scope: EventScope, userId: string, records: number, at: number): Promise<void> {
    const userHash = playerHash(userId);
    await sql`insert into event_deletions (dashboard_id, environment, user_hash, pending_user_id, records, requested_at, completed_at)
      values (${scope.dashboardId}, ${scope.environment}, ${userHash}, ${userId}, ${records}, ${at}, null)
      on conflict (dashboard_id, environment, user_hash) do update set pending_user_id = excluded.pending_user_id,
        records = excluded.records, requested_at = excluded.requested_at, completed_at = null`.execute(
      this.db,
    );
    const payload: DeletionPayload = { ...scope, userHash };
    // Mutations can take minutes on large tables: many attempts, each polling for a while.
    await this.queue.enqueue({ kind: DELETION_JOB, payload, maxAttempts: 1000 }, this.db as never);
  }

  /** A deletion that removed nothing is complete at once, and still answered by the status. */
  async completedAtOnce(scope: EventScope, userId: string, at: number): Promise<void> {
    await sql`insert into event_deletions (dashboard_id, environment, user_hash, pending_user_id, records, requested_at, completed_at)
      values (${scope.dashboardId}, ${scope.environment}, ${playerHash(userId)}, null, 0, ${at}, ${at})
      on conflict (dashboard_id, environment, user_hash) do update set pending_user_id = null, records = 0,
        requested_at = excluded.requested_at, completed_at = excluded.completed_at`.execute(this.db);
  }

  async status(scope: EventScope, userId: string): Promise<LedgerStatus | undefined> {
    const { rows } = await sql<{
      records: number | string;
      requested_at: number | string;
      completed_at: number | string | null;
    }>`
      select records, requested_at, completed_at from event_deletions
      where dashboard_id = ${scope.dashboardId} and environment = ${scope.environment} and user_hash = ${playerHash(userId)}`.execute(
      this.db,
    );
    const row = rows[0];
    return (
      row && {
        requestedAt: Number(row.requested_at),
        completedAt: row.completed_at === null ? null : Number(row.completed_at),
        records: Number(row.records),
      }
    );
  }

  /** The id of a deletion still running (undefined: completed, or superseded). */
  async pendingUser(payload: DeletionPayload): Promise<{ userId: string; requestedAt: number } | undefined> {
    const { rows } = await sql<{ pending_user_id: string | null; requested_at: number | string }>`
      select pending_user_id, requested_at from event_deletions
      where dashboard_id = ${payload.dashboardId} and environment = ${payload.environment} and user_hash = ${payload.userHash}
        and completed_at is null`.execute(this.db);
    const row = rows[0];
    return row?.pending_user_id
      ? { userId: row.pending_user_id, requestedAt: Number(row.requested_at) }
      : undefined;
  }

  async complete(payload: DeletionPayload, at: number): Promise<void> {
    await sql`update event_deletions set completed_at = ${at}, pending_user_id = null
      where dashboard_id = ${payload.dashboardId} and environment = ${payload.environment} and user_hash = ${payload.userHash}`.execute(
      this.db,
    );
  }
}

export interface DeletionJobOptions {
  /**
   * How long after the request rows may still arrive: a batch that read the deletion markers just
   * before the marker was written inserts within this time, and is deleted by the final check.
   */
  graceMs?: number;
  pollMs?: number;
  now?: () => number;
}

/** The job handler: polls the shards for up to a third of the lease, then retries later. */
export function deletionJobHandler(
  ledger: DeletionLedger,
  tracker: DeletionTracker,
  options: DeletionJobOptions = {},
): JobHandler {
  const { graceMs = 30_000, pollMs = 500, now = Date.now } = options;
  return {
    async run(job: Job, ctx: JobContext) {
      const payload = JSON.parse(job.payload) as DeletionPayload;
      const deadline = now() + ctx.leaseMs / 3;
      for (;;) {
        const pending = await ledger.pendingUser(payload);
        if (!pending) return;
        const scope = { dashboardId: payload.dashboardId, environment: payload.environment };
        const graceOver = now() >= pending.requestedAt + graceMs;
        if ((await tracker.complete(scope, pending.userId)) && graceOver) {
          await ledger.complete(payload, now());
          return;
        }
        if (ctx.stopping()) throw new JobInterruptedError('the worker is stopping');
        if (now() >= deadline) throw new Error('ClickHouse mutations still running');
        await sleep(pollMs);
      }
    },
  };
}
