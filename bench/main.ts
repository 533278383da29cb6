/**
 * `npm run bench [-- --json] [--batches 200] [--concurrency 8] [--runs 1] [--backend sqlite,postgres]`
 *
 * For each backend: the real server on a fresh database takes `batches` 1000-action
 * `/v1/actions` bodies from `concurrency` clients (events/s, p50/p99 latency, the server's
 * peak RSS); then, on another fresh database, the same batches go straight through
 * `store.writeBatch` with the same concurrency: the ceiling. Then the Forge suite (forge.ts):
 * `POST /player/playtime` records/s in batches of 100 and of 1000 with quests active, against
 * ForgeIngestService.playtime called directly. PostgreSQL runs when
 * TRAITFORGE_TEST_DATABASE_URL is set. Only 127.0.0.1 is contacted.
 */
import type { Backend } from '../src/store/store.js';
import {
  forgeJson,
  forgeTable,
  medianForgeFigures,
  runForgeBackend,
  type ForgeBackendFigures,
  type ForgeOptions,
} from './forge.js';
import type { PhaseMessage, PhaseSpec } from './phase.js';
import { createBenchDatabase, dropBenchDatabase } from './support/database.js';
import { JsonPoster } from './support/client.js';
import { startPhase } from './support/process.js';
import { median, percentile, runConcurrently } from './support/stats.js';
import { buildBody, type Workload } from './support/workload.js';

interface Options {
  json: boolean;
  batches: number;
  batchSize: number;
  concurrency: number;
  users: number;
  warmup: number;
  runs: number;
  backends: Backend[];
  suites: Suite[];
  forgeRecords: number;
  forgeWarmup: number;
  forgePlayers: number;
}

type Suite = 'actions' | 'forge';

export interface BackendFigures {
  http_events_per_s: number;
  ceiling_events_per_s: number;
  ratio: number;
  p50_ms: number;
  p99_ms: number;
  peak_rss_mb: number;
}

interface PhaseFigures {
  latencies: number[];
  elapsedMs: number;
  peakRssMb: number;
  cpuMs: number;
  /** The load generator's (this process's) CPU time, HTTP phase only. */
  clientCpuMs?: number;
}

interface RunFigures extends BackendFigures {
  /** Server (or store-only) process CPU time per 1000 events, ms: what the work costs. */
  http_cpu_ms_per_1k: number;
  ceiling_cpu_ms_per_1k: number;
  client_cpu_ms_per_1k: number;
  ceiling_p50_ms: number;
  ceiling_p99_ms: number;
  ceiling_peak_rss_mb: number;
}

const USAGE = `usage: npm run bench -- [--json] [--backend sqlite,postgres] [--batches 200] [--batch-size 1000]
                     [--concurrency 8] [--users 20000] [--warmup 10] [--runs 1]
                     [--suite actions,forge] [--forge-records 10000] [--forge-warmup 2000]
                     [--forge-players 2000]
PostgreSQL is benchmarked when TRAITFORGE_TEST_DATABASE_URL is set (a database is created and
dropped on that server for each phase). With --runs N every figure is the median of N runs.
--suite actions is the 12traits /v1/actions bench alone; --suite forge the Forge one alone.`;

const ADMIN_URL = process.env.TRAITFORGE_TEST_DATABASE_URL || undefined;

class UsageError extends Error {}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    json: false,
    batches: 200,
    batchSize: 1000,
    concurrency: 8,
    users: 20_000,
    warmup: 10,
    runs: 1,
    backends: ADMIN_URL ? ['sqlite', 'postgres'] : ['sqlite'],
    suites: ['actions', 'forge'],
    forgeRecords: 10_000,
    forgeWarmup: 2_000,
    forgePlayers: 2_000,
  };
  const numeric = [
    'batches',
    'batch-size',
    'concurrency',
    'users',
    'warmup',
    'runs',
    'forge-records',
    'forge-warmup',
    'forge-players',
  ] as const;
  const numericKey = {
    'batch-size': 'batchSize',
    'forge-records': 'forgeRecords',
    'forge-warmup': 'forgeWarmup',
    'forge-players': 'forgePlayers',
  } as const;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (!flag.startsWith('--')) throw new UsageError(`unknown argument ${arg}`);
    const name = flag.slice(2);
    const value = () => inline ?? argv[++i] ?? '';
    if (name === 'help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (name === 'json') options.json = true;
    else if (name === 'backend') {
      const list = value().split(',').filter(Boolean);
      if (!list.every((b): b is Backend => b === 'sqlite' || b === 'postgres'))
        throw new UsageError(`--backend takes sqlite, postgres or both, got "${list.join(',')}"`);
      if (list.includes('postgres') && !ADMIN_URL)
        throw new UsageError('--backend postgres needs TRAITFORGE_TEST_DATABASE_URL');
      options.backends = list;
    } else if (name === 'suite') {
      const list = value().split(',').filter(Boolean);
      if (list.length === 0 || !list.every((s): s is Suite => s === 'actions' || s === 'forge'))
        throw new UsageError(`--suite takes actions, forge or both, got "${list.join(',')}"`);
      options.suites = list;
    } else if ((numeric as readonly string[]).includes(name)) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < (name === 'warmup' || name === 'forge-warmup' ? 0 : 1))
        throw new UsageError(`--${name} takes a positive whole number`);
      const key =
        name in numericKey
          ? numericKey[name as keyof typeof numericKey]
          : (name as Exclude<(typeof numeric)[number], keyof typeof numericKey>);
      options[key] = n;
    } else throw new UsageError(`unknown option ${arg}`);
  }
  return options;
}

const log = (text: string) => process.stderr.write(`${text}\n`);

/** Starts one 12traits phase process. */
const startActionsPhase = (spec: PhaseSpec) => startPhase<PhaseMessage>('phase.js', spec.phase, spec);

async function httpPhase(spec: PhaseSpec, bodies: readonly Buffer[]): Promise<PhaseFigures> {
  const phase = startActionsPhase(spec);
  try {
    const ready = await phase.next();
    if (ready.type !== 'ready') throw new Error('the http phase did not start');
    const client = new JsonPoster(ready.port, { authorization: `Bearer ${ready.apiKey}` }, spec.concurrency);
    const post = async (index: number) => {
      const { status, text } = await client.post('/v1/actions', bodies[index]!);
      if (status !== 201) throw new Error(`POST /v1/actions → ${status}: ${text.slice(0, 300)}`);
    };
    const { batches } = spec.workload;
    await runConcurrently(spec.warmup, spec.concurrency, (i) => post(batches + i));
    phase.child.send({ type: 'mark' });
    const clientCpu = process.cpuUsage();
    const { latencies, elapsedMs } = await runConcurrently(batches, spec.concurrency, post);
    const used = process.cpuUsage(clientCpu);
    client.close();
    phase.child.send({ type: 'stop' });
    const done = await phase.next();
    if (done.type !== 'done') throw new Error('the http phase did not report');
    const clientCpuMs = (used.user + used.system) / 1000;
    return { latencies, elapsedMs, peakRssMb: done.peakRssMb, cpuMs: done.cpuMs, clientCpuMs };
  } finally {
    await phase.finish();
  }
}

async function ceilingPhase(spec: PhaseSpec): Promise<PhaseFigures> {
  const phase = startActionsPhase(spec);
  try {
    const done = await phase.next();
    if (done.type !== 'done' || !done.latencies || done.elapsedMs === undefined)
      throw new Error('the ceiling phase did not report');
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

async function withDatabase<T>(
  backend: Backend,
  run: (spec: PhaseSpec['database']) => Promise<T>,
): Promise<T> {
  const database = await createBenchDatabase(backend, ADMIN_URL);
  try {
    return await run(database);
  } finally {
    await dropBenchDatabase(database, ADMIN_URL);
  }
}

async function runBackend(backend: Backend, options: Options, workload: Workload, bodies: readonly Buffer[]) {
  const base = { workload, concurrency: options.concurrency, warmup: options.warmup };
  const events = workload.batches * workload.batchSize;
  const http = await withDatabase(backend, (database) =>
    httpPhase({ phase: 'http', database, ...base }, bodies),
  );
  const ceiling = await withDatabase(backend, (database) =>
    ceilingPhase({ phase: 'ceiling', database, ...base }),
  );
  const httpRate = events / (http.elapsedMs / 1000);
  const ceilingRate = events / (ceiling.elapsedMs / 1000);
  const figures: RunFigures = {
    http_events_per_s: Math.round(httpRate),
    ceiling_events_per_s: Math.round(ceilingRate),
    ratio: round(httpRate / ceilingRate, 3),
    p50_ms: round(percentile(http.latencies, 50), 1),
    p99_ms: round(percentile(http.latencies, 99), 1),
    peak_rss_mb: round(http.peakRssMb, 1),
    http_cpu_ms_per_1k: round(http.cpuMs / (events / 1000), 2),
    ceiling_cpu_ms_per_1k: round(ceiling.cpuMs / (events / 1000), 2),
    client_cpu_ms_per_1k: round((http.clientCpuMs ?? 0) / (events / 1000), 2),
    ceiling_p50_ms: round(percentile(ceiling.latencies, 50), 1),
    ceiling_p99_ms: round(percentile(ceiling.latencies, 99), 1),
    ceiling_peak_rss_mb: round(ceiling.peakRssMb, 1),
  };
  return figures;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Each figure's median over the runs (the ratio's too, run by run). */
function medianFigures(runs: readonly RunFigures[]): RunFigures {
  const keys = Object.keys(runs[0]!) as (keyof RunFigures)[];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))])) as unknown as RunFigures;
}

function table(results: Partial<Record<Backend, RunFigures>>, options: Options): string {
  const rows: [string, (f: RunFigures) => string][] = [
    ['HTTP events/s', (f) => f.http_events_per_s.toLocaleString('en-US')],
    ['ceiling events/s (store only)', (f) => f.ceiling_events_per_s.toLocaleString('en-US')],
    ['ratio HTTP / ceiling', (f) => f.ratio.toFixed(2)],
    ['HTTP p50 latency ms', (f) => f.p50_ms.toFixed(1)],
    ['HTTP p99 latency ms', (f) => f.p99_ms.toFixed(1)],
    ['HTTP server peak RSS MB', (f) => f.peak_rss_mb.toFixed(1)],
    ['HTTP server CPU ms / 1000 events', (f) => f.http_cpu_ms_per_1k.toFixed(1)],
    ['ceiling CPU ms / 1000 events', (f) => f.ceiling_cpu_ms_per_1k.toFixed(1)],
    ['load generator CPU ms / 1000 events', (f) => f.client_cpu_ms_per_1k.toFixed(1)],
    ['ceiling p50 latency ms', (f) => f.ceiling_p50_ms.toFixed(1)],
    ['ceiling p99 latency ms', (f) => f.ceiling_p99_ms.toFixed(1)],
    ['ceiling peak RSS MB', (f) => f.ceiling_peak_rss_mb.toFixed(1)],
  ];
  const backends = options.backends.filter((b) => results[b]);
  const head = ['', ...backends];
  const body = rows.map(([label, cell]) => [label, ...backends.map((b) => cell(results[b]!))]);
  const widths = head.map((_, c) => Math.max(...[head, ...body].map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const runs = options.runs > 1 ? `, medians of ${options.runs} runs` : '';
  return [
    `${options.batches} batches × ${options.batchSize} actions, ${options.concurrency} concurrent clients, ${options.users.toLocaleString('en-US')} users${runs}`,
    line(head),
    ...body.map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workload: Workload = {
    batches: options.batches,
    batchSize: options.batchSize,
    users: options.users,
    seed: 20240611,
    baseTime: Date.now(),
  };
  const results: Partial<Record<Backend, RunFigures>> = {};
  if (options.suites.includes('actions')) {
    log(`building ${options.batches + options.warmup} request bodies…`);
    const bodies = Array.from({ length: options.batches + options.warmup }, (_, i) => buildBody(workload, i));
    for (const backend of options.backends) {
      const runs: RunFigures[] = [];
      for (let run = 1; run <= options.runs; run++) {
        log(`${backend}: run ${run} of ${options.runs}…`);
        const figures = await runBackend(backend, options, workload, bodies);
        log(`${backend}: ${JSON.stringify(figures)}`);
        runs.push(figures);
      }
      results[backend] = medianFigures(runs);
    }
    process.stdout.write(`${table(results, options)}\n`);
  }
  const forge: Partial<Record<Backend, ForgeBackendFigures>> = {};
  if (options.suites.includes('forge')) {
    const forgeOptions: ForgeOptions = {
      records: options.forgeRecords,
      warmupRecords: options.forgeWarmup,
      players: options.forgePlayers,
      concurrency: options.concurrency,
      batchSizes: [100, 1000],
    };
    const forgeWorkload = {
      records: options.forgeRecords,
      warmupRecords: options.forgeWarmup,
      players: options.forgePlayers,
      seed: workload.seed,
      baseTime: workload.baseTime,
    };
    for (const backend of options.backends) {
      const runs: ForgeBackendFigures[] = [];
      for (let run = 1; run <= options.runs; run++) {
        log(`forge ${backend}: run ${run} of ${options.runs}…`);
        runs.push(await runForgeBackend(backend, forgeOptions, forgeWorkload, ADMIN_URL, log));
      }
      forge[backend] = medianForgeFigures(runs);
    }
    if (options.suites.includes('actions')) process.stdout.write('\n');
    process.stdout.write(`${forgeTable(forge, options.backends, forgeOptions, options.runs)}\n`);
  }
  if (options.json) {
    const json: Record<string, unknown> = Object.fromEntries(
      Object.entries(results).map(([backend, f]) => [
        backend,
        {
          http_events_per_s: f.http_events_per_s,
          ceiling_events_per_s: f.ceiling_events_per_s,
          ratio: f.ratio,
          p50_ms: f.p50_ms,
          p99_ms: f.p99_ms,
          peak_rss_mb: f.peak_rss_mb,
        } satisfies BackendFigures,
      ]),
    );
    if (options.suites.includes('forge')) json.forge = forgeJson(forge);
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }
}

main().catch((error: unknown) => {
  const text =
    error instanceof UsageError
      ? `${error.message}\n${USAGE}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`bench failed: ${text}\n`);
  process.exitCode = 1;
});
