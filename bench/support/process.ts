import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../src/store/store.js';
import { JsonPoster } from './client.js';
import { RssSampler, runConcurrently } from './stats.js';

/** What every phase process may answer; each phase script adds its own message types. */
export interface FailedMessage {
  type: 'failed';
  error: string;
}

/**
 * Starts one phase process (a compiled script next to bench/main.js, e.g. `./phase.js`), with
 * its spec as JSON in argv[2]; resolves with it and a reader of its next message. A `failed`
 * message (or the process exiting before its final answer) makes `next` throw.
 */
export function startPhase<M extends { type: string }>(
  script: string,
  label: string,
  spec: unknown,
  /** The answers after which the phase exits by itself. */
  finalTypes: readonly string[] = ['done'],
) {
  const child = fork(fileURLToPath(new URL(`../${script}`, import.meta.url)), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: (M | FailedMessage)[] = [];
  let waiting: ((message: M | FailedMessage) => void) | undefined;
  let answered = false;
  const deliver = (message: M | FailedMessage) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(message);
    } else queue.push(message);
  };
  child.on('message', (message: M | FailedMessage) => {
    deliver(message);
  });
  child.on('exit', (code) => {
    deliver({ type: 'failed', error: `the ${label} phase exited (code ${String(code)}) before answering` });
  });
  const next = async (): Promise<M> => {
    const message = queue.shift() ?? (await new Promise<M | FailedMessage>((resolve) => (waiting = resolve)));
    if (message.type === 'failed') throw new Error(`${label} phase: ${(message as FailedMessage).error}`);
    if (finalTypes.includes(message.type)) answered = true;
    return message as M;
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const finish = async () => {
    // After its answer the phase exits by itself (writing any --cpu-prof); otherwise end it now.
    const timer = setTimeout(
      () => {
        child.kill();
      },
      answered ? 15_000 : 0,
    );
    await exited;
    clearTimeout(timer);
  };
  return { child, next, finish };
}

/** Sends one message to the parent, resolved once it is handed over. */
export function sendToParent(message: object): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, (error: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/** CPU time (user + system) of this process since `start`, ms. */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** A running phase process, as `startPhase` returns it. */
export type Phase<M extends { type: string }> = ReturnType<typeof startPhase<M>>;

/** The final answer of a timed phase: its own peak RSS and CPU; latencies when it timed jobs itself. */
export interface DoneMessage {
  type: 'done';
  peakRssMb: number;
  /** CPU time (user + system) this process spent in the timed section, ms. */
  cpuMs: number;
  latencies?: number[];
  elapsedMs?: number;
}

/** A phase serving the real app on 127.0.0.1 until told to stop. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
  /** The phase's own API key, when it made one. */
  apiKey?: string;
}

/** The answers every phase script may give (each adds its own). */
export type PhaseAnswer = ReadyMessage | DoneMessage | FailedMessage;

/** What a driver measured of one phase. */
export interface PhaseFigures {
  latencies: number[];
  elapsedMs: number;
  peakRssMb: number;
  cpuMs: number;
  /** The load generator's (this process's) CPU time, HTTP phases only. */
  clientCpuMs?: number;
  /** The database server's processes over the phase (not on SQLite): peak PSS and CPU time. */
  server?: { peakMb: number; cpuMs: number };
}

/** One POST of an HTTP phase, its body serialized before any timing. */
export interface PhaseRequest {
  path: string;
  body: Buffer;
}

export interface HttpLoad {
  /** Each request's headers, given the phase's `ready` answer. */
  headers: (ready: ReadyMessage) => Record<string, string>;
  concurrency: number;
  /** The status every answer must have. */
  status: number;
  /** Sent first, untimed: warms the JIT and the caches. */
  warmup: readonly PhaseRequest[];
  timed: readonly PhaseRequest[];
}

/** Runs `drive` on a started phase, then waits for (or ends) the process. */
export async function drivePhase<M extends { type: string }, R>(
  phase: Phase<M>,
  drive: (phase: Phase<M>) => Promise<R>,
): Promise<R> {
  try {
    return await drive(phase);
  } finally {
    await phase.finish();
  }
}

/** The phase's next answer, which must be of type `type`. */
export async function expectAnswer<M extends { type: string }, T extends M['type']>(
  phase: Phase<M>,
  type: T,
  label: string,
): Promise<Extract<M, { type: T }>> {
  const message = await phase.next();
  if (message.type !== type) throw new Error(`the ${label} phase answered ${message.type}, not ${type}`);
  return message as Extract<M, { type: T }>;
}

/**
 * The HTTP driver: waits for the phase's server, sends the warm-up requests, marks the start of
 * the timed section, sends the timed ones from `concurrency` keep-alive clients, then stops the
 * phase and takes its report (peak RSS, CPU over the timed section).
 */
export function httpDriver<M extends { type: string }>(phase: Phase<M>, load: HttpLoad, label: string) {
  return drivePhase(phase, async (p): Promise<PhaseFigures> => {
    const ready = (await p.next()) as unknown as ReadyMessage;
    if (ready.type !== 'ready') throw new Error(`the ${label} phase did not start`);
    const client = new JsonPoster(ready.port, load.headers(ready), load.concurrency);
    const post = async ({ path, body }: PhaseRequest) => {
      const { status, text } = await client.post(path, body);
      if (status !== load.status) throw new Error(`POST ${path} → ${status}: ${text.slice(0, 300)}`);
    };
    await runConcurrently(load.warmup.length, load.concurrency, (i) => post(load.warmup[i]!));
    p.child.send({ type: 'mark' });
    const clientCpu = process.cpuUsage();
    const { latencies, elapsedMs } = await runConcurrently(load.timed.length, load.concurrency, (i) =>
      post(load.timed[i]!),
    );
    const clientCpuMs = cpuSince(clientCpu);
    client.close();
    p.child.send({ type: 'stop' });
    const done = (await p.next()) as unknown as DoneMessage;
    if (done.type !== 'done') throw new Error(`the ${label} phase did not report`);
    return { latencies, elapsedMs, peakRssMb: done.peakRssMb, cpuMs: done.cpuMs, clientCpuMs };
  });
}

/** The driver of a phase that does its timed work alone (a ceiling, a file import) and reports once. */
export function reportDriver<M extends { type: string }>(phase: Phase<M>, label: string) {
  return drivePhase(phase, async (p): Promise<PhaseFigures> => {
    const done = (await p.next()) as unknown as DoneMessage;
    if (done.type !== 'done' || done.elapsedMs === undefined)
      throw new Error(`the ${label} phase did not report`);
    return {
      latencies: done.latencies ?? [],
      elapsedMs: done.elapsedMs,
      peakRssMb: done.peakRssMb,
      cpuMs: done.cpuMs,
    };
  });
}

/* ---- The phase process's side ---- */

/**
 * The body of every phase script: reads the spec from argv[2], samples this process's RSS from
 * the start, runs the handler of the spec's phase and reports a failure as `failed`.
 */
export function phaseMain<S extends { phase: string }>(
  handlers: Record<S['phase'], (spec: S, rss: RssSampler) => Promise<void>>,
): void {
  const rss = new RssSampler(50);
  const spec = JSON.parse(process.argv[2] ?? '{}') as S;
  const handler = (handlers as Record<string, (spec: S, rss: RssSampler) => Promise<void>>)[spec.phase];
  void (async () => {
    try {
      if (!handler) throw new Error(`no such phase: ${spec.phase}`);
      await handler(spec, rss);
    } catch (error) {
      await sendToParent({
        type: 'failed',
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies FailedMessage);
    }
    process.disconnect();
  })();
}

/**
 * Serves `app` on 127.0.0.1 until the parent says stop: answers `ready` (with `extra`), restarts
 * the CPU count at the parent's `mark`, then closes the app and the store and answers `done`.
 */
export async function serveUntilStopped(
  app: FastifyInstance,
  store: Store,
  rss: RssSampler,
  extra: object = {},
): Promise<void> {
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
  await sendToParent({ ...extra, type: 'ready', port: address.port });
  await stopped;
  const cpuMs = cpuSince(cpuAtMark);
  const peakRssMb = rss.stop();
  await app.close();
  await store.close();
  await sendToParent({ type: 'done', peakRssMb, cpuMs } satisfies DoneMessage);
}

/**
 * A phase that times its own jobs (a ceiling): `warmup` untimed jobs, then `timed` jobs from
 * `concurrency` workers; closes the store and answers `done` with each job's latency.
 */
export async function timeJobs(
  store: Store,
  rss: RssSampler,
  load: {
    warmup: number;
    timed: number;
    concurrency: number;
    job: (index: number, warm: boolean) => Promise<void>;
  },
): Promise<void> {
  await runConcurrently(load.warmup, load.concurrency, (i) => load.job(i, true));
  const cpuAtStart = process.cpuUsage();
  const { latencies, elapsedMs } = await runConcurrently(load.timed, load.concurrency, (i) =>
    load.job(i, false),
  );
  const cpuMs = cpuSince(cpuAtStart);
  const peakRssMb = rss.stop();
  await store.close();
  await sendToParent({ type: 'done', peakRssMb, cpuMs, latencies, elapsedMs } satisfies DoneMessage);
}
