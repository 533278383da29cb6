/**
 * One 12traits bench phase in its own process, so its peak RSS and CPU are the server's alone:
 * `http` serves the real app until told to stop; `ceiling` writes the same batches straight
 * through the store. Started by main.ts with the phase as JSON in argv[2]; answers over IPC.
 */
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import { RECORD_TYPE_DEFS } from '../src/domain/records.js';
import { benchEventStore, prepareDashboard, type BenchDatabase } from './support/database.js';
import { phaseMain, serveUntilStopped, timeJobs, type PhaseAnswer } from './support/process.js';
import type { RssSampler } from './support/stats.js';
import { normalizeBatch, type Workload } from './support/workload.js';

export interface PhaseSpec {
  phase: 'http' | 'ceiling';
  database: BenchDatabase;
  workload: Workload;
  concurrency: number;
  /** Untimed batches first (indices after the timed ones), to warm the JIT and the caches. */
  warmup: number;
}

export type PhaseMessage = PhaseAnswer;

async function ceilingPhase(spec: PhaseSpec, rss: RssSampler): Promise<void> {
  const { store, dashboardId } = await prepareDashboard(spec.database);
  // The ceiling: the event store's write path alone, no HTTP nor parsing.
  const events = benchEventStore(store, spec.database);
  const { workload, warmup, concurrency } = spec;
  const def = RECORD_TYPE_DEFS.actions;
  // Normalized once, outside the timed section: the ceiling is the store alone.
  const now = Date.now();
  const batches = Array.from({ length: workload.batches + warmup }, (_, i) =>
    normalizeBatch(workload, i, now),
  );
  await timeJobs(store, rss, {
    warmup,
    timed: workload.batches,
    concurrency,
    job: async (index, warm) => {
      const rows = batches[warm ? workload.batches + index : index]!;
      await events.write({ dashboardId, environment: 'production', def, rows, receivedAt: Date.now() });
    },
  });
}

phaseMain<PhaseSpec>({
  http: async (spec, rss) => {
    const { store, apiKey } = await prepareDashboard(spec.database);
    const { clickhouse: clickhouseUrls = [] } = spec.database;
    const config = parseConfig({ logLevel: 'silent', port: 0, host: '127.0.0.1', clickhouseUrls });
    const app = await buildApp(config, store, { logger: false });
    await serveUntilStopped(app, store, rss, { apiKey });
  },
  ceiling: ceilingPhase,
});
