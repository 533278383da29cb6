import type { Config } from '../config/config.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { JobHandler } from '../jobs/job-worker.js';
import type { PeriodicTask } from '../jobs/periodic-tasks.js';
import type { Store } from '../store/store.js';
import { ClickHouseEventStore, SWEEP_EVERY_MS } from './clickhouse/clickhouse-event-store.js';
import { DELETION_JOB, type DeletionJobOptions } from './clickhouse/deletion-jobs.js';
import { migrateShards } from './clickhouse/migrate.js';
import { openShards } from './clickhouse/shards.js';
import type { EventStore } from './event-store.js';
import { sqlEventStore } from './sql/sql-event-store.js';

/** The event backend the settings choose, and the durable jobs and periodic tasks it needs a worker for. */
export interface OpenedEvents {
  events: EventStore;
  jobHandlers: readonly (readonly [string, JobHandler])[];
  periodicTasks: readonly PeriodicTask[];
}

/**
 * Events on ClickHouse when `TRAITFORGE_CLICKHOUSE_URL` is set (keys, markers and jobs on the
 * control-plane store), else in the control-plane database itself (`events/sql`).
 */
export function openEventStore(
  config: Config,
  store: Store,
  jobs: JobQueue,
  deletionJob?: DeletionJobOptions,
): OpenedEvents {
  if (config.clickhouseUrls.length === 0)
    return { events: sqlEventStore(store), jobHandlers: [], periodicTasks: [] };
  const events = new ClickHouseEventStore(openShards(config.clickhouseUrls), store.db as never, jobs, {
    insightsLagMs: config.clickhouseInsightsLagMs,
  });
  return {
    events,
    jobHandlers: [[DELETION_JOB, events.deletionJobHandler(deletionJob)]],
    // Abandoned writes are rolled back at a worker's start, then every half minute.
    periodicTasks: [
      { name: 'clickhouse-write-intents', everyMs: SWEEP_EVERY_MS, run: () => events.sweepAbandonedWrites() },
    ],
  };
}

/** Brings the event backend's own schema up to date (ClickHouse: every shard); [] without one. */
export async function migrateEventBackend(config: Config): Promise<string[]> {
  if (config.clickhouseUrls.length === 0) return [];
  return (await migrateShards(openShards(config.clickhouseUrls))).map((name) => `clickhouse:${name}`);
}
