import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/client/ holds @traitforge/client's tests: they run it against the real server.
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/vitest.json' },
  },
});
