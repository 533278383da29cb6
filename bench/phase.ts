/**
 * One bench phase in its own process, so its peak RSS and CPU are the server's alone:
 * `http` serves the real app until told to stop; `ceiling` writes the same batches straight
 * through the store. Started by main.ts with the phase as JSON in argv[2]; answers over IPC.
 */
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import { RECORD_TYPE_DEFS } from '../src/domain/records.js';
import type { Store } from '../src/store/store.js';
import { TenancyRepository } from '../src/tenancy/tenancy.repository.js';
import { TenancyService } from '../src/tenancy/tenancy.service.js';
import { openBenchStore, type BenchDatabase } from './support/database.js';
import { RssSampler, runConcurrently } from './support/stats.js';
import { normalizeBatch, type Workload } from './support/workload.js';

export interface PhaseSpec {
  phase: 'http' | 'ceiling';
  database: BenchDatabase;
  workload: Workload;
  concurrency: number;
  /** Untimed batches first (indices after the timed ones), to warm the JIT and the caches. */
  warmup: number;
}

export type PhaseMessage =
  | { type: 'ready'; port: number; apiKey: string }
  | {
      type: 'done';
      peakRssMb: number;
      /** CPU time (user + system) this process spent in the timed section, ms. */
      cpuMs: number;
      latencies?: number[];
      elapsedMs?: number;
    }
  | { type: 'failed'; error: string };

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function send(message: PhaseMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, (error: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

async function prepare(spec: PhaseSpec): Promise<{ store: Store; dashboardId: string; apiKey: string }> {
  const store = openBenchStore(spec.database);
  await store.migrate();
  const tenancy = new TenancyService(new TenancyRepository(store.db));
  const dashboard = await tenancy.createDashboard('Bench game', 'bench');
  return { store, dashboardId: dashboard.id, apiKey: dashboard.keys.production.key };
}

async function httpPhase(spec: PhaseSpec, rss: RssSampler): Promise<void> {
  const { store, apiKey } = await prepare(spec);
  const config = parseConfig({ logLevel: 'silent', port: 0, host: '127.0.0.1' });
  const app = await buildApp(config, store, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  let cpuAtMark = process.cpuUsage();
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (message: { type?: string }) => {
      // The parent marks the end of its warmup: the timed section starts.
      if (message.type === 'mark') cpuAtMark = process.cpuUsage();
      if (message.type === 'stop') resolve();
    });
  });
  await send({ type: 'ready', port: address.port, apiKey });
  await stopped;
  const cpuMs = cpuSince(cpuAtMark);
  const peakRssMb = rss.stop();
  await app.close();
  await store.close();
  await send({ type: 'done', peakRssMb, cpuMs });
}

async function ceilingPhase(spec: PhaseSpec, rss: RssSampler): Promise<void> {
  const { store, dashboardId } = await prepare(spec);
  const { workload, warmup, concurrency } = spec;
  const def = RECORD_TYPE_DEFS.actions;
  // Normalized once, outside the timed section: the ceiling is the store alone.
  const now = Date.now();
  const batches = Array.from({ length: workload.batches + warmup }, (_, i) =>
    normalizeBatch(workload, i, now),
  );
  const write = (index: number) =>
    store
      .writeBatch({
        dashboardId,
        environment: 'production',
        def,
        rows: batches[index]!,
        receivedAt: Date.now(),
      })
      .then(() => undefined);
  await runConcurrently(warmup, concurrency, (i) => write(workload.batches + i));
  const cpuAtStart = process.cpuUsage();
  const { latencies, elapsedMs } = await runConcurrently(workload.batches, concurrency, write);
  const cpuMs = cpuSince(cpuAtStart);
  const peakRssMb = rss.stop();
  await store.close();
  await send({ type: 'done', peakRssMb, cpuMs, latencies, elapsedMs });
}

async function main(): Promise<void> {
  const rss = new RssSampler(50);
  const spec = JSON.parse(process.argv[2] ?? '{}') as PhaseSpec;
  try {
    if (spec.phase === 'http') await httpPhase(spec, rss);
    else await ceilingPhase(spec, rss);
  } catch (error) {
    await send({
      type: 'failed',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  process.disconnect();
}

void main();
