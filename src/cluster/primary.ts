import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { Config } from '../config/config.js';

/** pino's numeric levels, so the primary's lines read like its workers'. */
const LEVELS = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity } as const;

/** Crashes older than this no longer slow the next restart. */
const CRASH_WINDOW_MS = 60_000;
const FIRST_RESTART_MS = 100;
const MAX_RESTART_MS = 30_000;
/** A worker gets this long past its own shutdown timeout before the primary kills it. */
const DRAIN_GRACE_MS = 5_000;

/** A warning about the settings, logged once by the process that reads them. */
export interface StartupWarning {
  fields: object;
  msg: string;
}

/**
 * How long to wait before replacing a worker, given how many others died within the crash
 * window: at once for a lone crash, doubling up to 30 s so a crash loop does not spin the CPU.
 */
export function restartDelayMs(recentCrashes: number): number {
  return Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** recentCrashes);
}

/**
 * The primary process with TRAITFORGE_PROCESSES > 1: it serves no HTTP and runs no background
 * work (the workers do both; the job leases make that safe), only supervises. It forks the
 * workers, which share the listening port through node:cluster, replaces one that dies, and on
 * SIGTERM/SIGINT lets every worker drain (each one's own graceful shutdown) and exits 0.
 */
export function runPrimary(config: Config, processes: number, warnings: readonly StartupWarning[]): void {
  const threshold = LEVELS[config.logLevel];
  const log = (level: Exclude<keyof typeof LEVELS, 'silent'>, msg: string, fields: object = {}) => {
    if (LEVELS[level] < threshold) return;
    const line = {
      level: LEVELS[level],
      time: Date.now(),
      pid: process.pid,
      hostname: hostname(),
      ...fields,
      msg,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };

  let stopping = false;
  let everListened = false;
  const crashes: number[] = [];
  const restarts = new Set<NodeJS.Timeout>();
  // Workers that have not exited: cluster.workers keeps one until its IPC channel closes too.
  const live = new Set<Worker>();
  let failures = 0;

  const fork = (): void => {
    const worker = cluster.fork();
    live.add(worker);
    worker.once('listening', () => {
      everListened = true;
    });
  };

  const signalAll = (signal: NodeJS.Signals) => {
    for (const worker of live) worker.process.kill(signal);
  };

  const finishIfDrained = () => {
    if (live.size > 0) return;
    if (failures > 0) log('error', 'stopped; some workers did not shut down cleanly', { failures });
    else log('info', 'stopped');
    process.exit(failures > 0 ? 1 : 0);
  };

  cluster.on('exit', (worker, code: number | null, signal: string | null) => {
    live.delete(worker);
    const fields = { worker_pid: worker.process.pid, code, signal };
    if (stopping) {
      if (code !== 0) failures++;
      finishIfDrained();
      return;
    }
    if (!everListened) {
      // No worker ever served: the port or the database is wrong for all of them alike (the
      // worker printed why); restarting would only repeat it.
      log('fatal', 'a worker failed before serving; stopping', fields);
      stopping = true;
      failures++;
      signalAll('SIGTERM');
      finishIfDrained();
      return;
    }
    const now = Date.now();
    while (crashes.length > 0 && (crashes[0] ?? now) < now - CRASH_WINDOW_MS) crashes.shift();
    const delay = restartDelayMs(crashes.length);
    crashes.push(now);
    log('error', 'worker exited; replacing it', { ...fields, restart_in_ms: delay });
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down: draining every worker', { signal });
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    const timer = setTimeout(() => {
      log('error', 'shutdown timed out; killing the workers left', {
        timeout_ms: config.shutdownTimeoutMs + DRAIN_GRACE_MS,
      });
      signalAll('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutMs + DRAIN_GRACE_MS);
    timer.unref();
    // Each worker runs the single-process shutdown: in-flight requests finish, then it exits.
    signalAll('SIGTERM');
    finishIfDrained();
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });

  for (const { fields, msg } of warnings) log('warn', msg, fields);
  log('info', 'starting HTTP worker processes', { processes });
  for (let i = 0; i < processes; i++) fork();
}
