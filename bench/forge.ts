/**
 * The Forge part of `npm run bench`: records/s of the Forge partner API with the game's quests
 * active (every fifth request `POST /player/achievement`, the others `POST /player/playtime`), in
 * batches of 100 and of 1000, against the ceiling of ForgeIngestService called directly. Per
 * backend, one template database is filled first (Forge key, quests, webhook, registered
 * players); every phase then starts from a fresh copy of it.
 */
import type { Backend } from '../src/store/store.js';
import type { ForgePhaseMessage, ForgePhaseSpec } from './forge-phase.js';
import { JsonPoster } from './support/client.js';
import { createBenchDatabase, dropBenchDatabase, type BenchDatabase } from './support/database.js';
import { forgeBatches, type ForgeBatch, type ForgeWorkload } from './support/forge-workload.js';
import { startPhase } from './support/process.js';
import { median, percentile, runConcurrently } from './support/stats.js';

export interface ForgeOptions {
  records: number;
  warmupRecords: number;
  players: number;
  concurrency: number;
  batchSizes: readonly number[];
}

/** What `--json` reports per backend and batch size. */
export interface ForgeFigures {
  http_records_per_s: number;
  ceiling_records_per_s: number;
  ratio: number;
  p50_ms: number;
  p99_ms: number;
  peak_rss_mb: number;
}

export interface ForgeRunFigures extends ForgeFigures {
  /** Server (or service-only) process CPU time per 1000 records, ms. */
  http_cpu_ms_per_1k: number;
  ceiling_cpu_ms_per_1k: number;
  client_cpu_ms_per_1k: number;
  ceiling_p50_ms: number;
  ceiling_p99_ms: number;
  ceiling_peak_rss_mb: number;
}

/** `batch_100`, `batch_1000` → figures. */
export type ForgeBackendFigures = Record<string, ForgeRunFigures>;

interface PhaseFigures {
  latencies: number[];
  elapsedMs: number;
  peakRssMb: number;
  cpuMs: number;
  clientCpuMs?: number;
}

const start = (spec: ForgePhaseSpec) =>
  startPhase<ForgePhaseMessage>('forge-phase.js', `forge ${spec.phase}`, spec, ['done', 'setup-done']);

async function setup(spec: ForgePhaseSpec): Promise<{ apiKey: string; ms: number }> {
  const phase = start(spec);
  try {
    const message = await phase.next();
    if (message.type !== 'setup-done') throw new Error('the forge setup phase did not report');
    return { apiKey: message.apiKey, ms: message.ms };
  } finally {
    await phase.finish();
  }
}

interface Request {
  path: string;
  body: Buffer;
}

async function httpPhase(spec: ForgePhaseSpec, timed: Request[], warmup: Request[]): Promise<PhaseFigures> {
  const phase = start(spec);
  try {
    const ready = await phase.next();
    if (ready.type !== 'ready') throw new Error('the forge http phase did not start');
    const client = new JsonPoster(ready.port, { 'x-api-key': spec.apiKey! }, spec.concurrency);
    const post = async ({ path, body }: Request) => {
      const { status, text } = await client.post(path, body);
      if (status !== 200) throw new Error(`POST ${path} → ${status}: ${text.slice(0, 300)}`);
    };
    await runConcurrently(warmup.length, spec.concurrency, (i) => post(warmup[i]!));
    phase.child.send({ type: 'mark' });
    const clientCpu = process.cpuUsage();
    const { latencies, elapsedMs } = await runConcurrently(timed.length, spec.concurrency, (i) =>
      post(timed[i]!),
    );
    const used = process.cpuUsage(clientCpu);
    client.close();
    phase.child.send({ type: 'stop' });
    const done = await phase.next();
    if (done.type !== 'done') throw new Error('the forge http phase did not report');
    const clientCpuMs = (used.user + used.system) / 1000;
    return { latencies, elapsedMs, peakRssMb: done.peakRssMb, cpuMs: done.cpuMs, clientCpuMs };
  } finally {
    await phase.finish();
  }
}

async function ceilingPhase(spec: ForgePhaseSpec): Promise<PhaseFigures> {
  const phase = start(spec);
  try {
    const done = await phase.next();
    if (done.type !== 'done' || !done.latencies || done.elapsedMs === undefined)
      throw new Error('the forge ceiling phase did not report');
    return {
      latencies: done.latencies,
      elapsedMs: done.elapsedMs,
      peakRssMb: done.peakRssMb,
      cpuMs: done.cpuMs,
    };
  } finally {
    await phase.finish();
  }
}

async function onCopy<T>(
  template: BenchDatabase,
  adminUrl: string | undefined,
  run: (database: BenchDatabase) => Promise<T>,
): Promise<T> {
  const database = await createBenchDatabase(template.backend, adminUrl, template);
  try {
    return await run(database);
  } finally {
    await dropBenchDatabase(database, adminUrl);
  }
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** One run on one backend: setup once, then per batch size an HTTP phase and a ceiling phase. */
export async function runForgeBackend(
  backend: Backend,
  options: ForgeOptions,
  workload: ForgeWorkload,
  adminUrl: string | undefined,
  log: (text: string) => void,
): Promise<ForgeBackendFigures> {
  const template = await createBenchDatabase(backend, adminUrl);
  const results: ForgeBackendFigures = {};
  try {
    const base = { workload, concurrency: options.concurrency };
    const { apiKey, ms } = await setup({ phase: 'setup', database: template, batchSize: 0, ...base });
    log(
      `forge ${backend}: ${workload.players.toLocaleString('en-US')} players and quests set up in ${(ms / 1000).toFixed(1)} s`,
    );
    for (const batchSize of options.batchSizes) {
      const { timed, warmup } = forgeBatches(workload, batchSize);
      // Serialized before any timing.
      const body = (batch: ForgeBatch): Request => ({
        path: batch.path,
        body: Buffer.from(JSON.stringify(batch.records)),
      });
      const spec = { ...base, batchSize, apiKey };
      const http = await onCopy(template, adminUrl, (database) =>
        httpPhase({ phase: 'http', database, ...spec }, timed.map(body), warmup.map(body)),
      );
      const ceiling = await onCopy(template, adminUrl, (database) =>
        ceilingPhase({ phase: 'ceiling', database, ...spec }),
      );
      const records = workload.records;
      const httpRate = records / (http.elapsedMs / 1000);
      const ceilingRate = records / (ceiling.elapsedMs / 1000);
      const figures: ForgeRunFigures = {
        http_records_per_s: Math.round(httpRate),
        ceiling_records_per_s: Math.round(ceilingRate),
        ratio: round(httpRate / ceilingRate, 3),
        p50_ms: round(percentile(http.latencies, 50), 1),
        p99_ms: round(percentile(http.latencies, 99), 1),
        peak_rss_mb: round(http.peakRssMb, 1),
        http_cpu_ms_per_1k: round(http.cpuMs / (records / 1000), 1),
        ceiling_cpu_ms_per_1k: round(ceiling.cpuMs / (records / 1000), 1),
        client_cpu_ms_per_1k: round((http.clientCpuMs ?? 0) / (records / 1000), 2),
        ceiling_p50_ms: round(percentile(ceiling.latencies, 50), 1),
        ceiling_p99_ms: round(percentile(ceiling.latencies, 99), 1),
        ceiling_peak_rss_mb: round(ceiling.peakRssMb, 1),
      };
      log(`forge ${backend} batch_${batchSize}: ${JSON.stringify(figures)}`);
      results[`batch_${batchSize}`] = figures;
    }
  } finally {
    await dropBenchDatabase(template, adminUrl);
  }
  return results;
}

/** Each figure's median over the runs, batch size by batch size. */
export function medianForgeFigures(runs: readonly ForgeBackendFigures[]): ForgeBackendFigures {
  return Object.fromEntries(
    Object.keys(runs[0]!).map((batch) => {
      const first = runs[0]![batch]!;
      const keys = Object.keys(first) as (keyof ForgeRunFigures)[];
      return [batch, Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[batch]![k]))]))];
    }),
  ) as unknown as ForgeBackendFigures;
}

export function forgeTable(
  results: Partial<Record<Backend, ForgeBackendFigures>>,
  backends: readonly Backend[],
  options: ForgeOptions,
  runs: number,
): string {
  const rows: [string, (f: ForgeRunFigures) => string][] = [
    ['HTTP records/s', (f) => f.http_records_per_s.toLocaleString('en-US')],
    ['ceiling records/s (service only)', (f) => f.ceiling_records_per_s.toLocaleString('en-US')],
    ['ratio HTTP / ceiling', (f) => f.ratio.toFixed(2)],
    ['HTTP p50 latency ms', (f) => f.p50_ms.toFixed(1)],
    ['HTTP p99 latency ms', (f) => f.p99_ms.toFixed(1)],
    ['HTTP server peak RSS MB', (f) => f.peak_rss_mb.toFixed(1)],
    ['HTTP server CPU ms / 1000 records', (f) => f.http_cpu_ms_per_1k.toFixed(1)],
    ['ceiling CPU ms / 1000 records', (f) => f.ceiling_cpu_ms_per_1k.toFixed(1)],
    ['load generator CPU ms / 1000 records', (f) => f.client_cpu_ms_per_1k.toFixed(1)],
    ['ceiling p50 latency ms', (f) => f.ceiling_p50_ms.toFixed(1)],
    ['ceiling p99 latency ms', (f) => f.ceiling_p99_ms.toFixed(1)],
    ['ceiling peak RSS MB', (f) => f.ceiling_peak_rss_mb.toFixed(1)],
  ];
  const columns = backends.flatMap((b) =>
    options.batchSizes
      .filter(() => results[b])
      .map((size) => ({ head: `${b} ×${size}`, figures: results[b]![`batch_${size}`]! })),
  );
  const head = ['', ...columns.map((c) => c.head)];
  const body = rows.map(([label, cell]) => [label, ...columns.map((c) => cell(c.figures))]);
  const widths = head.map((_, c) => Math.max(...[head, ...body].map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const medians = runs > 1 ? `, medians of ${runs} runs` : '';
  return [
    `Forge records (4 of 5 requests /player/playtime, 1 of 5 /player/achievement), quests active: ${options.records.toLocaleString('en-US')} records per phase in batches of ${options.batchSizes.join(' and ')}, ${options.concurrency} concurrent clients, ${options.players.toLocaleString('en-US')} registered players${medians}`,
    line(head),
    ...body.map(line),
  ].join('\n');
}

/** The `--json` object's `forge` member: the documented keys only. */
export function forgeJson(
  results: Partial<Record<Backend, ForgeBackendFigures>>,
): Partial<Record<Backend, Record<string, ForgeFigures>>> {
  return Object.fromEntries(
    Object.entries(results).map(([backend, batches]) => [
      backend,
      Object.fromEntries(
        Object.entries(batches).map(([batch, f]) => [
          batch,
          {
            http_records_per_s: f.http_records_per_s,
            ceiling_records_per_s: f.ceiling_records_per_s,
            ratio: f.ratio,
            p50_ms: f.p50_ms,
            p99_ms: f.p99_ms,
            peak_rss_mb: f.peak_rss_mb,
          } satisfies ForgeFigures,
        ]),
      ),
    ]),
  );
}
