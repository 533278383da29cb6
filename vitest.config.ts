import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Test files run in parallel worker processes. Vitest's default is one fewer than the cores,
 * which on a 2-core CI machine is a single worker: the suite ran one file after another while a
 * core idled. Most slow files wait rather than compute (CLI and server subprocesses, PostgreSQL
 * round trips, Chromium, timeouts), so small machines get three workers; larger ones keep the
 * default. `npx vitest run --maxWorkers=1` still runs one file at a time.
 */
const WORKERS = Math.max(availableParallelism() - 1, 3);

export default defineConfig({
  test: {
    // test/client/ holds @traitforge/client's tests: they run it against the real server.
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: WORKERS,
    // Generous: tests that spawn the CLI or a server process take 2–3 s a spawn when the machine
    // is loaded (CI shares 2 cores); a hung test still fails, only later.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/vitest.json' },
  },
});
