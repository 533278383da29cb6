/**
 * `npm run bench [-- --json] [--batches 200] [--concurrency 8] [--runs 1] [--backend sqlite,postgres]`
 *
 * For each backend: the real server on a fresh database takes `batches` 1000-action
 * `/v1/actions` bodies from `concurrency` clients (events/s, p50/p99 latency, the server's
 * peak RSS); then, on another fresh database, the same batches go straight through
 * `store.writeBatch` with the same concurrency: the ceiling. PostgreSQL runs when
 * TRAITFORGE_TEST_DATABASE_URL is set. Only 127.0.0.1 is contacted.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/store/store.js';
import type { PhaseMessage, PhaseSpec } from './phase.js';
import { createBenchDatabase, dropBenchDatabase } from './support/database.js';
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
}

export interface BackendFigures {
  http_events_per_s: number;
  ceiling_events_per_s: number;
  ratio: number;
  p50_ms: number;
  p99_ms: number;
  peak_rss_mb: number;
}

interface RunFigures extends BackendFigures {
  ceiling_p50_ms: number;
  ceiling_p99_ms: number;
  ceiling_peak_rss_mb: number;
}

const ADMIN_URL = process.env.TRAITFORGE_TEST_DATABASE_URL || undefined;

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
  };
  const numeric = ['batches', 'batch-size', 'concurrency', 'users', 'warmup', 'runs'] as const;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const name = flag.replace(/^--/, '');
    const value = () => inline ?? argv[++i] ?? '';
    if (name === 'json') options.json = true;
    else if (name === 'backend') {
      const list = value().split(',').filter(Boolean);
      if (!list.every((b): b is Backend => b === 'sqlite' || b === 'postgres'))
        throw new Error(`--backend takes sqlite, postgres or both, got "${list.join(',')}"`);
      if (list.includes('postgres') && !ADMIN_URL)
        throw new Error('--backend postgres needs TRAITFORGE_TEST_DATABASE_URL');
      options.backends = list;
    } else if ((numeric as readonly string[]).includes(name)) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < (name === 'warmup' ? 0 : 1))
        throw new Error(`--${name} takes a positive whole number`);
      if (name === 'batch-size') options.batchSize = n;
      else options[name as Exclude<(typeof numeric)[number], 'batch-size'>] = n;
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

const log = (text: string) => process.stderr.write(`${text}\n`);

/** Starts one phase process; resolves with it and a reader of its next message. */
function startPhase(spec: PhaseSpec) {
  const child = fork(fileURLToPath(new URL('./phase.js', import.meta.url)), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: PhaseMessage[] = [];
  let waiting: ((message: PhaseMessage) => void) | undefined;
  let failure: Error | undefined;
  const deliver = (message: PhaseMessage) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(message);
    } else queue.push(message);
  };
  child.on('message', (message: PhaseMessage) => {
    deliver(message);
  });
  child.on('exit', (code) => {
    failure = new Error(`the ${spec.phase} phase exited (code ${String(code)}) before answering`);
    deliver({ type: 'failed', error: failure.message });
  });
  const next = async (): Promise<PhaseMessage> => {
    const message = queue.shift() ?? (await new Promise<PhaseMessage>((resolve) => (waiting = resolve)));
    if (message.type === 'failed') throw new Error(`${spec.phase} phase: ${message.error}`);
    return message;
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  /** Lets the phase exit by itself (it has answered), or ends it after 15 s. */
  const finish = async () => {
    const timer = setTimeout(() => {
      child.kill();
    }, 15_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, next, finish };
}

async function httpPhase(
  spec: PhaseSpec,
  bodies: readonly Buffer[],
): Promise<{ latencies: number[]; elapsedMs: number; peakRssMb: number }> {
  const phase = startPhase(spec);
  try {
    const ready = await phase.next();
    if (ready.type !== 'ready') throw new Error('the http phase did not start');
    const url = `http://127.0.0.1:${ready.port}/v1/actions`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${ready.apiKey}` };
    const post = async (index: number) => {
      const response = await fetch(url, { method: 'POST', headers, body: bodies[index] });
      const text = await response.text();
      if (response.status !== 201)
        throw new Error(`POST /v1/actions → ${response.status}: ${text.slice(0, 300)}`);
    };
    const { batches } = spec.workload;
    await runConcurrently(spec.warmup, spec.concurrency, (i) => post(batches + i));
    const { latencies, elapsedMs } = await runConcurrently(batches, spec.concurrency, post);
    phase.child.send({ type: 'stop' });
    const done = await phase.next();
    if (done.type !== 'done') throw new Error('the http phase did not report');
    return { latencies, elapsedMs, peakRssMb: done.peakRssMb };
  } finally {
    await phase.finish();
  }
}

async function ceilingPhase(
  spec: PhaseSpec,
): Promise<{ latencies: number[]; elapsedMs: number; peakRssMb: number }> {
  const phase = startPhase(spec);
  try {
    const done = await phase.next();
    if (done.type !== 'done' || !done.latencies || done.elapsedMs === undefined)
      throw new Error('the ceiling phase did not report');
    return { latencies: done.latencies, elapsedMs: done.elapsedMs, peakRssMb: done.peakRssMb };
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
  log(`building ${options.batches + options.warmup} request bodies…`);
  const bodies = Array.from({ length: options.batches + options.warmup }, (_, i) => buildBody(workload, i));
  const results: Partial<Record<Backend, RunFigures>> = {};
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
  if (options.json) {
    const json = Object.fromEntries(
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
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
