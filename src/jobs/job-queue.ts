import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, JobTable } from '../store/database.js';
import type { StoreCapabilities } from '../store/store.js';

export type Job = Selectable<JobTable>;

export interface NewJob {
  kind: string;
  payload: unknown;
  maxAttempts?: number;
  id?: string;
}

const MAX_BACKOFF_MS = 3_600_000;

/**
 * The `jobs` table as a queue shared by every server process. A job is claimed by one
 * conditional UPDATE (one process wins on either backend; PostgreSQL also skips rows another
 * claimer holds locked) and held with a lease: a worker that dies leaves a lease that expires,
 * and the job is claimable again. Progress saved with `checkpoint` lets the next attempt resume.
 */
export class JobQueue {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: StoreCapabilities,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues a job, in the caller's transaction when given one. Returns its id. */
  async enqueue(job: NewJob, trx: Kysely<Database> | Transaction<Database> = this.db): Promise<string> {
    const [id] = await this.enqueueMany([job], trx);
    return id!;
  }

  /** Queues several jobs in one statement (e.g. the webhooks of a batch's rewards). Returns their ids. */
  async enqueueMany(
    jobs: readonly NewJob[],
    trx: Kysely<Database> | Transaction<Database> = this.db,
  ): Promise<string[]> {
    if (jobs.length === 0) return [];
    const now = this.now();
    const rows = jobs.map((job) => ({
      id: job.id ?? randomUUID(),
      kind: job.kind,
      payload: JSON.stringify(job.payload ?? null),
      status: 'queued' as const,
      attempts: 0,
      max_attempts: job.maxAttempts ?? 5,
      run_after: now,
      lease_until: null,
      lease_owner: null,
      checkpoint: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    }));
    await trx.insertInto('jobs').values(rows).execute();
    return rows.map((row) => row.id);
  }

  /** Claims the next due job (queued and due, or running with an expired lease) for `owner`. */
  async claim(owner: string, leaseMs: number, kinds: readonly string[]): Promise<Job | undefined> {
    if (kinds.length === 0) return undefined;
    const now = this.now();
    const due = sql`((status = 'queued' and run_after <= ${now}) or (status = 'running' and lease_until < ${now}))
      and kind in (${sql.join(kinds)})`;
    // PostgreSQL: concurrent claimers skip each other's candidate instead of queueing behind it.
    // SQLite runs one write statement at a time, so the statement alone is atomic.
    const lock = this.capabilities.rowLocks ? sql`for update skip locked` : sql``;
    const result = await sql<Job>`
      update jobs set status = 'running', attempts = attempts + 1, lease_owner = ${owner},
        lease_until = ${now + leaseMs}, updated_at = ${now}
      where id = (select id from jobs where ${due} order by run_after, created_at limit 1 ${lock})
        and ${due}
      returning *`.execute(this.db);
    return result.rows[0];
  }

  /**
   * Saves progress and extends the lease, then runs `also` in the same transaction (e.g. the
   * ingestion's counters). Returns false when the lease was lost: another worker holds the job.
   */
  async checkpoint(
    job: Job,
    owner: string,
    checkpoint: unknown,
    leaseMs: number,
    also?: (trx: Transaction<Database>) => Promise<void>,
  ): Promise<boolean> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('jobs')
        .set({ checkpoint: JSON.stringify(checkpoint), lease_until: now + leaseMs, updated_at: now })
        .where('id', '=', job.id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return false;
      if (also) await also(trx);
      return true;
    });
  }

  async succeed(job: Job, owner: string): Promise<void> {
    await this.finish(job, owner, { status: 'succeeded', last_error: null });
  }

  /** A failed attempt: queued again after a backoff, or failed for good. Returns the new status. */
  async fail(
    job: Job,
    owner: string,
    error: string,
    options: { permanent?: boolean; baseBackoffMs?: number } = {},
  ): Promise<'queued' | 'failed'> {
    if (options.permanent || job.attempts >= job.max_attempts) {
      await this.finish(job, owner, { status: 'failed', last_error: error });
      return 'failed';
    }
    const backoff = Math.min((options.baseBackoffMs ?? 1000) * 2 ** (job.attempts - 1), MAX_BACKOFF_MS);
    await this.finish(job, owner, { status: 'queued', last_error: error, run_after: this.now() + backoff });
    return 'queued';
  }

  /** Gives a job back untouched (the worker is stopping): not counted as an attempt. */
  async release(job: Job, owner: string): Promise<void> {
    await this.finish(job, owner, {
      status: 'queued',
      attempts: Math.max(0, job.attempts - 1),
      run_after: this.now(),
    });
  }

  get(id: string): Promise<Job | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private async finish(
    job: Job,
    owner: string,
    set: Partial<Pick<Job, 'status' | 'last_error' | 'run_after' | 'attempts'>>,
  ): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ ...set, lease_owner: null, lease_until: null, updated_at: this.now() })
      .where('id', '=', job.id)
      .where('lease_owner', '=', owner)
      .execute();
  }
}
