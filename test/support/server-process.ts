import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { TestDatabase } from './backends.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_JS = join(ROOT, 'dist', 'src', 'server.js');
const LOCK = join(ROOT, 'dist', '.test-build-lock');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Whether some src/*.ts is newer than its compiled dist/src/*.js (or has none). */
function distIsStale(): boolean {
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const out = join(ROOT, 'dist', relative(ROOT, file)).replace(/\.ts$/, '.js');
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(file).mtimeMs) return true;
  }
  return false;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Compiles src/ to dist/ when it is stale (`npm test` has already built: then this is a quick
 * check). Test files run in parallel processes: a lock directory lets one of them build.
 */
export function ensureBuilt(): void {
  if (!distIsStale()) return;
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another test file is building; a lock older than two minutes is a crashed run's.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 120_000)
        rmSync(LOCK, { force: true, recursive: true });
      sleep(200);
    }
  }
  try {
    if (!distIsStale()) return;
    // Type errors elsewhere in the tree do not stop tsc from emitting; a missing output does.
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    if (!existsSync(SERVER_JS))
      throw new Error('building dist/ failed: run `npx tsc -p tsconfig.build.json`');
  } finally {
    rmSync(LOCK, { force: true, recursive: true });
  }
}

/** The environment a server subprocess gets: no TRAITFORGE_* setting leaks in from the test run. */
export function serverEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TRAITFORGE_')) env[name] = value;
  }
  // One process unless a test asks for more: the PostgreSQL default (every core) would fork workers
  // in every server test on a machine whose cores the parallel test files already share.
  return { ...env, TRAITFORGE_PROCESSES: '1', ...settings };
}

export interface LogLine {
  level: number;
  msg?: string;
  [field: string]: unknown;
}

export interface ServerProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  logs: LogLine[];
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean, what?: string): Promise<LogLine>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** The listening URL the server logged on start. */
  url(): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `node dist/src/server.js` with the given TRAITFORGE_* settings; stdout is pino JSON lines. */
export function startServer(settings: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, [SERVER_JS], {
    cwd: ROOT,
    env: serverEnv(settings),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let err = '';
  let pending = '';
  let exitCode: number | null | undefined;
  const onExit: ((code: number | null) => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      if (text.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 0, msg: text };
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
      for (const f of onExit) f(code);
    });
  });
  const waitForLog: ServerProcess['waitForLog'] = (match, what = 'a log line') => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      if (exitCode !== undefined) {
        reject(new Error(`server exited (${exitCode}) before ${what}; stderr: ${err}`));
        return;
      }
      waiters.push({ match, resolve });
      onExit.push((code) => {
        reject(new Error(`server exited (${code}) before ${what}; stderr: ${err}`));
      });
    });
  };
  return {
    child,
    logs,
    stderr: () => err,
    waitForLog,
    exited,
    url: async () => (await waitForLog((l) => l.msg === 'traitforge ready', 'becoming ready')).url as string,
    kill: (signal = 'SIGTERM') => {
      if (exitCode === undefined) child.kill(signal);
    },
  };
}

/** Runs the server expecting it to refuse to start: its exit code and stderr. */
export async function startAndFail(
  settings: Record<string, string>,
): Promise<{ code: number | null; stderr: string; logs: LogLine[] }> {
  const server = startServer(settings);
  // A server that starts after all must not outlive the test.
  server
    .waitForLog((l) => l.msg === 'traitforge ready')
    .then(
      () => {
        server.kill('SIGKILL');
      },
      () => undefined,
    );
  const code = await server.exited;
  return { code, stderr: server.stderr(), logs: server.logs };
}

/** A server on a test database, on loopback, with an admin token (the kill tests' setup). */
export function startOnDatabase(
  database: TestDatabase,
  adminToken: string,
  port: string,
  more: Record<string, string> = {},
): ServerProcess {
  return startServer({
    TRAITFORGE_PORT: port,
    TRAITFORGE_HOST: '127.0.0.1',
    TRAITFORGE_DATA_DIR: database.dataDir,
    TRAITFORGE_ADMIN_TOKEN: adminToken,
    TRAITFORGE_LOG_LEVEL: 'info',
    ...(database.databaseUrl ? { TRAITFORGE_DATABASE_URL: database.databaseUrl } : {}),
    ...more,
  });
}

/** One admin API call to a running server; a status of 300 or more fails the test. */
export async function adminCall<T>(
  base: string,
  adminToken: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as T;
}
