import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../store/database.js';
import type { Job, JobQueue } from './job-queue.js';

/** Thrown by a handler when retrying cannot help (a malformed file): the job fails at once. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

/** Thrown by `JobContext.checkpoint` when another worker has taken the job over. */
export class JobLeaseLostError extends Error {
  override name = 'JobLeaseLostError';
}

/** Thrown by a handler between two steps when the worker is stopping: the job is given back. */
export class JobInterruptedError extends Error {
  override name = 'JobInterruptedError';
}

export interface JobContext {
  /** The progress the last attempt saved, or null on a first run. */
  readonly saved: unknown;
  /** Saves progress (extending the lease), with `also` in the same transaction. */
  save(value: unknown, also?: (trx: Transaction<Database>) => Promise<void>): Promise<void>;
  /** True once the worker is stopping: a handler gives the job back at its next step. */
  stopping(): boolean;
  /** How long the job stays this worker's without a `save`: long steps save more often. */
  readonly leaseMs: number;
}

export interface JobHandler {
  run(job: Job, ctx: JobContext): Promise<void>;
  /** Called once when the job has failed for good (permanently, or out of attempts). */
  failed?(job: Job, message: string): Promise<void>;
}

export interface JobWorkerOptions {
  owner?: string;
  leaseMs?: number;
  baseBackoffMs?: number;
  intervalMs?: number;
}

/**
 * Runs durable jobs from the shared queue: claims one, runs its kind's handler, and records
 * the outcome (succeeded; failed and retried with backoff; failed for good). Started by
 * `npm start` (webhook deliveries are jobs too); tests call `runOnce`.
 */
export class JobWorker {
  readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopRequested = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: ReadonlyMap<string, JobHandler>,
    private readonly options: JobWorkerOptions = {},
  ) {
    this.owner = options.owner ?? `worker-${randomUUID()}`;
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 5 * 60_000;
  }

  /** Runs due jobs until none is left (or the worker stops); returns how many ran. */
  async runOnce(max = 100): Promise<number> {
    let ran = 0;
    while (ran < max && !this.stopRequested) {
      const job = await this.queue.claim(this.owner, this.leaseMs, [...this.handlers.keys()]);
      if (!job) break;
      await this.runJob(job);
      ran++;
    }
    return ran;
  }

  private async runJob(job: Job): Promise<void> {
    const handler = this.handlers.get(job.kind)!;
    if (job.attempts > job.max_attempts) {
      // Claimed again after its last attempt's worker died: give up instead of looping.
      const message = job.last_error ?? `gave up after ${job.max_attempts} attempts`;
      await this.queue.fail(job, this.owner, message, { permanent: true });
      await handler.failed?.(job, message);
      return;
    }
    const ctx: JobContext = {
      saved: job.checkpoint === null ? null : (JSON.parse(job.checkpoint) as unknown),
      save: async (value, also) => {
        if (!(await this.queue.checkpoint(job, this.owner, value, this.leaseMs, also))) {
          throw new JobLeaseLostError(`job ${job.id} was taken over by another worker`);
        }
      },
      stopping: () => this.stopRequested,
      leaseMs: this.leaseMs,
    };
    try {
      await handler.run(job, ctx);
      await this.queue.succeed(job, this.owner);
    } catch (error) {
      if (error instanceof JobLeaseLostError) return;
      if (error instanceof JobInterruptedError) {
        await this.queue.release(job, this.owner);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const status = await this.queue.fail(job, this.owner, message, {
        permanent: error instanceof PermanentJobError,
        ...(this.options.baseBackoffMs === undefined ? {} : { baseBackoffMs: this.options.baseBackoffMs }),
      });
      if (status === 'failed') await handler.failed?.(job, message);
    }
  }

  start(): void {
    if (this.timer) return;
    this.stopRequested = false;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch(() => 0)
        .finally(() => {
          this.running = undefined;
        });
    }, this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops claiming; a running job stops at its next step and is given back to the queue. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
